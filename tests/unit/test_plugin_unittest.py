"""The plugin on charts other than clockwork: with the unittest stage each helm-unittest
test of the configured chart is a pytest item (collected beside the scenario items, though
the suites live in the chart), its result goes to the same SARIF/JSON report and a failure
shows helm-unittest's message; a scenario directory's _defaults.yaml applies."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from chartgate import cache

CHART = Path(__file__).resolve().parents[1] / "charts" / "with-ci-values"
REAL_CACHE = str(cache.root())  # pytester moves HOME; keep using the built tools
pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _real_tool_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARTGATE_CACHE", REAL_CACHE)


def _project(pytester: pytest.Pytester, chart: Path) -> None:
    pytester.makeini(textwrap.dedent(f"""
        [pytest]
        chartgate_chart = {chart}
        chartgate_scenarios = scenarios
        chartgate_stages = render,unittest
    """))
    (pytester.mkdir("scenarios") / "defaults.yaml").write_text("description: chart defaults\n")


def test_each_helm_unittest_test_is_an_item(pytester: pytest.Pytester) -> None:
    _project(pytester, CHART)
    result = pytester.runpytest("-p", "no:cacheprovider", "-v", "--chartgate-report=report.json")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines([
        "*deployment_test.yaml::runs one replica by default::unittest PASSED*",
        "*pod_test.yaml::runs as non-root with a read-only root filesystem::unittest PASSED*"])
    results = json.loads((pytester.path / "report.json").read_text())["results"]
    assert sorted(r["stage"] for r in results) == ["render", "unittest", "unittest", "unittest"]


def test_a_failing_test_shows_helm_unittests_message(pytester: pytest.Pytester) -> None:
    chart = pytester.path / "chart"
    shutil.copytree(CHART, chart)
    suite = chart / "tests" / "deployment_test.yaml"
    suite.write_text(suite.read_text().replace("value: 1}", "value: 7}"))
    _project(pytester, chart)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*helm-unittest test 'runs one replica by default' of suite 'deployment'*",
                                 "*asserts[[]0[]] `equal` fail*", "*Path:spec.replicas*",
                                 "*Expected to equal:*"])


def test_scenario_dir_defaults_apply_to_the_plugins_items(pytester: pytest.Pytester) -> None:
    """A scenario directory's _defaults.yaml is read by the plugin as by `chartgate check`."""
    tiny = Path(__file__).resolve().parent / "fixtures" / "tiny-chart"
    pytester.makeini(f"[pytest]\nchartgate_chart = {tiny}\nchartgate_scenarios = scenarios\n"
                     "chartgate_stages = render,assertions\n")
    d = pytester.mkdir("scenarios")
    (d / "_defaults.yaml").write_text("release: fromdefaults\n")
    (d / "one.yaml").write_text("expect: {present: [Deployment/fromdefaults-web]}\n")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)
    (d / "_defaults.yaml").write_text("release: [not, a, name]\nbogus: 1\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*_defaults.yaml: unknown key(s) bogus*"])
