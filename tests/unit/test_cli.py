"""`chartgate check` and `chartgate tools` from the command line (in-process)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from chartgate.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


def _scenarios(tmp_path: Path, replicas: int) -> Path:
    d = tmp_path / "scenarios"
    d.mkdir()
    (d / "one.yaml").write_text(
        "release: demo\nexpect:\n  assertions:\n"
        f"    - equal: {{path: spec.replicas, value: {replicas}}}\n      select: {{kind: Deployment}}\n")
    return d


def test_check_passes_and_writes_junit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junit = tmp_path / "out.xml"
    rc = main(["check", str(FIXTURES / "tiny-chart"), "--scenarios", str(_scenarios(tmp_path, 1)),
               "--stages", "render,assertions", "--junit", str(junit)])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "one" in out and "1 scenarios, 2 passed, 0 failed" in out
    cases = list(ET.parse(junit).getroot().iter("testcase"))
    assert len(cases) == 2


def test_check_fails_with_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["check", str(FIXTURES / "tiny-chart"), "--scenarios", str(_scenarios(tmp_path, 5)),
               "--stages", "render,assertions"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "FAIL" in out and "Deployment/demo-web" in out and "spec.replicas" in out


def test_unknown_stage_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["check", str(FIXTURES / "tiny-chart"), "--scenarios", str(_scenarios(tmp_path, 1)),
               "--stages", "render,bogus"])
    assert rc == 2
    assert "unknown stage(s) bogus" in capsys.readouterr().err


def test_tools_status_lists_pinned_versions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "status"]) == 0
    out = capsys.readouterr().out
    assert "helm" in out and "v4.3.1" in out


def test_tools_path_and_plugins(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "path", "helm"]) == 0
    assert capsys.readouterr().out.strip().endswith("/helm")
    assert main(["tools", "plugins"]) == 0
    assert Path(capsys.readouterr().out.strip(), "unittest", "plugin.yaml").exists()


def _git_project(tmp_path: Path) -> Path:
    import shutil
    import subprocess

    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "tiny-chart", repo / "chart")
    scen = repo / "tests" / "scenarios"
    scen.mkdir(parents=True)
    (scen / "one.yaml").write_text("release: demo\nexpect: {present: [Deployment/demo-web]}\n")
    for args in (["init", "-q", "-b", "main"], ["config", "user.email", "t@example.com"],
                 ["config", "user.name", "t"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)
    return repo


def test_gate_requires_a_version_bump_when_the_chart_changed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _git_project(tmp_path)
    monkeypatch.chdir(repo)
    argv = ["gate", "chart", "--base", "main", "--scenarios", "tests/scenarios",
            "--stages", "render,assertions"]
    assert main(argv) == 0
    assert "skipping" in capsys.readouterr().out
    values = repo / "chart" / "values.yaml"
    values.write_text(values.read_text().replace("replicas: 1", "replicas: 2"))
    assert main(argv) == 1
    assert "is not greater than 0.1.0" in capsys.readouterr().out
    chart_yaml = repo / "chart" / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text().replace("version: 0.1.0", "version: 0.1.1"))
    assert main(argv) == 0
    out = capsys.readouterr().out
    # render, assertions and (on by default in `gate`) the upgrade stage against main
    assert "bumped 0.1.0 → 0.1.1" in out and "1 scenarios, 3 passed" in out
