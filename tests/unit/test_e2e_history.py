"""The upgrade journey's "last release": the newest commit whose Chart.yaml version differs
from the working tree's (chartgate.e2e.history)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from chartgate.e2e import history

CHART = "deploy/helm/demo"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def _commit(repo: Path, version: str | None, other: str, message: str) -> str:
    if version is not None:
        (repo / CHART / "Chart.yaml").write_text(f"apiVersion: v2\nname: demo\nversion: {version}\n")
    (repo / "other.txt").write_text(other)
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.test", "commit", "-q", "-m", message)
    return _git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q")
    (tmp_path / CHART / "templates").mkdir(parents=True)
    (tmp_path / CHART / "templates" / "cm.yaml").write_text("kind: ConfigMap\n")
    return tmp_path


def test_uncommitted_bump_starts_from_head(repo: Path) -> None:
    _commit(repo, "0.1.0", "a", "A")
    head = _commit(repo, None, "b", "B")
    (repo / CHART / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.2.0\n")
    ref, how = history.last_release_ref(repo, CHART, "0.2.0")
    assert ref == head and "0.1.0" in how


def test_committed_bump_starts_just_before_it(repo: Path) -> None:
    _commit(repo, "0.1.0", "a", "A")
    before = _commit(repo, None, "b", "B")
    bump = _commit(repo, "0.2.0", "c", "bump")
    _commit(repo, None, "d", "D")
    ref, how = history.last_release_ref(repo, CHART, "0.2.0")
    assert ref == before and bump[:10] in how


def test_never_bumped_uses_head_and_says_so(repo: Path) -> None:
    _commit(repo, "0.1.0", "a", "A")
    head = _commit(repo, None, "b", "B")
    ref, how = history.last_release_ref(repo, CHART, "0.1.0")
    assert ref == head and "never bumped" in how


def test_previous_chart_extracts_the_ref(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARTGATE_CACHE", str(tmp_path / "cache"))
    first = _commit(repo, "0.1.0", "a", "A")
    _commit(repo, "0.2.0", "b", "bump")
    prev = history.previous_chart(repo / CHART)
    assert (prev.ref, prev.version) == (first, "0.1.0")
    assert (prev.chart / "templates" / "cm.yaml").is_file()
    chosen = history.previous_chart(repo / CHART, ref="HEAD")
    assert chosen.version == "0.2.0" and "CHARTGATE_E2E_UPGRADE_FROM=HEAD" in chosen.how
