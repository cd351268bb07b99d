"""Coverage files: LCOV (``coverage.lcov``), Cobertura XML (``coverage.xml``) and one
self-contained HTML page (``coverage.html``: every template with its lines and branch
arms annotated), plus the terminal summary. Every writer is deterministic: the same run
writes the same bytes (no timestamps, sorted everything)."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import quoteattr

from chartgate.coverage.model import FileCoverage, TemplateCoverage, describe


def _path(cov: TemplateCoverage, f: FileCoverage) -> str:
    return f"{cov.chart.rstrip('/')}/{f.file}" if cov.chart else f.file


def lcov(cov: TemplateCoverage) -> str:
    out = []
    for f in cov.files:
        out.append("TN:chartgate")
        out.append(f"SF:{_path(cov, f)}")
        for name, line, _hits in f.defines:
            out.append(f"FN:{line},{name}")
        for name, _line, hits in f.defines:
            out.append(f"FNDA:{hits},{name}")
        out.append(f"FNF:{len(f.defines)}")
        out.append(f"FNH:{sum(1 for d in f.defines if d[2] > 0)}")
        for a in f.arms:
            out.append(f"BRDA:{a.probe.line},{a.probe.group},{a.probe.arm},{a.hits}")
        out.append(f"BRF:{len(f.arms)}")
        out.append(f"BRH:{f.arms_hit}")
        for line, hits in f.lines.items():
            out.append(f"DA:{line},{hits}")
        out.append(f"LF:{len(f.lines)}")
        out.append(f"LH:{f.lines_hit}")
        out.append("end_of_record")
    return "\n".join(out) + "\n"


def cobertura(cov: TemplateCoverage) -> str:
    def rate(a: int, b: int) -> str:
        return f"{a / b:.4f}" if b else "1"

    lines = ['<?xml version="1.0" ?>',
             f'<coverage line-rate="{rate(cov.lines_hit, cov.lines_total)}" '
             f'branch-rate="{rate(cov.arms_hit, cov.arms_total)}" lines-covered="{cov.lines_hit}" '
             f'lines-valid="{cov.lines_total}" branches-covered="{cov.arms_hit}" '
             f'branches-valid="{cov.arms_total}" complexity="0" version="chartgate" timestamp="0">',
             "  <sources>", f"    <source>{html.escape(cov.chart or '.')}</source>", "  </sources>",
             "  <packages>",
             f'    <package name={quoteattr(Path(cov.chart).name or "chart")} '
             f'line-rate="{rate(cov.lines_hit, cov.lines_total)}" '
             f'branch-rate="{rate(cov.arms_hit, cov.arms_total)}" complexity="0">',
             "      <classes>"]
    for f in cov.files:
        lines.append(f"        <class name={quoteattr(f.file)} filename={quoteattr(f.file)} "
                     f'line-rate="{rate(f.lines_hit, len(f.lines))}" '
                     f'branch-rate="{rate(f.arms_hit, len(f.arms))}" complexity="0">')
        lines.append("          <methods/>")
        lines.append("          <lines>")
        by_line: dict[int, list[int]] = {}
        for a in f.arms:
            by_line.setdefault(a.probe.line, []).append(a.hits)
        for ln in sorted(set(f.lines) | set(by_line)):
            hits = f.lines.get(ln, max(by_line.get(ln, [0])))
            arms = by_line.get(ln)
            if arms:
                taken = sum(1 for h in arms if h > 0)
                lines.append(f'            <line number="{ln}" hits="{hits}" branch="true" '
                             f'condition-coverage="{100 * taken // len(arms)}% ({taken}/{len(arms)})"/>')
            else:
                lines.append(f'            <line number="{ln}" hits="{hits}" branch="false"/>')
        lines.append("          </lines>")
        lines.append("        </class>")
    lines += ["      </classes>", "    </package>", "  </packages>", "</coverage>"]
    return "\n".join(lines) + "\n"


_CSS = """body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}
td,th{padding:0 .5em;text-align:right}pre{margin:0}.src td{text-align:left;font-family:monospace;
white-space:pre}.hit{background:#dfd}.miss{background:#fdd}.part{background:#ffd}.n{color:#888}
.br{color:#a00;font-size:90%}"""


def html_report(cov: TemplateCoverage) -> str:
    e = html.escape
    out = ["<!DOCTYPE html>", '<html><head><meta charset="utf-8">',
           f"<title>chartgate template coverage: {e(cov.chart)}</title>", f"<style>{_CSS}</style>",
           "</head><body>", f"<h1>Template coverage: {e(cov.chart)}</h1>",
           f"<p>{cov.scenarios} renders (scenarios and helm-unittest jobs); "
           f"lines {cov.lines_hit}/{cov.lines_total} "
           f"({cov.line_percent():.1f}%), branches {cov.arms_hit}/{cov.arms_total} "
           f"({cov.branch_percent():.1f}%)</p>",
           "<table><tr><th>template</th><th>lines</th><th>branches</th><th>%</th></tr>"]
    for i, f in enumerate(cov.files):
        out.append(f'<tr><td style="text-align:left"><a href="#f{i}">{e(f.file)}</a></td>'
                   f"<td>{f.lines_hit}/{len(f.lines)}</td><td>{f.arms_hit}/{len(f.arms)}</td>"
                   f"<td>{100 * f.branch_rate():.1f}</td></tr>")
    out.append("</table>")
    for i, f in enumerate(cov.files):
        out.append(f'<h2 id="f{i}">{e(f.file)}</h2>')
        if not f.instrumented:
            out.append(f"<p>not instrumented: {e(cov.plan.not_instrumented.get(f.file, ''))}</p>")
        arms: dict[int, list[str]] = {}
        missed: dict[int, bool] = {}
        for a in f.arms:
            if a.hits == 0:
                arms.setdefault(a.probe.line, []).append(describe(a).split(": ", 1)[1])
                missed[a.probe.line] = True
        for a in f.unreachable:
            arms.setdefault(a.probe.line, []).append(
                describe(a).split(": ", 1)[1] + " (depends on lookup: needs a cluster, not counted)")
        out.append('<table class="src">')
        for n, text in enumerate(f.source.split("\n"), start=1):
            cls = ""
            if n in f.lines:
                cls = "hit" if f.lines[n] > 0 else "miss"
            if missed.get(n) and cls == "hit":
                cls = "part"
            hits = f.lines.get(n, "")
            note = "".join(f'<div class="br">{e(m)}</div>' for m in arms.get(n, []))
            out.append(f'<tr class="{cls}"><td class="n">{n}</td><td class="n">{hits}</td>'
                       f"<td>{e(text)}{note}</td></tr>")
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def summary(cov: TemplateCoverage) -> str:
    """The terminal table: per template lines, branches and branch %, then the total."""
    width = max([len(f.file) for f in cov.files] + [8])
    rows = [f"{'template':{width}}  {'lines':>9}  {'branches':>9}  {'branch %':>8}"]
    for f in cov.files:
        if not f.lines and not f.arms:
            continue
        rows.append(f"{f.file:{width}}  {f'{f.lines_hit}/{len(f.lines)}':>9}  "
                    f"{f'{f.arms_hit}/{len(f.arms)}':>9}  {100 * f.branch_rate():>7.1f}%")
    rows.append(f"{'TOTAL':{width}}  {f'{cov.lines_hit}/{cov.lines_total}':>9}  "
                f"{f'{cov.arms_hit}/{cov.arms_total}':>9}  {cov.branch_percent():>7.1f}%")
    return "\n".join(rows)


WRITERS: dict[str, Callable[[TemplateCoverage], str]] = {
    "coverage.lcov": lcov,
    "coverage.xml": cobertura,
    "coverage.html": html_report,
}


def write_all(cov: TemplateCoverage, out_dir: Path) -> list[Path]:
    from chartgate.util.files import atomic_write

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, writer in WRITERS.items():
        path = out_dir / name
        atomic_write(path, writer(cov))
        written.append(path)
    return written
