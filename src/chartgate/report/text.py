"""Plain-text report: a scenario-by-stage summary table, then every finding in full."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from chartgate.report.model import Report, Severity

_MARK = {"passed": "ok", "failed": "FAIL", "skipped": "skip"}


def render_text(report: Report, show_notes: bool = False) -> str:
    """The summary table (scenarios down, stages across) and the findings."""
    stages: list[str] = []
    scenarios: list[str] = []
    cells: dict[tuple[str, str], str] = {}
    for r in report.results:
        if r.stage not in stages:
            stages.append(r.stage)
        if r.scenario not in scenarios:
            scenarios.append(r.scenario)
        cells[(r.scenario, r.stage)] = _MARK[r.status]
    lines: list[str] = []
    if report.results:
        width = max(len("scenario"), *(len(s) for s in scenarios))
        cols = [max(len(s), 4) for s in stages]
        header = [s.ljust(c) for s, c in zip(stages, cols, strict=True)]
        lines.append("  ".join(["scenario".ljust(width), *header]))
        for sc in scenarios:
            row = [cells.get((sc, st), "-").ljust(c) for st, c in zip(stages, cols, strict=True)]
            lines.append("  ".join([sc.ljust(width), *row]).rstrip())
        lines.append("")
    for r in report.results:
        shown = [f for f in r.findings if show_notes or f.severity is not Severity.NOTE]
        if not shown:
            continue
        lines.append(f"== {r.scenario} :: {r.stage} ({r.status})")
        for f in shown:
            prefix = "" if f.severity is Severity.ERROR else f"{f.severity.value.upper()}: "
            lines.append(prefix + f.render())
        lines.append("")
    counts = report.counts()
    lines.append(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
                 f" in {report.duration:.2f}s — {'FAILED' if report.failed else 'OK'}")
    return "\n".join(lines) + "\n"


def write_text(report: Report, out: Path | TextIO, show_notes: bool = False) -> None:
    text = render_text(report, show_notes)
    if isinstance(out, Path):
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    else:
        out.write(text)


def write(report: Report, path: Path, show_notes: bool = False) -> None:
    """The writer interface every format module shares: ``write(report, path, ...)``."""
    write_text(report, path, show_notes)
