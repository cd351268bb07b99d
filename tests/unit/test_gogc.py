"""The Go servers a gate keeps running collect garbage less often (chartgate.util.gogc)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartgate.util.gogc import GC_PERCENT, server_env


def test_server_env_sets_gogc_unless_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOGC", raising=False)
    assert server_env() == {"GOGC": GC_PERCENT}
    assert server_env({"A": "1"}) == {"A": "1", "GOGC": GC_PERCENT}
    assert server_env({"GOGC": "50"}) == {"GOGC": "50"}
    monkeypatch.setenv("GOGC", "off")
    assert server_env() == {}  # the environment's own setting reaches the server unchanged


def test_persistent_renderer_runs_with_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from chartgate.tools.renderer import PersistentRenderer

    monkeypatch.delenv("GOGC", raising=False)
    r = PersistentRenderer()
    try:
        r._start()
        environ = Path(f"/proc/{r._proc.pid}/environ").read_bytes().split(b"\0")
    finally:
        r.close()
    assert f"GOGC={GC_PERCENT}".encode() in environ
