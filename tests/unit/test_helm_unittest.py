"""The chart's helm-unittest suites, run from pytest: one item per suite file, reading a
single JUnit report of one `helm unittest` run. A suite that produced no test cases fails
(helm-unittest's users complain that skipped suites count as passed)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from chartgate.tools.helm import Helm

CHART = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "clockwork"
SUITES = sorted((CHART / "tests").glob("*_test.yaml"))


@pytest.fixture(scope="module")
def junit(tmp_path_factory: pytest.TempPathFactory) -> tuple[ET.Element, str]:
    out = tmp_path_factory.mktemp("helm-unittest") / "junit.xml"
    result = Helm().unittest(CHART, junit=out)
    assert out.exists(), f"helm unittest wrote no report:\n{result.stdout}\n{result.stderr}"
    return ET.parse(out).getroot(), result.stdout + result.stderr


def test_suites_exist() -> None:
    assert SUITES, f"no helm-unittest suites in {CHART / 'tests'}"


def _suite_name(path: Path) -> str:
    for line in path.read_text().splitlines():
        if line.startswith("suite:"):
            return line.split(":", 1)[1].strip().strip("'\"")
    return ""


def _problem(tc: ET.Element) -> str:
    node = tc.find("failure")
    if node is None:
        node = tc.find("error")
    return (node.text or node.get("message") or "") if node is not None else ""


@pytest.mark.parametrize("suite", SUITES, ids=[p.stem for p in SUITES])
def test_suite_passes(suite: Path, junit: tuple[ET.Element, str]) -> None:
    root, output = junit
    name = _suite_name(suite)
    assert name, f"{suite.name}: no `suite:` name"
    matches = [ts for ts in root.iter("testsuite") if ts.get("name") == name]
    assert matches, f"suite {name!r} ({suite.name}) did not run:\n{output[-3000:]}"
    cases = [tc for ts in matches for tc in ts.iter("testcase")]
    assert cases, f"suite {name!r} ran no test cases"
    failed = [tc for tc in cases if tc.find("failure") is not None or tc.find("error") is not None]
    details = "\n".join(f"- {tc.get('name')}: {_problem(tc)}" for tc in failed)
    assert not failed, f"{len(failed)} of {len(cases)} tests failed in {suite.name}:\n{details}"


def test_at_least_sixty_tests(junit: tuple[ET.Element, str]) -> None:
    root, _ = junit
    total = sum(1 for _ in root.iter("testcase"))
    assert total >= 60, f"helm-unittest ran {total} tests; the chart needs >= 60"
