"""Template coverage of the helm-unittest suites' renders (chartgate.coverage.jobs,
``stages.unittest.render_jobs``, ``renderer/coverage.go`` unittestRender).

The fixture chart ``tests/charts/unittest-covered`` has branches only its suite's jobs
take (through ``set``, a values file, release, capabilities and chart version options):
without the unittest stage they are uncovered, with it covered. A branch of a template
the suite does not render, and one only a skipped job would take, stay uncovered. Each
job's render here gives what helm-unittest asserts on (its suite passes under helm-unittest
and the same assertions hold on the renderer's output), including the job whose lookup a
``kubernetesProvider`` mock answers.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from chartgate import cache
from chartgate.cli import main
from chartgate.stages.unittest import RenderJob, SetPathError, render_jobs, run, set_path
from chartgate.tools import renderer as fast

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "tests" / "charts" / "unittest-covered"
REAL_CACHE = str(cache.root())  # pytester moves HOME; keep using the built tools
FEATURE = 'templates/configmap.yaml:13: "if .Values.feature.enabled" never taken'
ONLY_BY_JOBS = [
    FEATURE,
    'templates/_helpers.tpl:2: "if .Values.feature.enabled" never taken',
    'templates/configmap.yaml:16: "if eq .Values.mode "b"" never taken',
    'templates/configmap.yaml:19: "if .Release.IsUpgrade" never taken',
    'templates/configmap.yaml:22: "if .Capabilities.APIVersions.Has "example.com/v1"" never taken',
    'templates/configmap.yaml:28: "if eq .Chart.AppVersion "2.0"" never taken',
]
LOOKUP = 'templates/configmap.yaml:34: "with lookup "v1" "Namespace" "" "kube-system"" never taken'
STILL_UNCOVERED = [
    'templates/configmap.yaml:31: "if .Values.skippedOnly" never taken',  # its only job is skipped
    'templates/other.yaml:1: "if .Values.other" never taken',  # not among the suite's templates
]


@pytest.mark.parametrize(("path", "parts"), [
    ("a", ["a"]), ("a.b.c", ["a", "b", "c"]), ("a.b[0].c", ["a", "b", 0, "c"]),
    ("a[1][2]", ["a", 1, 2]), ("[a.b].c", ["a.b", "c"]), ("x.[a.b.c]", ["x", "a.b.c"]),
])
def test_set_paths_read_as_helm_unittest_reads_them(path: str, parts: list[Any]) -> None:
    assert set_path(path) == parts


@pytest.mark.parametrize("path", ["", "a[x]", "a=b", "a,b", "a[0]b", "a."])
def test_bad_set_paths_are_errors(path: str) -> None:
    with pytest.raises(SetPathError):
        set_path(path)


def _suite(tmp_path: Path, suite: dict[str, Any], files: dict[str, str] | None = None) -> Path:
    chart = tmp_path / "chart"
    (chart / "tests").mkdir(parents=True)
    for name, text in (files or {}).items():
        (chart / "tests" / name).write_text(text)
    (chart / "tests" / "x_test.yaml").write_text(yaml.safe_dump(suite))
    return chart


def test_suite_and_job_options_merge_as_helm_unittest_merges_them(tmp_path: Path) -> None:
    chart = _suite(tmp_path, {
        "suite": "s", "templates": ["a.yaml"], "excludeTemplates": ["b.yaml"],
        "values": ["suite.yaml"], "set": {"s.set": 1, "both": "suite"},
        "release": {"name": "r", "revision": 2}, "chart": {"appVersion": "9"},
        "capabilities": {"majorVersion": 1, "minorVersion": 31, "apiVersions": ["s/v1"]},
        "tests": [
            {"it": "job", "values": ["job.yaml"], "set": {"both": "job", "list[1].x": True},
             "release": {"namespace": "ns", "upgrade": True}, "chart": {"version": "0.9.0"},
             "capabilities": {"minorVersion": "33", "apiVersions": ["j/v1"]}, "asserts": []},
            {"it": "no apis", "capabilities": {"apiVersions": None}, "asserts": []},
            {"it": "skipped", "skip": {"reason": "r"}, "asserts": []},
        ]}, {"suite.yaml": "from: suite\nboth: file\nflag: yes\n",
             "job.yaml": "from: job\nday: 2024-01-02\n"})
    jobs, notes = render_jobs(chart, plugin_version="1.1.2")
    assert notes == [] and [j.name for j in jobs] == ["job", "no apis"]
    job, no_apis = jobs
    assert job.values == {"from": "job", "both": "job", "flag": "yes", "day": "2024-01-02",
                          "s": {"set": 1}, "list": [None, {"x": True}]}
    assert (job.templates, job.exclude_templates) == (("a.yaml",), ("b.yaml",))
    assert (job.release, job.namespace, job.revision, job.is_upgrade) == ("r", "ns", 2, True)
    assert (job.kube_major, job.kube_minor, job.api_versions) == ("1", "33", ("j/v1", "s/v1"))
    assert (job.chart_version, job.app_version) == ("0.9.0", "9")
    assert no_apis.api_versions == () and no_apis.kube_minor == "31"
    assert no_apis.values == {"from": "suite", "both": "suite", "flag": "yes", "s": {"set": 1}}


def test_a_suite_above_the_plugin_version_renders_nothing(tmp_path: Path) -> None:
    chart = _suite(tmp_path, {"skip": {"minimumVersion": "2.0.0"}, "tests": [{"it": "t", "asserts": []}]})
    assert render_jobs(chart, plugin_version="1.1.2") == ([], [])


def test_a_job_that_cannot_get_its_values_is_named(tmp_path: Path) -> None:
    chart = _suite(tmp_path, {"tests": [{"it": "t", "values": ["missing.yaml"], "asserts": []}]})
    jobs, notes = render_jobs(chart, plugin_version="1.1.2")
    assert jobs == [] and [(n.file, n.name) for n in notes] == [("tests/x_test.yaml", "t")]


def _get(doc: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(doc, dict) or part not in doc:
            return KeyError
        doc = doc[part]
    return doc


def test_each_job_renders_what_helm_unittest_asserts_on() -> None:
    outcomes, console = run(CHART)
    assert outcomes and not any(o.failed for o in outcomes.values()), console
    suite = yaml.safe_load((CHART / "tests" / "configmap_test.yaml").read_text())
    asserts = {t["it"]: t["asserts"] for t in suite["tests"]}
    jobs, notes = render_jobs(CHART)
    assert notes == []
    exact = [j for j in jobs if not j.inexact]
    assert len(exact) == len(jobs) == 5  # not the skipped job
    with fast.PersistentRenderer(fast.ensure(), workers=2) as pr:
        for job in exact:
            got = pr.unittest_covered(CHART, job.request())
            assert got.error is None, (job.name, got.error)
            assert got.text is not None and "templates/other.yaml" not in got.text
            (doc,) = [d for d in yaml.safe_load_all(got.text) if d]
            for a in asserts[job.name]:
                (kind, spec), = a.items()
                if kind == "equal":
                    assert _get(doc, spec["path"]) == spec["value"], (job.name, spec)
                elif kind == "notExists":
                    assert _get(doc, spec["path"]) is KeyError, (job.name, spec)
                else:
                    assert kind == "exists"
                    assert _get(doc, spec["path"]) is not KeyError, (job.name, spec)


def _check(tmp_path: Path, capsys: pytest.CaptureFixture[str], stages: str) -> tuple[int, str]:
    rc = main(["check", str(CHART), "--stages", stages, "--coverage", "--coverage-dir", str(tmp_path)])
    return rc, capsys.readouterr().out


def test_without_the_unittest_stage_the_jobs_branches_are_uncovered(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out = _check(tmp_path, capsys, "render")
    assert rc == 0, out[-3000:]
    assert "over 1 renders (1 scenarios, 0 helm-unittest jobs)" in out
    for line in [*ONLY_BY_JOBS, *STILL_UNCOVERED, LOOKUP]:  # (the lookup arm: listed, not counted)
        assert line in out, (line, out[-3000:])


def test_with_the_unittest_stage_the_jobs_renders_count(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out = _check(tmp_path / "a", capsys, "render,unittest")
    assert rc == 0, out[-3000:]
    assert "helm-unittest: 6 of 6 tests passed" in out
    # 5 jobs render (the skipped one does not), beside the chart's one scenario
    assert "over 6 renders (1 scenarios, 5 helm-unittest jobs)" in out, out[-3000:]
    for line in ONLY_BY_JOBS:
        assert line not in out, (line, out[-3000:])
    for line in STILL_UNCOVERED:
        assert line in out, (line, out[-3000:])
    # the job whose kubernetesProvider answers lookup takes the branch no scenario can
    assert LOOKUP not in out and "not rendered exactly" not in out, out[-3000:]
    # deterministic: the same run twice writes the same LCOV
    rc, _ = _check(tmp_path / "b", capsys, "render,unittest")
    assert rc == 0
    assert (tmp_path / "a" / "coverage.lcov").read_bytes() == (tmp_path / "b" / "coverage.lcov").read_bytes()


def test_a_render_job_request_carries_every_option() -> None:
    req = RenderJob("tests/x_test.yaml", "s", "t", {"a": 1}).request()
    assert set(req) == {"values", "templates", "exclude_templates", "release", "namespace", "revision",
                        "is_upgrade", "kube_major", "kube_minor", "api_versions", "chart_version",
                        "app_version"}
    assert (req["release"], req["namespace"], req["kube_major"], req["kube_minor"]) == (
        "RELEASE-NAME", "NAMESPACE", "1", "20")


@pytest.mark.parametrize("stages", ["render", "render,unittest"])
def test_the_plugin_counts_the_jobs_with_the_unittest_stage(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, stages: str) -> None:
    monkeypatch.setenv("CHARTGATE_CACHE", REAL_CACHE)
    pytester.makeini(textwrap.dedent(f"""
        [pytest]
        chartgate_chart = {CHART}
        chartgate_scenarios = scenarios
        chartgate_stages = {stages}
    """))
    (pytester.mkdir("scenarios") / "defaults.yaml").write_text("description: chart defaults\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--chartgate-coverage",
                                "--chartgate-coverage-dir=cov")
    out = result.stdout.str()
    if stages == "render":
        assert "(1 scenarios, 0 helm-unittest jobs)" in out and FEATURE in out, out[-3000:]
    else:
        assert "(1 scenarios, 5 helm-unittest jobs)" in out and FEATURE not in out, out[-3000:]
    assert (pytester.path / "cov" / "coverage.lcov").is_file()


def test_a_job_renders_the_suites_templates_and_the_partials(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    (chart / "templates" / "sub").mkdir(parents=True)
    (chart / "tests").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: chart\nversion: 0.1.0\n")
    for name in ("a.yaml", "b.yaml", "sub/c.yaml", "x.txt"):
        (chart / "templates" / name).write_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include \"h\" . }}\n")
    (chart / "templates" / "_h.tpl").write_text('{{ define "h" }}helper{{ end }}')
    # helm-unittest itself renders sub/c.yaml for "*.yaml" ("*" matches across directories)
    (chart / "tests" / "x_test.yaml").write_text(yaml.safe_dump({
        "suite": "s", "templates": ["*.yaml"], "excludeTemplates": ["b.yaml"], "tests": [
            {"it": "t", "asserts": [{"hasDocuments": {"count": 1}, "template": "sub/c.yaml"}]}]}))
    outcomes, console = run(chart)
    assert [o.failed for o in outcomes.values()] == [False], console
    (job,), _ = render_jobs(chart)
    with fast.PersistentRenderer(fast.ensure(), workers=1) as pr:
        got = pr.unittest_covered(chart, job.request())
        every = pr.unittest_covered(chart, RenderJob("tests/x_test.yaml", "s", "t", {}).request())
    assert got.error is None and got.text is not None
    assert [ln for ln in got.text.splitlines() if ln.startswith("# Source:")] == [
        "# Source: chart/templates/a.yaml", "# Source: chart/templates/sub/c.yaml"]
    assert "name: helper" in got.text  # the partial came along
    assert every.text is not None and "# Source: chart/templates/x.txt" in every.text


def test_a_kubernetes_provider_goes_with_the_job(tmp_path: Path) -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}
    gvr = {"version": "v1", "resource": "namespaces"}
    chart = _suite(tmp_path, {
        "kubernetesProvider": {"scheme": {"v1/Namespace": {"gvr": gvr}}, "objects": [ns]},
        "tests": [{"it": "mocked", "asserts": []},
                  {"it": "failing lookups", "kubernetesProvider": {
                      "scheme": {"v1/Secret": {"should_err": "boom"}}}, "asserts": []}]})
    (mocked, failing), notes = render_jobs(chart, plugin_version="1.1.2")
    assert notes == [] and mocked.inexact == ()
    assert mocked.request()["kubernetes_provider"] == {
        "scheme": {"v1/Namespace": {"gvr": gvr, "namespaced": False}}, "objects": [ns]}
    assert failing.inexact == (
        "kubernetesProvider scheme sets should_err: here that kind's lookup does not fail",)


def test_a_subcharts_suite_is_named_not_counted(tmp_path: Path) -> None:
    chart = _suite(tmp_path, {"tests": [{"it": "t", "asserts": []}]})
    (chart / "charts" / "sub" / "tests").mkdir(parents=True)
    (chart / "charts" / "sub" / "tests" / "y_test.yaml").write_text("tests: []\n")
    jobs, notes = render_jobs(chart, plugin_version="1.1.2")
    assert [j.name for j in jobs] == ["t"]
    assert [(n.file, n.name) for n in notes] == [("charts/sub/tests/y_test.yaml", "every test")]
