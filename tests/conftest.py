"""The e2e library's fixtures and hooks, registered for the whole suite: pytest accepts
``pytest_plugins`` only in a top-level conftest (``pytest tests`` collects tests/e2e too).
They cost nothing where unused: fixtures are lazy, and the failure hook only acts on
tests that requested ``releases``/``watch``."""

pytest_plugins = ["chartgate.e2e.fixtures"]
