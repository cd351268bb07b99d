"""The one pipeline: scenarios → render once → stages → report.

Both the pytest plugin and the CLI drive a :class:`Gate`; neither renders on its own.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from chartgate.base_chart import BaseChart
from chartgate.render import Rendered, Renderer
from chartgate.render_args import DEFAULT_KUBE_VERSION, DEFAULT_NAMESPACE, DEFAULT_RELEASE
from chartgate.report.model import Finding, Report, StageResult
from chartgate.scenario import ALL_STAGES, Defaults, Scenario, dir_overrides, load_dir
from chartgate.stages.base import Stage
from chartgate.tools.helm import Helm
from chartgate.util.ci import in_ci

STATIC_STAGES = ("render", "assertions", "k8s-schema", "values-schema", "snapshot")
BACKGROUND_STAGES = ("policy",)  # prepared concurrently with the others (they wait on a server)


@dataclass
class GateConfig:
    chart: Path
    scenarios: Path
    stages: tuple[str, ...] = STATIC_STAGES
    snapshot_dir: Path | None = None
    update_snapshots: bool = False
    ci: bool = field(default_factory=in_ci)
    helm_tool: str = "helm"
    use_cache: bool = True
    kube_version: str | None = DEFAULT_KUBE_VERSION
    release: str = DEFAULT_RELEASE
    namespace: str = DEFAULT_NAMESPACE
    fail_on_warn: bool = False
    progress: bool = False
    policy_data: tuple[Path, ...] | None = None  # data files/dirs (default: <policies>/data)
    policies: Path | None = None  # conftest-style policy dir (default: the built-in pack)
    extra_policies: tuple[Path, ...] = ()  # policy dirs evaluated with the pack (or with `policies`)
    base: str | None = None  # upgrade stage: git ref, chart directory or .tgz to upgrade from
    coverage: bool = False  # instrument every render: template and values coverage (chartgate.coverage)
    crd_dirs: tuple[Path, ...] = ()  # k8s-schema: CRD manifests besides each chart's crds/
    missing_schemas: str = "fail"  # k8s-schema: a kind no schema covers: fail | warn | skip

    def __post_init__(self) -> None:
        unknown = [s for s in self.stages if s not in ALL_STAGES]
        if unknown:
            raise ValueError(f"unknown stage(s) {', '.join(unknown)}; known: {', '.join(ALL_STAGES)}")


def make_stage(name: str, config: GateConfig) -> Stage:
    """Instantiate a stage by name (imports lazily: policy needs OPA, others don't)."""
    if name == "render":
        from chartgate.stages.render_stage import RenderStage
        return RenderStage()
    if name == "assertions":
        from chartgate.stages.assertions import AssertionsStage
        return AssertionsStage()
    if name == "k8s-schema":
        from chartgate.stages.k8s_schema import K8sSchemaStage
        return K8sSchemaStage(crd_schema_dir=config.crd_dirs, result_cache=config.use_cache,
                              missing=config.missing_schemas)
    if name == "values-schema":
        from chartgate.stages.values_schema import ValuesSchemaStage
        return ValuesSchemaStage(result_cache=config.use_cache)
    if name == "snapshot":
        from chartgate.stages.snapshot import SnapshotStage
        snap_dir = config.snapshot_dir or config.scenarios.parent / "snapshots"
        return SnapshotStage(snap_dir, update=config.update_snapshots, ci=config.ci)
    if name == "policy":
        from chartgate.policy.engine import policy_dirs
        from chartgate.stages.policy import PolicyStage
        own = config.chart if (config.chart / "Chart.yaml").is_file() else None  # the chart's policies/
        return PolicyStage(policy_dir=policy_dirs(config.policies, config.extra_policies, own),
                           data=config.policy_data,
                           result_cache=config.use_cache)
    if name == "upgrade":
        from chartgate.stages.upgrade import UpgradeStage
        return UpgradeStage(config.chart)
    raise ValueError(f"unknown stage {name!r}")


class Gate:
    """Loads scenarios, renders each exactly once, runs stages, collects a report."""

    def __init__(self, config: GateConfig, renderer: Renderer | None = None,
                 log: Callable[[str], None] | None = None) -> None:
        self.config = config
        self._renderer = renderer
        self._log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
        self.scenarios: list[Scenario] = []
        self.rendered: dict[str, Rendered] = {}
        self.stages: dict[str, Stage] = {}
        self._prepared = False
        self._base: BaseChart | None = None

    @property
    def renderer(self) -> Renderer:
        """Created on first use, so collecting tests never needs helm."""
        if self._renderer is None:
            self._renderer = Renderer(Helm(self.config.helm_tool), use_cache=self.config.use_cache,
                                      coverage=self.config.coverage)
        return self._renderer

    def log(self, msg: str) -> None:
        if self.config.progress:
            self._log(f"[chartgate] {msg}")

    def defaults(self) -> Defaults:
        """The configuration's template inputs, overridden by the scenario directory's
        ``_defaults.yaml`` (as the pytest plugin and ``chartgate check`` read it)."""
        base = Defaults(chart=self.config.chart.resolve(), release=self.config.release,
                        namespace=self.config.namespace, kube_version=self.config.kube_version)
        return dataclasses.replace(base, **dir_overrides(self.config.scenarios))

    def load(self) -> list[Scenario]:
        defaults = self.defaults()
        from chartgate import scenario_cache

        self.scenarios = scenario_cache.load(self.config.scenarios, defaults, use_cache=self.config.use_cache)
        self.log(f"{len(self.scenarios)} scenarios from {self.config.scenarios}")
        return self.scenarios

    def set_scenarios(self, scenarios: list[Scenario]) -> None:
        self.scenarios = scenarios

    def prepare(self) -> None:
        """Render every scenario once (in parallel) and let stages batch their work."""
        if self._prepared:
            return
        if not self.scenarios:
            self.load()
        for name in self.config.stages:
            self.stages[name] = make_stage(name, self.config)
        for stage in self.stages.values():  # e.g. start OPA while rendering
            warm_up = getattr(stage, "warm_up", None)
            if warm_up is not None:
                warm_up()
        t0 = time.perf_counter()
        base = self._base_scenarios()
        # stages that can start on each render as it arrives (observe) work while the
        # renderer is still busy with the next ones
        observers = [ob for ob in (getattr(st, "observe", None) for st in self.stages.values()) if ob]
        self.rendered = {}
        for name, future in self.renderer.submit_all(self.scenarios).items():
            self.rendered[name] = future.result()
            for observe in observers:
                observe(self.rendered[name])
        hits = sum(r.cache_hit for r in self.rendered.values())
        self.log(f"rendered {len(self.rendered)} scenarios"
                 f" in {time.perf_counter() - t0:.2f}s ({hits} from cache, {self.renderer.renders} renders)")
        if "upgrade" in self.stages:
            from chartgate.stages.upgrade import UpgradeStage

            # The base renders run in the background, through the same renderer and cache,
            # while the other stages check the head renders; the upgrade stage waits for
            # each scenario's base render when it gets to that scenario.
            self.log(f"rendering {len(base)} scenarios with the base chart in the background")
            pending = self.renderer.submit_all(base.values())
            stage = self.stages["upgrade"]
            assert isinstance(stage, UpgradeStage) and self._base is not None
            stage.set_base(self._base.path, self._base.label,
                           {s.name: (pending[base[s.name].name] if s.name in base else None)
                            for s in self.scenarios})
        # The policy stage mostly waits for OPA (another process) to evaluate the batch:
        # it prepares in a thread while the Python stages prepare here.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chartgate-stage") as pool:
            waiting = [pool.submit(self._prepare_stage, n, s) for n, s in self.stages.items()
                       if n in BACKGROUND_STAGES]
            for name, stage in self.stages.items():
                if name not in BACKGROUND_STAGES:
                    self._prepare_stage(name, stage)
            for f in waiting:
                f.result()
        self._prepared = True

    def _prepare_stage(self, name: str, stage: Stage) -> None:
        t1 = time.perf_counter()
        stage.prepare(self.rendered)
        self.log(f"stage {name}: prepared in {time.perf_counter() - t1:.2f}s")

    def _base_scenarios(self) -> dict[str, Scenario]:
        """Each scenario that runs the upgrade stage, aimed at the base chart (same values,
        release, namespace and Kubernetes version; values files inside the chart are taken
        from the base chart when it has them). Keyed by the head scenario's name."""
        if "upgrade" not in self.stages:
            return {}
        from chartgate import base_chart

        if not self.config.base:
            raise ValueError("the upgrade stage needs a base chart: pass --base REF "
                             "(a git ref, a chart directory or a packaged .tgz)")
        head = self.config.chart.resolve()
        self._base = found = base_chart.resolve(self.config.base, head)
        self.log(f"upgrade base: {found.label}")
        out = {}
        for sc in self.scenarios:
            if not sc.wants("upgrade") or sc.chart.resolve() != head:
                continue
            values = []
            for vf in sc.args.values_files:
                p = Path(vf)
                if p.is_relative_to(head) and (found.path / p.relative_to(head)).is_file():
                    p = found.path / p.relative_to(head)
                values.append(str(p))
            out[sc.name] = dataclasses.replace(
                sc, name=f"{sc.name}@base", chart=found.path,
                args=dataclasses.replace(sc.args, values_files=tuple(values)))
        return out

    def check(self, scenario: str, stage: str) -> StageResult:
        self.prepare()
        rendered = self.rendered[scenario]
        sc = rendered.scenario
        if stage != "render" and not sc.wants(stage):
            return StageResult(stage, scenario, skipped=f"scenario {scenario} does not run {stage}")
        # values-schema needs no render: it says which values file broke a failed render
        if stage not in ("render", "values-schema") and not rendered.ok:
            return StageResult(stage, scenario,
                               skipped="scenario did not render (see its render result)")
        t0 = time.perf_counter()
        findings: list[Finding] = self.stages[stage].check(rendered)
        return StageResult(stage, scenario, findings, time.perf_counter() - t0)

    def items(self) -> list[tuple[str, str]]:
        """(scenario, stage) pairs that apply, in a stable order."""
        return [(s.name, st) for s in self.scenarios for st in self.config.stages
                if st == "render" or s.wants(st)]

    def all_scenario_names(self) -> list[str]:
        """Every scenario in the scenario directory, even those this run did not select."""
        return [s.name for s in load_dir(self.config.scenarios, self.defaults())]

    def finish(self) -> list[StageResult]:
        """Run-level checks after every item (e.g. obsolete snapshots)."""
        out = []
        names: list[str] | None = None
        for name, stage in self.stages.items():
            fin = getattr(stage, "finish", None)
            if fin is not None:
                names = names if names is not None else self.all_scenario_names()
                findings = fin(names)
                if findings:
                    out.append(StageResult(name, "(run)", list(findings)))
        return out

    def run(self) -> Report:
        t0 = time.perf_counter()
        self.prepare()
        report = Report()
        for scenario, stage in self.items():
            report.results.append(self.check(scenario, stage))
        report.results.extend(self.finish())
        report.duration = time.perf_counter() - t0
        return report


def summary(report: Report) -> Mapping[str, Mapping[str, str]]:
    """scenario → stage → status, for the CLI table."""
    table: dict[str, dict[str, str]] = {}
    for r in report.results:
        table.setdefault(r.scenario, {})[r.stage] = r.status
    return table
