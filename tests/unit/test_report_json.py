"""JSON report writer."""

from __future__ import annotations

import json
from pathlib import Path

from _report_sample import sample_report

from chartgate.report.json_out import to_dict, to_json, write
from chartgate.report.model import Finding, Report, StageResult


def test_round_trips_as_plain_data(tmp_path: Path) -> None:
    write(sample_report(), tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["failed"] is True
    assert data["counts"] == {"passed": 3, "failed": 2, "skipped": 1}
    first = data["results"][0]
    assert (first["stage"], first["scenario"], first["status"]) == ("assertions", "prod", "failed")
    f = first["findings"][0]
    assert (f["rule"], f["severity"], f["path"], f["expected"], f["actual"]) == (
        "equal", "error", "spec.replicas", 3, 2)
    assert data["results"][-1]["skipped"] == "scenario does not run k8s-schema"


def test_non_json_values_become_strings() -> None:
    odd = Finding(stage="s", rule="r", message="m", expected={1: (2, 3)}, actual={"x"}, values_keys=("a",))
    d = to_dict(Report([StageResult("s", "x", [odd])]))
    f = d["results"][0]["findings"][0]
    assert f["expected"] == {"1": [2, 3]} and f["actual"] == "{'x'}" and f["values_keys"] == ["a"]
    json.loads(to_json(Report([StageResult("s", "x", [odd])])))
