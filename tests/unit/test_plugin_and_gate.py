"""The pipeline end to end on tiny fixture charts with the real pinned helm: scenario
files become pytest items, each scenario renders once, a broken expectation fails the
gate with a readable message, and a broken chart names its template and values key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from chartgate import cache
from chartgate.pipeline import Gate, GateConfig
from chartgate.render import Renderer

FIXTURES = Path(__file__).parent / "fixtures"
REAL_CACHE = str(cache.root())  # pytester moves HOME; keep using the built tools
pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _real_tool_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARTGATE_CACHE", REAL_CACHE)


def _project(pytester: pytest.Pytester, chart: str, scenarios: dict[str, str]) -> None:
    pytester.makeini(textwrap.dedent(f"""
        [pytest]
        chartgate_chart = {FIXTURES / chart}
        chartgate_scenarios = scenarios
        chartgate_stages = render,assertions
    """))
    d = pytester.mkdir("scenarios")
    for name, text in scenarios.items():
        (d / f"{name}.yaml").write_text(textwrap.dedent(text))


GOOD = """
    description: tiny defaults
    release: demo
    expect:
      present: [Deployment/demo-web, Service/demo-web]
      assertions:
        - equal: {path: spec.replicas, value: 1}
          select: {kind: Deployment}
"""


def test_scenarios_become_items_and_pass(pytester: pytest.Pytester) -> None:
    _project(pytester, "tiny-chart", {"good": GOOD})
    result = pytester.runpytest("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*good.yaml::good::render PASSED*",
                                 "*good.yaml::good::assertions PASSED*"])


def test_breaking_one_expectation_fails_the_gate(pytester: pytest.Pytester) -> None:
    broken = GOOD.replace("value: 1}", "value: 3}")
    _project(pytester, "tiny-chart", {"good": GOOD, "broken": broken.replace("tiny defaults", "x")})
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines([
        "*scenario 'broken' failed stage 'assertions'*",
        "*Deployment/demo-web*templates/deployment.yaml*spec.replicas*",
        "*expected: 3*", "*actual: * 1*"])


def test_broken_chart_names_template_and_values_key(pytester: pytest.Pytester) -> None:
    _project(pytester, "broken-chart", {"default": "description: defaults\n"})
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*renders: helm template failed*",
                                 "*at (templates/service.yaml:7)*",
                                 "*values: service.port.number*"])


def test_invalid_scenario_file_is_a_collection_error(pytester: pytest.Pytester) -> None:
    _project(pytester, "tiny-chart", {"bad": "expect:\n  presnt: [Deployment/x]\n"})
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*bad.yaml: invalid scenario file*", "*expect*presnt*"])


def test_each_scenario_renders_once_then_comes_from_cache(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    scen = tmp_path / "scenarios"
    scen.mkdir()
    for i in range(3):
        (scen / f"s{i}.yaml").write_text(f"release: r{i}\nexpect: {{present: [Deployment/r{i}-web]}}\n")
    config = GateConfig(chart=FIXTURES / "tiny-chart", scenarios=scen, stages=("render", "assertions"))
    first = Gate(config, renderer=Renderer(cache_dir=tmp_path / "render"))
    report = first.run()
    assert not report.failed, [f.render() for f in report.findings()]
    assert first.renderer.renders == 3
    assert len(report.results) == 6
    second = Gate(config, renderer=Renderer(first.renderer.helm, cache_dir=tmp_path / "render"))
    assert not second.run().failed
    assert second.renderer.renders == 0
    assert all(r.cache_hit for r in second.rendered.values())
