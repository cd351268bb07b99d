"""pytest plugin: every scenario file becomes test items, one per scenario × stage.

Scenarios are rendered once per session (in parallel, on first use) and every stage
item reads that render. Options live under the "chartgate" group; defaults can be set
in ``[tool.pytest.ini_options]`` (``chartgate_chart``, ``chartgate_scenarios``,
``chartgate_stages``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from chartgate.gate_options import add_shared
from chartgate.pipeline import STATIC_STAGES, Gate, GateConfig
from chartgate.render import Rendered
from chartgate.render_args import DEFAULT_KUBE_VERSION, DEFAULT_NAMESPACE, DEFAULT_RELEASE, TemplateArgs
from chartgate.report import writers
from chartgate.report.model import Finding, Report, Severity, StageResult
from chartgate.scenario import Defaults, Scenario, ScenarioError, dir_overrides, load_file

GATE_KEY = pytest.StashKey[Gate]()
RESULTS_KEY = pytest.StashKey[list[StageResult]]()
UNITTEST_KEY = pytest.StashKey[bool]()
UNITTEST_STAGE_KEY = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chartgate", "Helm chart gate")
    group.addoption("--chartgate-chart", help="chart directory (ini: chartgate_chart)")
    group.addoption("--chartgate-scenarios", help="scenario directory (ini: chartgate_scenarios)")
    group.addoption("--chartgate-stages",
                    help="comma-separated stages to run per scenario (ini: chartgate_stages)")
    group.addoption("--update-snapshots", action="store_true", help="rewrite scenario snapshots")
    group.addoption("--chartgate-sarif", metavar="FILE", help="also write findings as SARIF")
    group.addoption("--chartgate-report", metavar="FILE", help="also write findings as JSON")
    group.addoption("--chartgate-base", metavar="REF",
                    help="also run the upgrade stage: upgrade from this chart (a git ref, a chart "
                         "directory or a packaged .tgz; ini: chartgate_base)")
    add_shared(group.addoption, prefix="chartgate-")
    parser.addini("chartgate_chart", "chart directory", default="deploy/helm/clockwork")
    parser.addini("chartgate_scenarios", "scenario directory", default="tests/scenarios")
    parser.addini("chartgate_stages", "stages to run", default=",".join(STATIC_STAGES))
    parser.addini("chartgate_policies", "policy directory (default: the built-in pack)", default="")
    parser.addini("chartgate_base", "upgrade stage: the chart to upgrade from (git ref, directory "
                  "or .tgz)", default="")


def _opt(config: pytest.Config, name: str) -> str:
    value = config.getoption(f"--chartgate-{name}")
    return str(value) if value else str(config.getini(f"chartgate_{name}"))


def gate_for(config: pytest.Config) -> Gate:
    if GATE_KEY not in config.stash:
        root = Path(str(config.rootpath))
        stages = tuple(s.strip() for s in _opt(config, "stages").split(",") if s.strip())
        base = _opt(config, "base") or None
        if base and "upgrade" not in stages:
            stages = (*stages, "upgrade")
        config.stash[UNITTEST_KEY] = "unittest" in stages  # per chart, not per scenario: own items
        stages = tuple(s for s in stages if s != "unittest")
        policies = _opt(config, "policies")
        gc = GateConfig(chart=(root / _opt(config, "chart")).resolve(),
                        scenarios=(root / _opt(config, "scenarios")).resolve(),
                        stages=stages, update_snapshots=bool(config.getoption("--update-snapshots")),
                        helm_tool=str(config.getoption("--chartgate-helm")),
                        use_cache=not config.getoption("--chartgate-no-cache"),
                        policies=(root / policies).resolve() if policies else None, base=base,
                        extra_policies=tuple((root / d).resolve()
                                             for d in config.getoption("--chartgate-extra-policies")),
                        coverage=bool(config.getoption("--chartgate-coverage")
                                      or config.getoption("--chartgate-coverage-min") is not None))
        config.stash[GATE_KEY] = Gate(gc)
        config.stash[RESULTS_KEY] = []
    return config.stash[GATE_KEY]


def _is_scenario_file(config: pytest.Config, path: Path) -> bool:
    if path.suffix not in (".yaml", ".yml") or path.name.startswith("_"):
        return False
    scenarios = gate_for(config).config.scenarios
    return scenarios in path.resolve().parents


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if _is_scenario_file(parent.config, file_path):
        return ScenarioFile.from_parent(parent, path=file_path)
    if _is_suite_file(parent.config, file_path):
        return UnittestSuiteFile.from_parent(parent, path=file_path)
    return None


# --- the unittest stage: one item per helm-unittest test of the chart -----------------------
def _suites(config: pytest.Config) -> list[Path]:
    gate = gate_for(config)
    if not config.stash[UNITTEST_KEY]:
        return []
    from chartgate.stages.unittest import suite_files

    return [p.resolve() for p in suite_files(gate.config.chart)]


def _is_suite_file(config: pytest.Config, path: Path) -> bool:
    return path.name.endswith("_test.yaml") and path.resolve() in _suites(config)


class UnittestSuiteFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        from chartgate.stages.unittest import discover

        chart = gate_for(self.config).config.chart
        tests, errors = discover(chart)
        rel = self.path.resolve().relative_to(chart).as_posix()
        for e in errors:
            if e.file == rel:
                raise self.CollectError(f"{self.path}: {e.message}")
        for t in tests:
            if t.file == rel:
                yield UnittestItem.from_parent(self, name=f"{t.name}::unittest", test=t)


class UnittestItem(pytest.Item):
    def __init__(self, *, test: Any, **kw: Any) -> None:
        super().__init__(**kw)
        self.test = test
        self.add_marker(pytest.mark.chartgate_unittest)

    def runtest(self) -> None:
        config = self.config
        if UNITTEST_STAGE_KEY not in config.stash:
            from chartgate.charts import Chart, render_path
            from chartgate.stages.unittest import UnittestStage

            gate = gate_for(config)
            chart = gate.config.chart
            config.stash[UNITTEST_STAGE_KEY] = (UnittestStage(gate.renderer.helm),
                                                render_path(Chart.load(chart), gate.renderer.helm))
        stage, path = config.stash[UNITTEST_STAGE_KEY]
        result = stage.result(self.test, path)
        config.stash[RESULTS_KEY].append(result)
        if result.failed:
            raise ScenarioFailure(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailure):
            r = excinfo.value.result
            body = "\n\n".join(f.message for f in r.findings)
            head = f"helm-unittest test {self.test.name!r} of suite {self.test.suite!r} ({self.path}) failed"
            return f"{head}:\n{body}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"helm-unittest {self.test.suite} :: {self.test.name}"


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        gate = gate_for(self.config)
        gc = gate.config
        try:  # the scenario directory's _defaults.yaml, as the gate and `chartgate check` read it
            defaults = Defaults(chart=gc.chart, release=gc.release, namespace=gc.namespace,
                                kube_version=gc.kube_version)
            scenarios = load_file(self.path, dataclasses.replace(defaults, **dir_overrides(gc.scenarios)))
        except ScenarioError as exc:
            raise self.CollectError(str(exc)) from exc
        for sc in scenarios:
            for stage in gc.stages:
                if stage == "render" or sc.wants(stage):
                    yield ScenarioItem.from_parent(self, name=f"{sc.name}::{stage}", scenario=sc,
                                                   stage=stage)


class ScenarioFailure(Exception):
    def __init__(self, result: StageResult) -> None:
        super().__init__(result.scenario)
        self.result = result


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario, stage: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.scenario = scenario
        self.stage = stage
        self.add_marker(getattr(pytest.mark, f"chartgate_{stage.replace('-', '_')}"))

    def runtest(self) -> None:
        gate = gate_for(self.config)
        result = gate.check(self.scenario.name, self.stage)
        self.config.stash[RESULTS_KEY].append(result)
        for f in result.findings:
            if f.severity is not Severity.ERROR:
                self.add_report_section("call", "chartgate", f.render())
        if result.skipped:
            pytest.skip(result.skipped)
        if result.failed:
            raise ScenarioFailure(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailure):
            r = excinfo.value.result
            desc = f" — {self.scenario.description}" if self.scenario.description else ""
            head = f"scenario {r.scenario!r} failed stage {r.stage!r}{desc} ({self.scenario.file})"
            body = "\n\n".join(f.render() for f in r.findings if f.severity is Severity.ERROR)
            return f"{head}\n\n{body}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario {self.scenario.name} [{self.stage}]"


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    """Hand the gate exactly the collected scenarios, so they render once, together."""
    seen: dict[str, Scenario] = {}
    for item in items:
        if isinstance(item, ScenarioItem):
            other = seen.setdefault(item.scenario.name, item.scenario)
            if other.file != item.scenario.file:
                raise pytest.UsageError(f"scenario name {item.scenario.name!r} is used by both "
                                        f"{other.file} and {item.scenario.file}")
    if seen:
        gate_for(config).set_scenarios(list(seen.values()))
        # the chart's suites run with its scenarios even though they live in the chart
        collected = {item.path.resolve() for item in items if isinstance(item, UnittestItem)}
        for suite in _suites(config):
            if suite not in collected:
                items.extend(i for i in UnittestSuiteFile.from_parent(session, path=suite).collect()
                             if isinstance(i, pytest.Item))


def pytest_configure(config: pytest.Config) -> None:
    for stage in ("render", "assertions", "k8s_schema", "values_schema", "policy", "snapshot", "upgrade",
                  "unittest"):
        config.addinivalue_line("markers", f"chartgate_{stage}: chartgate {stage} stage item")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if GATE_KEY not in config.stash or not config.stash[GATE_KEY].stages:
        return
    gate = config.stash[GATE_KEY]
    results = config.stash[RESULTS_KEY]
    if session.testsfailed == 0 and not session.shouldfail and results:
        run_level = gate.finish()
        if run_level:
            results.extend(run_level)
            for r in run_level:
                for f in r.findings:
                    print(f"\nchartgate: {f.render()}")
            if any(r.failed for r in run_level):
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if gate.config.coverage and gate.rendered and not hasattr(config, "workerinput"):
        from chartgate import coverage

        unit = None
        if config.stash.get(UNITTEST_KEY, False) and _suites(config):  # the suites' renders count too
            from chartgate.charts import Chart, render_path
            from chartgate.coverage import jobs

            chart = gate.config.chart
            unit = jobs.render(gate.renderer, chart, render_path(Chart.load(chart), gate.renderer.helm),
                               key=chart)
        covs = coverage.collect(gate.renderer, gate.rendered.values(), unit)
        root = Path(str(config.rootpath))
        cov_results = coverage.present(covs, config.getoption("--chartgate-coverage-min"),
                                       root / str(config.getoption("--chartgate-coverage-dir")))
        results.extend(cov_results)
        if any(r.failed for r in cov_results):
            for r in cov_results:
                for f in r.findings:
                    if f.severity is Severity.ERROR:
                        print(f"\nchartgate: {f.render()}")
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    report = Report(results=list(results))
    writers.write_all(report, {"sarif": config.getoption("--chartgate-sarif"),
                               "json": config.getoption("--chartgate-report")},
                      writers.Options(root=Path(str(config.rootpath)), chart=gate.config.chart))


# --- fixtures for Python tests ----------------------------------------------------------
@pytest.fixture(scope="session")
def chartgate_gate(pytestconfig: pytest.Config) -> Gate:
    """The session's gate (same renderer and cache as the scenario items)."""
    return gate_for(pytestconfig)


@pytest.fixture(scope="session")
def render_chart(chartgate_gate: Gate) -> Callable[..., Rendered]:
    """Render the configured chart with ad-hoc inputs through the session's renderer:
    ``render_chart(values=["values-prod.yaml"], set={"ingress.enabled": True})``."""
    import json

    from chartgate.scenario import Expectations, nest_set

    def _render(values: tuple[str, ...] | list[str] = (), set: Mapping[str, Any] | None = None,
                release: str = DEFAULT_RELEASE, namespace: str = DEFAULT_NAMESPACE,
                kube_version: str | None = DEFAULT_KUBE_VERSION, name: str = "adhoc") -> Rendered:
        gc = chartgate_gate.config
        files = tuple(str(v if Path(v).is_absolute() else gc.chart / v) for v in values)
        flat = dict(set or {})
        args = TemplateArgs(release=release, namespace=namespace, values_files=files,
                            set_json=tuple((k, json.dumps(v)) for k, v in flat.items()),
                            kube_version=kube_version)
        sc = Scenario(name=name, file=gc.scenarios, chart=gc.chart, args=args, values=nest_set(flat),
                      expect=Expectations())
        return chartgate_gate.renderer.render(sc)

    return _render


__all__ = ["Finding", "ScenarioFailure", "ScenarioItem", "gate_for"]
