"""Per-stage timings of the e2e run (cluster, images, each test's setup and call).

Fixtures append to :data:`TIMINGS`; under pytest-xdist every worker ships its list to the
controller (``workeroutput``), which prints them all in one terminal section, so a
parallel run reports the same stage timings as a sequential one.
"""

from __future__ import annotations

from typing import Any

import pytest

TIMINGS: list[tuple[str, float]] = []
_KEY = "chartgate_e2e_timings"


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the timings to the controller
        workeroutput[_KEY] = [list(t) for t in TIMINGS]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    worker = getattr(getattr(node, "gateway", None), "id", "worker")
    for name, seconds in getattr(node, "workeroutput", {}).get(_KEY, []):
        TIMINGS.append((f"[{worker}] {name}", float(seconds)))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TIMINGS:
        return
    terminalreporter.section("e2e timings")
    for name, seconds in TIMINGS:
        terminalreporter.write_line(f"{seconds:7.1f}s  {name}")
