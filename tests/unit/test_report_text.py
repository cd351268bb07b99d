"""Plain-text report writer."""

from __future__ import annotations

import io
from pathlib import Path

from _report_sample import sample_report

from chartgate.report.model import Report
from chartgate.report.text import render_text, write, write_text


def test_summary_table_and_findings() -> None:
    text = render_text(sample_report())
    lines = text.splitlines()
    assert lines[0].split() == ["scenario", "assertions", "k8s-schema", "values-schema", "snapshot"]
    assert lines[1].split() == ["prod", "FAIL", "FAIL", "-", "-"]
    assert lines[2].split() == ["dev", "ok", "skip", "ok", "ok"]
    assert "== prod :: assertions (failed)" in text
    assert "at Deployment/clockwork-server (templates/deployment.yaml) spec.replicas" in text
    assert "WARNING: [values-schema] no-schema" in text
    assert "snapshot written" not in text  # notes hidden by default
    assert "snapshot written" in render_text(sample_report(), show_notes=True)
    assert lines[-1].startswith("3 passed, 2 failed, 1 skipped in 1.50s") and lines[-1].endswith("FAILED")


def test_empty_report_and_writers(tmp_path: Path) -> None:
    assert render_text(Report()).strip().endswith("OK")
    buf = io.StringIO()
    write_text(sample_report(), buf)
    write(sample_report(), tmp_path / "out" / "report.txt")
    assert buf.getvalue() == (tmp_path / "out" / "report.txt").read_text()
