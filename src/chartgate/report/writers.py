"""The report writers by format name — the one place a front end (the pytest plugin,
``chartgate check``/``gate``, ``chartgate policy``) turns a :class:`Report` into a file.

``write(report, "sarif", Path("out.sarif"), Options(chart=chart))``; a format is one
module under ``chartgate.report`` and one entry in :data:`WRITERS`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from chartgate.report import json_out, junit, sarif, text
from chartgate.report.model import Report


@dataclass(frozen=True)
class Options:
    """What a format may need besides the report."""

    # the repository root: SARIF URIs are relative to it
    root: Path = field(default_factory=lambda: Path.cwd().resolve())
    chart: Path | None = None  # chart-relative template paths become <chart relative to root>/...
    suite_name: str = "chartgate"  # JUnit's <testsuites name=...>
    show_notes: bool = False  # text: also list notes (exemptions, expected ids)


Render = Callable[[Report, Options], str]

WRITERS: dict[str, Render] = {
    "text": lambda report, o: text.render_text(report, show_notes=o.show_notes),
    "json": lambda report, o: json_out.to_json(report),
    "junit": lambda report, o: junit.to_junit_xml(report, suite_name=o.suite_name),
    "sarif": lambda report, o: sarif.to_sarif_json(report, sarif.chart_base_dir(o.chart, o.root),
                                                   o.root.resolve()),
}
FORMATS = tuple(WRITERS)


def render(report: Report, fmt: str, options: Options | None = None) -> str:
    """The report in format ``fmt`` (one of :data:`FORMATS`)."""
    try:
        writer = WRITERS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r} (known: {', '.join(FORMATS)})") from None
    return writer(report, options or Options())


def write(report: Report, fmt: str, path: Path | None, options: Options | None = None) -> None:
    """Write the report in format ``fmt`` to ``path`` (its directory is created), or to
    standard output when ``path`` is None."""
    out = render(report, fmt, options)
    if path is None:
        sys.stdout.write(out)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(out)


def write_all(report: Report, outputs: Mapping[str, Path | str | None],
              options: Options | None = None) -> None:
    """``{"junit": "out.xml", "sarif": None, ...}``: every format given a path is written."""
    for fmt, path in outputs.items():
        if path:
            write(report, fmt, Path(path), options)
