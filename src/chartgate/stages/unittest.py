"""helm-unittest stage (``unittest``): a chart's own ``tests/**/*_test.yaml`` suites, run with
the pinned helm-unittest, each test one result in the gate's report.

The stage works per chart, not per scenario: the suites carry their own values. The tests
a suite declares (``tests[].it``) are read from the suite files, so the pytest plugin can
collect one item per test before anything runs; one ``helm unittest`` run per chart (JUnit
output) then decides every test. A failing test carries helm-unittest's own message
(``- asserts[0] `equal` fail … Expected to equal: 7 Actual: 1``); a declared test that did
not run, a suite helm-unittest could not load, or a run that produced no report fails too —
never a silent pass.
"""

from __future__ import annotations

import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import yaml

from chartgate.report.model import Finding, StageResult
from chartgate.tools.helm import Helm

STAGE = "unittest"
SUITE_GLOB = "tests/**/*_test.yaml"


@dataclass(frozen=True)
class UnitTest:
    """One test of one suite; ``file`` is chart-relative (``tests/deployment_test.yaml``)."""

    file: str
    suite: str
    name: str

    def result_name(self, prefix: str = "") -> str:
        return f"{prefix}{self.file}::{self.name}"


@dataclass(frozen=True)
class SuiteError:
    file: str
    message: str


def suite_files(chart: Path) -> list[Path]:
    # Path.glob's "**/" also matches no directory at all, like helm-unittest's doublestar
    return sorted({*chart.glob(SUITE_GLOB)})


def discover(chart: Path) -> tuple[list[UnitTest], list[SuiteError]]:
    """Every test the chart's suites declare, and the suite files that cannot be read."""
    tests: list[UnitTest] = []
    errors: list[SuiteError] = []
    for f in suite_files(chart):
        rel = f.relative_to(chart).as_posix()
        try:
            raw = yaml.safe_load(f.read_text())
        except yaml.YAMLError as exc:
            errors.append(SuiteError(rel, f"not valid YAML: {exc}"))
            continue
        if not isinstance(raw, dict) or not isinstance(raw.get("tests"), list):
            errors.append(SuiteError(rel, "not a helm-unittest suite (no `tests:` list)"))
            continue
        suite = str(raw.get("suite") or rel)
        for i, t in enumerate(raw["tests"]):
            name = t.get("it") if isinstance(t, dict) else None
            if not name:
                errors.append(SuiteError(rel, f"tests[{i}] has no `it:` name"))
                continue
            tests.append(UnitTest(rel, suite, str(name)))
    return tests, errors


def _message(text: str) -> str:
    """helm-unittest's JUnit failure text joins its lines with `` , ``: split them again."""
    return "\n".join(part.strip() for part in text.split(" , ") if part.strip())


@dataclass
class Outcome:
    failed: bool
    message: str
    seconds: float


def run(chart: Path, helm: Helm | None = None) -> tuple[dict[tuple[str, str], Outcome], str]:
    """One ``helm unittest`` over every suite of ``chart``: ``(suite, test) → outcome``,
    and helm-unittest's console output (for errors that are not a test's)."""
    helm = helm or Helm()
    with tempfile.TemporaryDirectory(prefix="chartgate-unittest-") as tmp:
        junit = Path(tmp) / "junit.xml"
        res = helm.unittest(chart, junit=junit, files=[SUITE_GLOB])
        console = (res.stdout + res.stderr).strip()
        if not junit.is_file():
            return {}, console
        root = ET.parse(junit).getroot()
    out: dict[tuple[str, str], Outcome] = {}
    for ts in root.iter("testsuite"):
        for tc in ts.iter("testcase"):
            node = tc.find("failure")
            if node is None:
                node = tc.find("error")
            message = _message(node.text or node.get("message") or "") if node is not None else ""
            out[(ts.get("name", ""), tc.get("name", ""))] = Outcome(
                failed=node is not None, message=message, seconds=float(tc.get("time") or 0))
    return out, console


class UnittestStage:
    """Runs a chart's suites; :meth:`results` gives one :class:`StageResult` per test."""

    name = STAGE

    def __init__(self, helm: Helm | None = None) -> None:
        self.helm = helm
        self._runs: dict[Path, tuple[dict[tuple[str, str], Outcome], str, float]] = {}

    def tests(self, chart: Path) -> list[UnitTest]:
        return discover(chart)[0]

    def outcome(self, render_path: Path) -> tuple[dict[tuple[str, str], Outcome], str, float]:
        """The chart's one helm-unittest run (done on first use)."""
        if render_path not in self._runs:
            t0 = time.perf_counter()
            outcomes, console = run(render_path, self.helm)
            self._runs[render_path] = (outcomes, console, time.perf_counter() - t0)
        return self._runs[render_path]

    def result(self, test: UnitTest, render_path: Path, prefix: str = "") -> StageResult:
        outcomes, console, _ = self.outcome(render_path)
        name = test.result_name(prefix)
        got = outcomes.get((test.suite, test.name))
        if got is None:
            why = ("helm-unittest wrote no report" if not outcomes else
                   f"suite {test.suite!r} did not run this test")
            return StageResult(STAGE, name, [Finding(
                stage=STAGE, rule="not-run", scenario=name, template=test.file, object=test.suite,
                message=f"{why}:\n{console[-3000:]}")])
        findings = []
        if got.failed:
            findings.append(Finding(stage=STAGE, rule="helm-unittest", scenario=name, template=test.file,
                                    object=test.suite, message=f"{test.name}\n{got.message}"))
        return StageResult(STAGE, name, findings, got.seconds)

    def results(self, chart: Path, render_path: Path | None = None, prefix: str = "",
                only: set[str] | None = None) -> list[StageResult]:
        """Every declared test of ``chart`` (rendering from ``render_path``, where its
        dependencies are built); ``only``: result names to keep (a shard's)."""
        tests, errors = discover(chart)
        out = [StageResult(STAGE, f"{prefix}{e.file}", [Finding(
            stage=STAGE, rule="suite", scenario=f"{prefix}{e.file}", template=e.file, message=e.message)])
            for e in errors if only is None or f"{prefix}{e.file}" in only]
        for t in tests:
            if only is None or t.result_name(prefix) in only:
                out.append(self.result(t, render_path or chart, prefix))
        return out


def unit_names(chart: Path, prefix: str = "") -> list[str]:
    """Result names :meth:`UnittestStage.results` gives, without running anything."""
    tests, errors = discover(chart)
    return [f"{prefix}{e.file}" for e in errors] + [t.result_name(prefix) for t in tests]
