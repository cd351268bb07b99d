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

import re
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chartgate.report.model import Finding, StageResult
from chartgate.tools.helm import Helm
from chartgate.util.yamlload import SafeLoader

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


# --- the suites' renders, for template coverage ----------------------------------------------
# helm-unittest renders each test job itself (its Helm 3 engine on a copy of the chart, not
# `helm template`); these are the options it renders with, read the way it reads them, so
# the persistent renderer can repeat each render with the templates instrumented.

# What the pinned helm-unittest renders with when a suite does not say: its Helm 3 library's
# built-in Kubernetes version (the plugin is built without Helm's ldflags) and its own
# release defaults. tests/unit/test_unittest_coverage.py checks them against helm-unittest.
DEFAULT_KUBE = ("1", "20")
DEFAULT_RELEASE = "RELEASE-NAME"
DEFAULT_NAMESPACE = "NAMESPACE"


class _SuiteLoader(SafeLoader):
    """helm-unittest reads suites and values files with yaml.v3 (YAML 1.2): ``yes``/``on``
    stay strings, and a timestamp-like scalar stays a string when decoded into ``any``."""


_SuiteLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in rs if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for ch, rs in SafeLoader.yaml_implicit_resolvers.items()}
_SuiteLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _load_all(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=_SuiteLoader))


@dataclass(frozen=True)
class RenderJob:
    """One test job's render as helm-unittest makes it: the suite's options merged into the
    job's (job first), values files and ``set`` merged into ``values``. ``inexact`` names
    what the render here cannot repeat (the coverage report lists it)."""

    file: str  # the suite file, chart-relative
    suite: str
    name: str
    values: dict[str, Any]
    templates: tuple[str, ...] = ()
    exclude_templates: tuple[str, ...] = ()
    release: str = DEFAULT_RELEASE
    namespace: str = DEFAULT_NAMESPACE
    revision: int = 0
    is_upgrade: bool = False
    kube_major: str = DEFAULT_KUBE[0]
    kube_minor: str = DEFAULT_KUBE[1]
    api_versions: tuple[str, ...] = ()
    chart_version: str = ""
    app_version: str = ""
    # kubernetesProvider: {"scheme": {"v1/Secret": {"gvr": …, "namespaced": …}}, "objects": […]}
    kubernetes_provider: dict[str, Any] | None = None
    inexact: tuple[str, ...] = ()

    def request(self) -> dict[str, Any]:
        """The persistent renderer's ``job`` (``renderer/coverage.go`` unittestJob)."""
        return {"values": self.values, "templates": list(self.templates),
                "exclude_templates": list(self.exclude_templates), "release": self.release,
                "namespace": self.namespace, "revision": self.revision, "is_upgrade": self.is_upgrade,
                "kube_major": self.kube_major, "kube_minor": self.kube_minor,
                "api_versions": list(self.api_versions), "chart_version": self.chart_version,
                "app_version": self.app_version,
                **({"kubernetes_provider": self.kubernetes_provider} if self.kubernetes_provider else {})}


class SetPathError(ValueError):
    pass


def set_path(path: str) -> list[str | int]:
    """A ``set:`` key of a suite as keys and list indexes, as helm-unittest reads it:
    ``a.b[0].c`` → ``["a", "b", 0, "c"]``; ``[a.b].c`` → ``["a.b", "c"]`` (a key with dots)."""
    if not path:
        raise SetPathError("set path is empty")
    out: list[str | int] = []
    state, i, n = "key", 0, len(path)
    buffered = ""
    while True:
        j = i
        while j < n and path[j] not in ".[]{},=":
            j += 1
        token, last = path[i:j], (path[j] if j < n else "")
        i = j + 1
        if last in (",", "{", "}", "="):
            raise SetPathError(f"{path}: invalid token {last!r}")
        if not last:  # end of the path
            if state == "key" and token:
                out.append(token)
                return out
            if state == "denotation" and not token:
                return out
            raise SetPathError(f"{path}: unexpected end")
        if state == "index":
            if last != "]" or not token.lstrip("-").isdigit():
                raise SetPathError(f"{path}: bad list index {token!r}")
            out.append(int(token))
            state = "denotation"
        elif state == "denotation":
            if last not in ".[":
                raise SetPathError(f"{path}: invalid denotation {last!r}")
            state = "key" if last == "." else "index"
        elif state == "key":
            if last == ".":
                out.append(token)
            elif last == "[" and not token:
                buffered, state = "", "escaping"
            elif last == "[":
                out.append(token)
                state = "index"
            else:
                raise SetPathError(f"{path}: invalid key {last!r}")
        else:  # escaping: [a.b.c]
            if last == ".":
                buffered += token + "."
            elif last == "]":
                out.append(buffered + token)
                state = "denotation"
            else:
                raise SetPathError(f"{path}: invalid escaping {last!r}")


def _set_value(path: str, value: Any) -> dict[str, Any]:
    keys = set_path(path)
    root: dict[str, Any] = {}
    cur: Any = root
    for depth, key in enumerate(keys):
        if depth == len(keys) - 1:
            nxt = value
        elif isinstance(keys[depth + 1], int):
            nxt = [None] * (int(keys[depth + 1]) + 1)
        else:
            nxt = {}
        cur[key] = nxt
        cur = nxt
    return root


def _merge(new: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """Helm's MergeTables(new, base): ``new`` wins; tables present in both merge."""
    out = dict(new)
    for k, v in base.items():
        if k not in out:
            out[k] = v
        elif isinstance(out[k], dict) and isinstance(v, dict):
            out[k] = _merge(out[k], v)
    return out


def _text(v: Any) -> str:
    """helm-unittest's convertIToString: a string or an integer, anything else is unset."""
    if isinstance(v, str):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return ""


def _int(v: Any) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) else 0


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _strings(v: Any) -> list[str]:
    return [str(x) for x in v] if isinstance(v, list) else []


def _version_tuple(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", v.split("-")[0])[:3])


def _job(chart: Path, suite_file: Path, rel: str, suite: dict[str, Any], test: dict[str, Any],
         plugin_version: str) -> RenderJob | str | None:
    """The job's render, None when helm-unittest does not render it (skipped), or why it
    cannot be rendered here."""
    s_rel, t_rel = _dict(suite.get("release")), _dict(test.get("release"))
    s_chart, t_chart = _dict(suite.get("chart")), _dict(test.get("chart"))
    s_caps = _dict(suite.get("capabilities"))
    s_skip, t_skip = _dict(suite.get("skip")), _dict(test.get("skip"))
    minimum = str(s_skip.get("minimumVersion") or "")
    if s_skip.get("reason") or t_skip.get("reason"):
        return None
    if minimum and _version_tuple(plugin_version) < _version_tuple(minimum):
        return None
    # values: the suite's files, then the job's (relative to the suite file), then the
    # suite's `set`, then the job's — each merged over what came before
    values: dict[str, Any] = {}
    for f in [*_strings(suite.get("values")), *_strings(test.get("values"))]:
        p = Path(f) if Path(f).is_absolute() else suite_file.parent / f
        try:
            loaded = _load_all(p.read_text())
        except (OSError, yaml.YAMLError) as exc:
            return f"values file {f} cannot be read ({exc}); helm-unittest fails the job too"
        doc = loaded[0] if loaded else None
        values = _merge(doc if isinstance(doc, dict) else {}, values)
    for key, value in [*_dict(suite.get("set")).items(), *_dict(test.get("set")).items()]:
        try:
            values = _merge(_set_value(str(key), value), values)
        except SetPathError as exc:
            return f"set: {exc}; helm-unittest fails the job too"
    # capabilities: the job's, then the suite's; apiVersions of both, unless the job sets
    # its own to null (then none)
    t_caps = _dict(test.get("capabilities"))
    major = _text(t_caps.get("majorVersion")) or _text(s_caps.get("majorVersion")) or DEFAULT_KUBE[0]
    minor = _text(t_caps.get("minorVersion")) or _text(s_caps.get("minorVersion")) or DEFAULT_KUBE[1]
    apis: list[str] | None = []
    if "apiVersions" in t_caps:
        apis = ([x for x in t_caps["apiVersions"] if isinstance(x, str)]
                if isinstance(t_caps["apiVersions"], list) else None)
    if apis is not None:
        apis += _strings(s_caps.get("apiVersions"))
    # kubernetesProvider: the job's objects then the suite's; the suite's scheme entries win
    inexact = []
    t_kp, s_kp = _dict(test.get("kubernetesProvider")), _dict(suite.get("kubernetesProvider"))
    objects = [o for o in [*(t_kp.get("objects") or []), *(s_kp.get("objects") or [])] if isinstance(o, dict)]
    scheme = {**_dict(t_kp.get("scheme")), **_dict(s_kp.get("scheme"))}
    provider = None
    if objects:
        provider = {"scheme": {str(k): {"gvr": _dict(_dict(v).get("gvr")),
                                        "namespaced": bool(_dict(v).get("namespaced"))}
                               for k, v in scheme.items()}, "objects": objects}
        if any("should_err" in _dict(v) for v in scheme.values()):
            inexact.append("kubernetesProvider scheme sets should_err: here that kind's lookup does not fail")
    return RenderJob(
        file=rel, suite=str(suite.get("suite") or rel), name=str(test.get("it")), values=values,
        templates=tuple(_strings(suite.get("templates"))),
        exclude_templates=tuple(_strings(suite.get("excludeTemplates"))),
        release=str(t_rel.get("name") or s_rel.get("name") or DEFAULT_RELEASE),
        namespace=str(t_rel.get("namespace") or s_rel.get("namespace") or DEFAULT_NAMESPACE),
        revision=_int(t_rel.get("revision")) or _int(s_rel.get("revision")),
        is_upgrade=bool(t_rel.get("upgrade") or s_rel.get("upgrade")),
        kube_major=major, kube_minor=minor, api_versions=tuple(apis or ()),
        chart_version=str(t_chart.get("version") or s_chart.get("version") or ""),
        app_version=str(t_chart.get("appVersion") or s_chart.get("appVersion") or ""),
        kubernetes_provider=provider, inexact=tuple(inexact))


@dataclass(frozen=True)
class JobNote:
    """A job whose render cannot be repeated here (not counted in coverage)."""

    file: str
    name: str
    message: str


def render_jobs(chart: Path, plugin_version: str = "") -> tuple[list[RenderJob], list[JobNote]]:
    """Every render the chart's suites make under helm-unittest (skipped jobs make none),
    and the jobs that cannot be rendered here."""
    if not plugin_version:
        from chartgate.tools.versions import tool

        plugin_version = tool("helm-unittest").version
    jobs: list[RenderJob] = []
    notes: list[JobNote] = []
    for f in suite_files(chart):
        rel = f.relative_to(chart).as_posix()
        try:
            docs = _load_all(f.read_text())
        except yaml.YAMLError:
            continue  # the unittest stage reports the suite
        for suite in docs:
            if not isinstance(suite, dict) or not isinstance(suite.get("tests"), list):
                continue
            for test in suite["tests"]:
                if not isinstance(test, dict) or not test.get("it"):
                    continue
                got = _job(chart, f, rel, suite, test, plugin_version)
                if isinstance(got, str):
                    notes.append(JobNote(rel, str(test["it"]), got))
                elif got is not None:
                    jobs.append(got)
    # helm-unittest also runs the suites of subcharts unpacked under charts/ (--with-subchart)
    for f in sorted({*chart.glob(f"charts/*/{SUITE_GLOB}")}):
        notes.append(JobNote(f.relative_to(chart).as_posix(), "every test",
                             "a subchart's suite: helm-unittest runs it; its renders are not counted"))
    return jobs, notes
