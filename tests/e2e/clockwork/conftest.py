"""The clockwork e2e scenarios (issue 6, part 3): fixtures and failure diagnostics come
from :mod:`chartgate.e2e.fixtures`; the cluster from ``tests/e2e/conftest.py``
(``kind_cluster``) or from ``CHARTGATE_E2E_KUBECONFIG``."""

from chartgate.e2e.fixtures import *  # noqa: F403
from chartgate.e2e.fixtures import TIMINGS


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    if not TIMINGS:
        return
    terminalreporter.section("clockwork e2e timings")
    for name, seconds in TIMINGS:
        terminalreporter.write_line(f"{seconds:7.1f}s  {name}")
