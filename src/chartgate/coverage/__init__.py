"""Template and values coverage over every scenario of a run.

With coverage on, the persistent renderer instruments the chart's templates (without
changing what renders) and returns, per render, how often each block and branch arm
ran; :func:`collect` sums them per chart (:mod:`.model`), :mod:`.values` checks the
chart's values keys against the scenarios and the templates' reads, and :mod:`.writers`
prints the summary and writes LCOV, Cobertura XML and an HTML page.

Each uncovered branch and each values finding is a :class:`Finding` of the
``coverage`` stage (a note); ``--coverage-min N`` adds an error when branch coverage is
below N %.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from chartgate.coverage.model import Plan, TemplateCoverage, aggregate, describe
from chartgate.coverage.values import ValuesCoverage, analyse
from chartgate.render import Rendered, Renderer
from chartgate.report.model import Finding, Severity, StageResult

if TYPE_CHECKING:
    from chartgate.coverage.jobs import UnittestRenders

STAGE = "coverage"


@dataclass
class ChartCoverage:
    chart: Path
    templates: TemplateCoverage
    values: ValuesCoverage
    scenario_renders: int = 0
    unittest_renders: int = 0  # helm-unittest test jobs' renders (the unittest stage ran)
    # (suite file, test, why): jobs whose render is not repeated exactly (inexact) or at all
    unittest_notes: list[tuple[str, str, str]] = field(default_factory=list)


def _display(chart: Path) -> str:
    try:
        return chart.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return chart.resolve().as_posix()


def collect(renderer: Renderer, rendered: Iterable[Rendered],
            unittest: UnittestRenders | None = None) -> list[ChartCoverage]:
    """Coverage per chart over ``rendered`` (renders done with ``Renderer(coverage=True)``)
    and over the helm-unittest jobs' renders (:func:`chartgate.coverage.jobs.render`)."""
    by_chart: dict[Path, list[Rendered]] = {}
    for r in rendered:
        by_chart.setdefault(r.scenario.chart.resolve(), []).append(r)
    jobs = unittest.renders if unittest else []
    for j in jobs:
        by_chart.setdefault(j.chart, [])
    out = []
    for chart in sorted(by_chart):
        plan_id, data = renderer.coverage_plan(chart)
        plan = Plan.from_json(plan_id, data)
        runs = sorted(by_chart[chart], key=lambda r: r.scenario.name)
        hits = [r.coverage_hits or {} for r in runs if r.coverage_plan == plan_id]
        mine = [j for j in jobs if j.chart == chart]
        used = [j for j in mine if j.plan == plan_id]
        notes = [(n.file, n.name, n.message) for c, n in (unittest.notes if unittest else []) if c == chart]
        notes += [(j.job.file, j.job.name, why) for j in used for why in j.job.inexact]
        # (no plan: the job's values failed before any template ran, as helm-unittest's did)
        notes += [(j.job.file, j.job.name, "the chart changed while the run rendered it: not counted")
                  for j in mine if j.plan and j.plan != plan_id]
        if used:  # the one capability helm-unittest's render and the renderer's cannot share
            notes += [(f, "every job", "reads .Capabilities.HelmVersion: helm-unittest renders with its "
                       "Helm 3 library's, the renderer with Helm 4's")
                      for f, src in sorted(plan.sources.items()) if ".Capabilities.HelmVersion" in src]
        tc = aggregate(_display(chart), plan, [*hits, *(j.hits for j in used)])
        vc = analyse(chart, plan, [r.scenario for r in runs])
        out.append(ChartCoverage(chart, tc, vc, scenario_renders=len(hits), unittest_renders=len(used),
                                 unittest_notes=sorted(notes)))
    return out


def findings(cov: ChartCoverage, minimum: float | None = None) -> list[Finding]:
    """Uncovered branch arms and values findings (notes), and the minimum (an error)."""
    out = []
    for a in cov.templates.uncovered():
        out.append(Finding(STAGE, "uncovered-branch", describe(a), Severity.NOTE,
                           template=a.probe.file, path=f"line {a.probe.line}"))
    for a in cov.templates.unreachable():
        out.append(Finding(STAGE, "needs-cluster", describe(a) + " (depends on lookup: not counted)",
                           Severity.NOTE, template=a.probe.file, path=f"line {a.probe.line}"))
    for file, test, why in cov.unittest_notes:
        out.append(Finding(STAGE, "unittest-render", f"{file}: test {test!r}: {why}", Severity.NOTE,
                           template=file))
    for f, why in sorted(cov.templates.plan.not_instrumented.items()):
        out.append(Finding(STAGE, "not-instrumented", f"{f}: {why}", Severity.NOTE, template=f))
    v = cov.values
    for k in v.dead:
        out.append(Finding(STAGE, "dead-key", f"{k.key}: declared in {' and '.join(k.declared_in)} "
                           "but no template reads it", Severity.NOTE, path=k.key, values_keys=(k.key,)))
    for r in v.undeclared:
        out.append(Finding(STAGE, "undeclared-read", f"{r.file}:{r.line}: reads .Values.{r.path}, "
                           "which neither values.yaml nor values.schema.json declares", Severity.NOTE,
                           template=r.file, path=r.path, values_keys=(r.path,)))
    for k in v.unexercised:
        out.append(Finding(STAGE, "unexercised-key", f"{k.key}: no scenario sets it to a non-default value",
                           Severity.NOTE, path=k.key, values_keys=(k.key,)))
    pct = cov.templates.branch_percent()
    if minimum is not None and pct < minimum:
        missing = [describe(a) for a in cov.templates.uncovered()]
        out.append(Finding(STAGE, "coverage-min",
                           f"{cov.templates.chart}: branch coverage {pct:.1f}% is below {minimum:g}%; "
                           f"not taken: {'; '.join(missing[:20])}"
                           + (f" (and {len(missing) - 20} more)" if len(missing) > 20 else ""),
                           Severity.ERROR, expected=minimum, actual=round(pct, 1)))
    return out


def result(cov: ChartCoverage, minimum: float | None = None) -> StageResult:
    """The run-level result of the coverage stage for one chart."""
    return StageResult(STAGE, "(run)", findings(cov, minimum))


def text(cov: ChartCoverage) -> str:
    """Terminal output: the per-template table, then every finding on one line."""
    from chartgate.coverage.writers import summary

    v = cov.values
    lines = [f"template coverage of {cov.templates.chart} over {cov.templates.scenarios} renders "
             f"({cov.scenario_renders} scenarios, {cov.unittest_renders} helm-unittest jobs):",
             summary(cov.templates)]
    lines += [f"  {describe(a)}" for a in cov.templates.uncovered()]
    if cov.unittest_notes:
        lines.append("helm-unittest jobs not rendered exactly as helm-unittest renders them:")
        lines += [f"  {file}: test {test!r}: {why}" for file, test, why in cov.unittest_notes]
    unreachable = cov.templates.unreachable()
    if unreachable:
        lines.append(f"not counted: {len(unreachable)} arms depend on lookup, which finds nothing "
                     "without a cluster (helm template):")
        lines += [f"  {describe(a)}" for a in unreachable]
    read = sum(1 for k in v.keys if k.read_at or k not in v.dead)
    lines.append(f"values coverage: {len(v.keys)} keys, {len(v.dead)} dead, "
                 f"{len(v.unexercised)} never set by a scenario, {len(v.undeclared)} undeclared reads"
                 f" ({read} keys read)")
    lines += [f"  dead key: {k.key} ({', '.join(k.declared_in)})" for k in v.dead]
    lines += [f"  undeclared: {r.file}:{r.line}: .Values.{r.path}" for r in v.undeclared]
    lines += [f"  never set: {k.key}" for k in v.unexercised]
    return "\n".join(lines)


def values_table(v: ValuesCoverage) -> str:
    """Every values key: where it is declared, how many scenarios set it to a non-default
    value, and where a template reads it."""
    width = max([len(k.key) for k in v.keys] + [3])
    rows = [f"{'key':{width}}  {'scenarios':>9}  declared in / read at"]
    for k in v.keys:
        rows.append(f"{k.key:{width}}  {k.scenarios:>9}  {', '.join(k.declared_in)}"
                    f"{' / ' + ', '.join(k.read_at) if k.read_at else ''}")
    return "\n".join(rows) + "\n"


def write(cov: ChartCoverage, out_dir: Path) -> list[Path]:
    """LCOV, Cobertura and HTML files for one chart, and the values table (``values.txt``),
    in ``out_dir``."""
    from chartgate.coverage.writers import write_all
    from chartgate.util.files import atomic_write

    files = write_all(cov.templates, out_dir)
    atomic_write(out_dir / "values.txt", values_table(cov.values))
    return [*files, out_dir / "values.txt"]


def present(covs: list[ChartCoverage], minimum: float | None, out_dir: Path,
            say: Callable[[str], None] = print) -> list[StageResult]:
    """What ``--coverage`` does after a run: print each chart's summary and findings, write
    its files (``out_dir``, or ``out_dir/<chart>`` for several charts) and return one
    result per chart (an error result when branch coverage is below ``minimum``)."""
    results = []
    for cov in covs:
        where = out_dir if len(covs) == 1 else out_dir / cov.chart.name
        say("\n" + text(cov))
        files = write(cov, where)
        say(f"coverage files: {', '.join(str(f) for f in files)}")
        res = result(cov, minimum)
        if len(covs) > 1:
            res = StageResult(res.stage, f"{cov.chart.name}/(run)", res.findings)
        pct = cov.templates.branch_percent()
        if minimum is not None:
            verdict = "ok" if pct >= minimum else "FAIL"
            say(f"branch coverage {pct:.1f}% (minimum {minimum:g}%): {verdict}")
        results.append(res)
    return results
