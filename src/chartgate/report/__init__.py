"""Result model and writers (text, JSON, JUnit, SARIF). Writers only read the model."""
