"""The writer registry: every format by name, the same output as the format module, one
place for the front ends (plugin, check/gate, policy)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _report_sample import sample_report

from chartgate.report import json_out, junit, sarif, text, writers


def test_every_format_is_registered_and_renders_like_its_module(tmp_path: Path) -> None:
    report = sample_report()
    chart = tmp_path / "deploy" / "helm" / "clockwork"
    options = writers.Options(root=tmp_path, chart=chart, suite_name="s", show_notes=True)
    assert writers.FORMATS == ("text", "json", "junit", "sarif")
    assert writers.render(report, "text", options) == text.render_text(report, show_notes=True)
    assert writers.render(report, "json", options) == json_out.to_json(report)
    assert writers.render(report, "junit", options) == junit.to_junit_xml(report, suite_name="s")
    assert writers.render(report, "sarif", options) == sarif.to_sarif_json(report, "deploy/helm/clockwork",
                                                                          tmp_path.resolve())


def test_write_all_writes_the_formats_given_a_path(tmp_path: Path) -> None:
    writers.write_all(sample_report(), {"json": tmp_path / "a" / "r.json", "sarif": None, "junit": ""},
                      writers.Options(root=tmp_path))
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["r.json"]
    assert json.loads((tmp_path / "a" / "r.json").read_text())["failed"] is True


def test_write_without_a_path_goes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    writers.write(sample_report(), "junit", None)
    assert capsys.readouterr().out.startswith('<?xml version="1.0"')


def test_an_unknown_format_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown report format 'tap' \\(known: text, json, junit, sarif\\)"):
        writers.render(sample_report(), "tap")


def test_sarif_chart_base_dir(tmp_path: Path) -> None:
    assert sarif.chart_base_dir(tmp_path / "c", tmp_path) == "c"
    assert sarif.chart_base_dir(Path("/elsewhere/c"), tmp_path) == "/elsewhere/c"
    assert sarif.chart_base_dir(None, tmp_path) == ""
