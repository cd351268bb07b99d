"""Result model and writers (text, JSON, JUnit, SARIF). Writers only read the model;
front ends reach them through the registry in :mod:`chartgate.report.writers`."""
