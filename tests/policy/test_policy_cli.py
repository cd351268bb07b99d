"""``chartgate policy``: same engine and expectations as the plugin; every output format."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import corpus
import pytest

from chartgate.cli import main
from chartgate.util.ci import missing_prerequisite


@pytest.fixture()
def scenarios(tmp_path: Path, opa_binary: Path) -> Path:
    if not corpus.CHART.is_dir():
        missing_prerequisite(f"no chart at {corpus.CHART}")
    d = tmp_path / "scenarios"
    d.mkdir()
    shutil.copy(corpus.SCENARIOS / "policy-nodeport-service.yaml", d / "nodeport.yaml")
    shutil.copy(corpus.SCENARIOS / "_defaults.yaml", d / "_defaults.yaml")  # release clockwork
    (d / "defaults.yaml").write_text("description: chart defaults\nexpect:\n  policy: {deny: []}\n")
    return d


def run(scenarios: Path, *args: str) -> int:
    return main(
        [
            "policy",
            "--chart",
            str(corpus.CHART),
            "--scenarios",
            str(scenarios),
            "--policies",
            str(corpus.POLICIES),
            *args,
        ]
    )


def test_json_output_and_exit_code(scenarios: Path, tmp_path: Path) -> None:
    out = tmp_path / "policy.json"
    assert run(scenarios, "--format", "json", "--output", str(out)) == 0
    report = json.loads(out.read_text())
    by_scenario = {r["scenario"]: r for r in report["results"]}
    assert set(by_scenario) == {"nodeport", "defaults"}
    assert all(r["stage"] == "policy" and r["status"] == "passed" for r in report["results"])
    nodeport = by_scenario["nodeport"]["findings"]
    hit = next(f for f in nodeport if f["rule"] == "CLK-NET-002")
    assert hit["severity"] == "note" and hit["object"] == "Service/clockwork-service"
    assert hit["template"] == "templates/service.yaml"


def test_unexpected_deny_fails(scenarios: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (scenarios / "nodeport.yaml").write_text("set: {service.type: NodePort}\nexpect:\n  policy: {deny: []}\n")
    assert run(scenarios) == 1
    out = capsys.readouterr().out
    assert "CLK-NET-002" in out and "unexpected deny" in out and "FAILED" in out


def test_missing_expected_id_fails(scenarios: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (scenarios / "defaults.yaml").write_text("expect:\n  policy: {deny: [CLK-SEC-001]}\n")
    assert run(scenarios) == 1
    assert "expects policy CLK-SEC-001 to deny, but it did not" in capsys.readouterr().out


def test_junit_and_sarif(scenarios: Path, tmp_path: Path) -> None:
    junit = tmp_path / "policy.xml"
    assert run(scenarios, "--format", "junit", "--output", str(junit)) == 0
    cases = ET.parse(junit).getroot().iter("testcase")
    assert len(list(cases)) == 2
    sarif = tmp_path / "policy.sarif"
    (scenarios / "nodeport.yaml").write_text("set: {service.type: NodePort}\nexpect:\n  policy: {deny: []}\n")
    assert run(scenarios, "--format", "sarif", "--output", str(sarif)) == 1
    log = json.loads(sarif.read_text())
    results = [r for r in log["runs"][0]["results"] if r["ruleId"] == "CLK-NET-002"]
    assert results and results[0]["level"] == "error"
    uri = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.endswith("templates/service.yaml")


def test_fail_on_warn(scenarios: Path) -> None:
    (scenarios / "nodeport.yaml").unlink()
    (scenarios / "defaults.yaml").write_text("expect:\n  policy: {deny: []}\n")
    code_plain = run(scenarios)
    code_strict = run(scenarios, "--fail-on-warn")
    assert code_plain == 0
    assert code_strict == 1, (
        "the chart defaults produce warnings (e.g. CLK-IMG-002); --fail-on-warn must fail"
    )
