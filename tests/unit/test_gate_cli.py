"""`chartgate gate`: version-bump rule and changed-chart detection on a real git repo."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from chartgate.gate_cli import version_bumped
from chartgate.tools import git
from chartgate.util.ci import missing_prerequisite


@pytest.mark.parametrize(("old", "new", "bumped"), [
    ("0.1.0", "0.1.1", True), ("0.1.0", "0.2.0", True), ("1.9.9", "2.0.0", True),
    ("0.1.0", "0.1.0", False), ("0.2.0", "0.1.9", False),
    ("1.0.0-rc.1", "1.0.0", True), ("1.0.0", "1.0.0-rc.1", False),
])
def test_version_bumped(old: str, new: str, bumped: bool) -> None:
    assert version_bumped(old, new) is bumped


def test_version_bumped_rejects_non_semver() -> None:
    with pytest.raises(ValueError, match="semantic version"):
        version_bumped("1.0", "1.1")


def test_changed_files_and_show(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        missing_prerequisite("git not installed")
    def g(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    g("init", "-q", "-b", "main")
    g("config", "user.email", "t@example.com")
    g("config", "user.name", "t")
    chart = tmp_path / "chart"
    chart.mkdir()
    (chart / "Chart.yaml").write_text("version: 0.1.0\n")
    (tmp_path / "other.txt").write_text("x")
    g("add", "-A")
    g("commit", "-qm", "base")
    assert git.changed_files(tmp_path, "main", ["chart"]) == []
    (chart / "Chart.yaml").write_text("version: 0.2.0\n")
    (tmp_path / "other.txt").write_text("y")
    assert git.changed_files(tmp_path, "main", ["chart"]) == ["chart/Chart.yaml"]
    assert git.show(tmp_path, "main", "chart/Chart.yaml") == "version: 0.1.0\n"
    assert git.show(tmp_path, "main", "chart/missing.yaml") is None
