"""``chartgate check PATH``: every chart under a path, each with the scenarios it brings
(:func:`chartgate.charts.chart_scenarios`) plus any scenario files given, through one
:class:`~chartgate.pipeline.Gate` per chart, and the chart's helm-unittest suites — one
report.

The work is a list of units in a stable order (per chart, sorted by path: its chart-level
checks, each scenario, its helm-unittest run), so ``shard=(k, n)`` takes every n-th unit
starting at the k-th and N shards together do exactly the unsharded work; the results of
every run are in one canonical order (:func:`sort_results`), so merged shard reports equal
the unsharded report.

A scenario directory may hold ``_defaults.yaml`` (``release``, ``namespace``,
``kubeVersion``, ``apiVersions``) for the scenarios in it that name none; without it they
render as ``helm template`` does (``release-name`` in ``default``).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chartgate import charts
from chartgate.charts import Chart, ChartDefaults, ChartError
from chartgate.pipeline import Gate, GateConfig
from chartgate.render import Rendered, Renderer
from chartgate.report.model import Finding, Report, StageResult
from chartgate.scenario import (
    ALL_STAGES,
    Defaults,
    Scenario,
    ScenarioError,
    dir_overrides,
    load_dir,
    load_file,
)
from chartgate.tools.helm import Helm

UNITTEST = "unittest"
STAGES = (*ALL_STAGES, UNITTEST)
DEFAULT_STAGES = ("render", "assertions", "k8s-schema", "values-schema", "snapshot", UNITTEST)


class NothingChecked(ValueError):
    """The run would check no scenario at all (a gate that checks nothing must not pass)."""


@dataclass
class CheckOptions:
    stages: tuple[str, ...] = DEFAULT_STAGES
    scenarios: Path | None = None  # scenario files for a single chart, besides its own
    chart_defaults: ChartDefaults = field(default_factory=ChartDefaults)
    helm_tool: str = "helm"
    use_cache: bool = True
    update_snapshots: bool = False
    fail_on_warn: bool = False
    policies: Path | None = None  # replaces the built-in pack
    extra_policies: tuple[Path, ...] = ()  # evaluated together with the pack
    base: str | None = None  # upgrade stage
    changed_since: str | None = None  # only charts changed since this ref (chart-testing list-changed)
    shard: tuple[int, int] = (1, 1)
    crd_dirs: tuple[Path, ...] = ()
    missing_schemas: str = "fail"
    progress: bool = False
    coverage: bool = False  # instrument every render: template and values coverage (chartgate.coverage)

    def __post_init__(self) -> None:
        unknown = [s for s in self.stages if s not in STAGES]
        if unknown:
            raise ValueError(f"unknown stage(s) {', '.join(unknown)}; known: {', '.join(STAGES)}")


@dataclass
class ChartPlan:
    """One chart's share of the run."""

    chart: Chart
    label: str
    prefix: str  # in front of every result name of this chart ("" for a single chart)
    render_path: Path | None = None  # None: nothing renders (library chart, or an error)
    scenarios: list[Scenario] = field(default_factory=list)
    chart_results: list[StageResult] = field(default_factory=list)  # dependency / version checks
    unittests: bool = False


@dataclass(frozen=True)
class Unit:
    chart: int  # index into the plans
    kind: str  # "chart" | "scenario" | "unittest"
    name: str = ""


def dir_defaults(directory: Path, base: ChartDefaults) -> ChartDefaults:
    """``base`` overridden by ``directory/_defaults.yaml``, if there is one."""
    return dataclasses.replace(base, **dir_overrides(directory))


def scenario_dir(path: Path) -> Path:
    """The directory of ``--scenarios`` (a scenario directory, or one scenario file in it)."""
    if not path.exists():
        raise ScenarioError(f"--scenarios {path}: no such scenario file or directory")
    return path if path.is_dir() else path.parent


def _version_result(changed: charts.Changed, prefix: str, label: str) -> StageResult:
    problem = changed.problem()
    findings = [Finding(stage="chart-version", rule="version-bump", scenario=f"{prefix}Chart.yaml",
                        template="Chart.yaml", message=problem,
                        expected=f"> {changed.old_version}", actual=changed.chart.version)] if problem else []
    return StageResult("chart-version", f"{prefix}Chart.yaml", findings)


def plan(path: Path, opts: CheckOptions, helm: Helm | None = None,
         log: Callable[[str], None] | None = None) -> list[ChartPlan]:
    """Every chart under ``path`` (only those changed since ``opts.changed_since``), with
    its scenarios and chart-level results."""
    say = log or (lambda _msg: None)
    found = charts.find_charts(path)
    changed: dict[Path, charts.Changed] = {}
    if opts.changed_since:
        changed = {c.chart.path: c for c in charts.changed_charts(found, opts.changed_since)}
        say(f"{len(changed)} of {len(found)} charts changed since {opts.changed_since}: "
            + (", ".join(c.chart.name for c in changed.values()) or "none"))
        found = [c for c in found if c.path in changed]
    if opts.scenarios is not None and len(found) != 1:
        raise ValueError(f"--scenarios goes with one chart; {path} holds {len(found)} charts "
                         "(give each chart's scenarios as its ci/*-values.yaml instead)")
    multi = len(found) > 1 or opts.changed_since is not None or not (path / "Chart.yaml").is_file()
    plans = []
    for chart in found:
        label = charts.label(chart, found)
        p = ChartPlan(chart=chart, label=label, prefix=f"{label}:" if multi else "")
        plans.append(p)
        if chart.path in changed and "upgrade" not in opts.stages:  # the upgrade stage checks it too
            p.chart_results.append(_version_result(changed[chart.path], p.prefix, label))
        if chart.library:
            say(f"{label}: library chart, rendered by the charts that depend on it")
            continue
        try:
            p.render_path = charts.render_path(chart, helm)
        except (ChartError, RuntimeError) as exc:
            p.chart_results.append(StageResult("dependencies", f"{p.prefix}Chart.yaml", [Finding(
                stage="dependencies", rule="dependencies", scenario=f"{p.prefix}Chart.yaml",
                template="Chart.yaml", message=str(exc))]))
            continue
        given: list[Scenario] = []
        defaults = opts.chart_defaults
        if opts.scenarios is not None:  # the command line wins over _defaults.yaml
            defaults = dir_defaults(scenario_dir(opts.scenarios), ChartDefaults())
            defaults = dataclasses.replace(
                defaults, kube_version=opts.chart_defaults.kube_version or defaults.kube_version,
                api_versions=(*defaults.api_versions, *opts.chart_defaults.api_versions))
            load = load_dir if opts.scenarios.is_dir() else load_file
            given = load(opts.scenarios, Defaults(
                chart=chart.path, release=defaults.release, namespace=defaults.namespace,
                kube_version=defaults.kube_version, external_objects=defaults.external_objects))
            if defaults.api_versions:
                given = [dataclasses.replace(s, args=dataclasses.replace(s.args, api_versions=(
                    *s.args.api_versions, *defaults.api_versions))) for s in given]
        own = charts.chart_scenarios(chart, p.prefix, defaults, given)
        p.scenarios = [*(dataclasses.replace(s, name=p.prefix + s.name) for s in given), *own]
        if p.render_path != chart.path:
            p.scenarios = [_moved(s, chart.path, p.render_path) for s in p.scenarios]
        from chartgate.stages.unittest import suite_files

        p.unittests = UNITTEST in opts.stages and bool(suite_files(chart.path))
    return plans


def _moved(sc: Scenario, old: Path, new: Path) -> Scenario:
    """``sc`` rendering the chart copy at ``new`` (values files inside the chart too)."""
    files = tuple(str(new / Path(f).relative_to(old)) if Path(f).is_relative_to(old) else f
                  for f in sc.args.values_files)
    return dataclasses.replace(sc, chart=new, args=dataclasses.replace(sc.args, values_files=files))


def units(plans: Sequence[ChartPlan]) -> list[Unit]:
    out = []
    for i, p in enumerate(plans):
        if p.chart_results:
            out.append(Unit(i, "chart"))
        out.extend(Unit(i, "scenario", s.name) for s in p.scenarios)
        if p.unittests:
            out.append(Unit(i, UNITTEST))
    return out


def _stage_order(stage: str) -> int:
    return STAGES.index(stage) + 1 if stage in STAGES else 0


def result_key(stage: str, name: str) -> tuple[bool, str, int]:
    """The canonical order of a report: by result name, then stage (run-level results last)."""
    return (name.endswith("(run)"), name, _stage_order(stage))


def sort_results(results: Sequence[StageResult]) -> list[StageResult]:
    return sorted(results, key=lambda r: result_key(r.stage, r.scenario))


def _absolute(result: StageResult, chart: Path) -> StageResult:
    """Chart-relative file names made absolute (several charts share one report)."""
    findings = [dataclasses.replace(f, template=str(chart / f.template))
                if f.template and not Path(f.template).is_absolute() else f for f in result.findings]
    return dataclasses.replace(result, findings=findings)


def _say_backends(gate: Gate, renderer: Renderer, say: Callable[[str], None]) -> None:
    """Which renderer and which policy pack this run used (a pip-installed chartgate must
    find both inside the package, not beside a source checkout)."""
    fast = renderer.persistent
    say(f"renderer: persistent ({getattr(fast, 'binary', '?')})" if fast is not None
        else "renderer: helm template (one process per scenario)")
    engine = getattr(gate.stages.get("policy"), "engine", None)
    if engine is not None:
        say(f"policies: {', '.join(map(str, engine.policy_dirs))}")


@dataclass
class CheckRun:
    plans: list[ChartPlan]
    report: Report
    scenarios: int  # scenarios this shard checked
    total_scenarios: int  # in the whole (unsharded) run
    coverage: list[Any] = field(default_factory=list)  # chartgate.coverage.ChartCoverage per chart


def run(path: Path, opts: CheckOptions, log: Callable[[str], None] | None = None) -> CheckRun:
    """Plan, take this shard's units, run them, one report in canonical order."""
    import time

    emit = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    def quiet(msg: str) -> None:
        if opts.progress:
            emit(f"[chartgate] {msg}")

    t0 = time.perf_counter()
    helm = Helm(opts.helm_tool)
    plans = plan(path, opts, helm, quiet)
    all_units = units(plans)
    total = sum(u.kind == "scenario" for u in all_units)
    if total == 0 and not opts.changed_since and not any(p.chart_results for p in plans):
        where = ", ".join(p.label for p in plans)
        raise NothingChecked(f"{path}: no scenario to check (charts: {where or 'none'}); a library chart "
                             "is checked through the charts that use it")
    k, n = opts.shard
    mine = charts.shard(all_units, k, n)
    if n > 1:
        quiet(f"shard {k}/{n}: {len(mine)} of {len(all_units)} units")
    renderer = Renderer(helm, use_cache=opts.use_cache, coverage=opts.coverage)
    rendered: list[Rendered] = []
    results: list[tuple[int, StageResult]] = []  # (plan index, result)
    stages = tuple(s for s in opts.stages
                   if s != UNITTEST and (s != "snapshot" or opts.scenarios is not None))
    # One gate (one OPA server, one schema cache) for every chart; the upgrade stage compares
    # each chart with its own base, so then each chart gets its own gate.
    groups = ([[i] for i in range(len(plans))] if "upgrade" in stages else [list(range(len(plans)))])
    checked = 0
    for group in groups:
        owner: dict[str, int] = {}
        selected: list[Scenario] = []
        run_level = False
        for i in group:
            names = {u.name for u in mine if u.chart == i and u.kind == "scenario"}
            chosen = [s for s in plans[i].scenarios if s.name in names]
            selected += chosen
            owner.update((s.name, i) for s in chosen)
            # run-level checks (obsolete snapshots …) once: in the shard with the chart's first scenario
            run_level |= bool(chosen) and plans[i].scenarios[0].name in names
        if not selected:
            continue
        head = plans[group[0]]
        scenario_root = scenario_dir(opts.scenarios) if opts.scenarios else Path(head.chart.path)
        config = GateConfig(chart=head.chart.path, scenarios=scenario_root, stages=stages,
                            update_snapshots=opts.update_snapshots, helm_tool=opts.helm_tool,
                            use_cache=opts.use_cache, kube_version=opts.chart_defaults.kube_version,
                            fail_on_warn=opts.fail_on_warn, progress=opts.progress,
                            policies=opts.policies, extra_policies=opts.extra_policies,
                            base=opts.base, crd_dirs=opts.crd_dirs,
                            missing_schemas=opts.missing_schemas)
        gate = Gate(config, renderer=renderer, log=emit)
        gate.set_scenarios(selected)
        quiet(f"{', '.join(plans[i].label for i in group)}: {len(selected)} scenarios")
        gate.prepare()
        rendered.extend(gate.rendered.values())
        _say_backends(gate, renderer, quiet)
        results.extend((owner[sc], gate.check(sc, stage)) for sc, stage in gate.items())
        if run_level:  # what Gate.finish does, over these charts' scenarios (not a directory's)
            every = [s.name for i in group for s in plans[i].scenarios]
            for name, stage in gate.stages.items():
                finish = getattr(stage, "finish", None)
                findings = finish(every) if finish is not None else []
                if findings:
                    label = f"{plans[group[0]].prefix}(run)" if len(group) == 1 else "(run)"
                    results.append((group[0], StageResult(name, label, list(findings))))
        checked += len(selected)
        for stage in gate.stages.values():
            close = getattr(stage, "close", None)
            if close is not None:
                close()
    unittest_stage = None
    unit_renders = None  # chartgate.coverage.jobs.UnittestRenders of every chart
    for i, p in enumerate(plans):
        todo = {u.kind for u in mine if u.chart == i}
        if "chart" in todo:
            results.extend((i, r) for r in p.chart_results)
        if UNITTEST in todo:
            from chartgate.stages.unittest import UnittestStage

            unittest_stage = unittest_stage or UnittestStage(helm)
            quiet(f"{p.label}: helm-unittest suites")
            results.extend((i, r) for r in unittest_stage.results(p.chart.path, p.render_path, p.prefix))
            if opts.coverage:  # the suites' renders count too
                from chartgate.coverage import jobs

                unit_renders = unit_renders or jobs.UnittestRenders()
                unit_renders.add(jobs.render(renderer, p.chart.path, p.render_path))
    coverage = []
    if opts.coverage:
        from chartgate.coverage import collect

        coverage = collect(renderer, rendered, unit_renders)
    renderer.close()
    multi = any(p.prefix for p in plans)
    final = [_absolute(r, plans[i].chart.path) if multi else r for i, r in results]
    report = Report(results=sort_results(final), duration=time.perf_counter() - t0)
    return CheckRun(plans=plans, report=report, scenarios=checked, total_scenarios=total,
                    coverage=coverage)
