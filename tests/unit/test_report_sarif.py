"""SARIF 2.1.0 writer."""

from __future__ import annotations

import json
from pathlib import Path

from _report_sample import sample_report

from chartgate.report.sarif import artifact_uri, to_sarif, write


def test_one_result_per_finding_with_rule_level_and_repo_relative_location() -> None:
    log = to_sarif(sample_report(), base_dir="deploy/helm/clockwork", root=Path("/repo"))
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    run = log["runs"][0]
    results = run["results"]
    assert len(results) == 4
    assert [r["level"] for r in results] == ["error", "error", "warning", "note"]
    first = results[0]
    assert first["ruleId"] == "equal"
    loc = first["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == (
        "deploy/helm/clockwork/templates/deployment.yaml")
    assert loc["logicalLocations"][0]["name"] == "Deployment/clockwork-server"
    assert "expected 3, got 2" in first["message"]["text"] and "spec.replicas" in first["message"]["text"]
    assert first["properties"]["scenario"] == "prod"
    # no file: the chart's Chart.yaml; absolute files: relative to the repo root
    assert results[2]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "deploy/helm/clockwork/Chart.yaml")
    assert results[3]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "tests/snapshots/dev.yaml")
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {"equal", "additionalProperties", "no-schema",
                                                                 "written"}


def test_write_derives_base_dir_from_repo_and_chart(tmp_path: Path) -> None:
    chart = tmp_path / "deploy" / "helm" / "clockwork"
    chart.mkdir(parents=True)
    write(sample_report(), tmp_path / "out.sarif", base=tmp_path, chart=chart)
    log = json.loads((tmp_path / "out.sarif").read_text())
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "deploy/helm/clockwork/templates/deployment.yaml"


def test_artifact_uri_outside_root_is_a_file_uri() -> None:
    assert artifact_uri("/elsewhere/x.yaml", "", Path("/repo")) == "file:///elsewhere/x.yaml"
    assert artifact_uri("templates/a.yaml") == "templates/a.yaml"


def test_a_position_in_the_template_becomes_a_region() -> None:
    from chartgate.report.model import Finding, Report, StageResult

    f = Finding(stage="render", rule="renders", message="execution error",
                template="templates/deployment.yaml:12:4")
    log = to_sarif(Report([StageResult("render", "prod", [f])]), base_dir="deploy/helm/clockwork")
    physical = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "deploy/helm/clockwork/templates/deployment.yaml"
    assert physical["region"] == {"startLine": 12, "startColumn": 4}
    first = to_sarif(sample_report())["runs"][0]["results"][0]
    assert "region" not in first["locations"][0]["physicalLocation"]
