"""`chartgate check CHART` with no other argument, on charts that are not clockwork: the
chart's defaults, its ci/*-values.yaml and its helm-unittest suites are checked; each fixture
chart passes, and a broken copy of each fails naming the file and the object."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import pytest
import yaml

from chartgate.cli import main

CHARTS = Path(__file__).resolve().parents[1] / "charts"
FIXTURES = ["crd-widgets", "with-local-dep", "with-tgz-dep", "with-ci-values", "uses-library"]


def _check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, dict]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        rc = main(["check", *argv, "--json", str(report)])
        captured = capsys.readouterr()
        data = json.loads(report.read_text()) if report.exists() else {}
    return rc, captured.out + captured.err, data


def _failed(data: dict) -> list[tuple[str, str, dict]]:
    return [(r["scenario"], r["stage"], f) for r in data["results"] for f in r["findings"]
            if f["severity"] == "error"]


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_chart_passes_with_no_other_argument(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, data = _check(capsys, str(CHARTS / name))
    assert rc == 0, out
    names = {r["scenario"] for r in data["results"]}
    assert "defaults" in names
    assert not _failed(data)


def test_ci_values_and_unittest_suites_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, data = _check(capsys, str(CHARTS / "with-ci-values"))
    assert rc == 0, out
    scenarios = {r["scenario"] for r in data["results"] if r["stage"] == "render"}
    assert scenarios == {"defaults", "ci/ha-values", "ci/pinned-values"}
    unit = {r["scenario"]: r["status"] for r in data["results"] if r["stage"] == "unittest"}
    assert unit == {
        "tests/deployment_test.yaml::runs one replica by default": "passed",
        "tests/deployment_test.yaml::names the image from values": "passed",
        "tests/security/pod_test.yaml::runs as non-root with a read-only root filesystem": "passed"}
    assert "helm-unittest: 3 of 3 tests passed" in out


def test_release_and_namespace_default_as_helm_template(capsys: pytest.CaptureFixture[str],
                                                        tmp_path: Path) -> None:
    chart = tmp_path / "caps"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: caps\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-caps\n"
        "  namespace: {{ .Release.Namespace }}\ndata:\n"
        "  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n"
        '  extra: {{ .Capabilities.APIVersions.Has "example.com/v1" | quote }}\n')
    (chart / "tests").mkdir()
    (chart / "tests" / "cm_test.yaml").write_text(
        "suite: cm\ntemplates: [templates/cm.yaml]\ntests:\n  - it: is named after the release\n"
        "    asserts:\n      - equal: {path: metadata.name, value: RELEASE-NAME-caps}\n")
    rc, out, _data = _check(capsys, str(chart), "--stages", "render,assertions",
                           "--kube-version", "1.31.2", "--api-versions", "example.com/v1")
    assert rc == 0, out
    from chartgate.charts import Chart, ChartDefaults, chart_scenarios
    from chartgate.render import Renderer

    sc = chart_scenarios(Chart.load(chart), defaults=ChartDefaults(kube_version="1.31.2",
                                                                  api_versions=("example.com/v1",)))[0]
    rendered = Renderer(use_cache=False, backend="helm").render(sc)
    assert rendered.manifests is not None, rendered.error
    doc = rendered.manifests.documents[0].body
    assert doc["metadata"] == {"name": "release-name-caps", "namespace": "default"}
    assert doc["data"] == {"kube": "v1.31.2", "extra": "true"}


def test_a_path_without_a_chart_is_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["check", str(tmp_path)]) == 2
    assert "no Helm chart here" in capsys.readouterr().err


def test_zero_scenarios_is_exit_2_never_a_pass(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    shutil.copytree(CHARTS / "common-lib", tmp_path / "only-a-library")
    assert main(["check", str(tmp_path / "only-a-library")]) == 2
    assert "no scenario to check" in capsys.readouterr().err


# --- broken copies: each fails naming the file and the object ------------------------------
def _copy(tmp_path: Path, *names: str) -> Path:
    for n in names:
        shutil.copytree(CHARTS / n, tmp_path / n)
    return tmp_path / names[0]


def _edit(file: Path, old: str, new: str) -> None:
    text = file.read_text()
    assert old in text, f"{old!r} not in {file}"
    file.write_text(text.replace(old, new))


def test_broken_custom_resource(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    chart = _copy(tmp_path, "crd-widgets")
    _edit(chart / "values.yaml", "size: 3", "size: 30")
    rc, out, data = _check(capsys, str(chart))
    assert rc == 1
    [(scenario, stage, f)] = _failed(data)
    assert (scenario, stage, f["object"], f["template"], f["path"]) == (
        "defaults", "k8s-schema", "Widget/release-name-crd-widgets", "templates/widget.yaml", "spec.size")
    assert "Widget/release-name-crd-widgets (templates/widget.yaml) spec.size" in out


def test_broken_local_subchart(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    chart = _copy(tmp_path, "with-local-dep")
    _edit(chart / "deps" / "greeter" / "templates" / "configmap.yaml", "\ndata:", "\ndataa:")
    rc, _out, data = _check(capsys, str(chart))
    assert rc == 1
    hits = {(f["object"], f["template"], f["path"])
            for _, stage, f in _failed(data) if stage == "k8s-schema"}
    assert hits == {("ConfigMap/release-name-greeter", "charts/greeter/templates/configmap.yaml", "dataa")}
    assert not (chart / "charts").exists(), "dependencies are built in a copy, not in the checked tree"


def test_broken_packaged_subchart_parent(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    chart = _copy(tmp_path, "with-tgz-dep")
    _edit(chart / "templates" / "deployment.yaml", "containerPort: 8080", "containerPort: eighty")
    rc, _out, data = _check(capsys, str(chart))
    assert rc == 1
    hits = {(f["object"], f["template"], f["path"]) for _, stage, f in _failed(data) if stage == "k8s-schema"}
    assert hits == {("Deployment/release-name-with-tgz-dep", "templates/deployment.yaml",
                     "spec.template.spec.containers[0].ports[0].containerPort")}


def test_missing_remote_dependency_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    chart = _copy(tmp_path, "with-tgz-dep")
    _edit(chart / "Chart.yaml", "    version: 0.1.0\n",
          "    version: 0.1.0\n  - name: postgresql\n    version: 16.0.0\n    repository: https://charts.example.com\n")
    rc, out, _data = _check(capsys, str(chart))
    assert rc in (1, 2)
    assert "postgresql 16.0.0 from https://charts.example.com" in out
    assert str(chart / "Chart.yaml") in out


def test_broken_ci_values_and_unittest(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    chart = _copy(tmp_path, "with-ci-values")
    _edit(chart / "ci" / "ha-values.yaml", "replicas: 3", "replicas: -3")
    _edit(chart / "tests" / "deployment_test.yaml", "value: 1}", "value: 7}")
    rc, _out, data = _check(capsys, str(chart))
    assert rc == 1
    failed = _failed(data)
    values = [f for sc, stage, f in failed if stage == "values-schema"]
    assert [(f["scenario"], f["path"], f["template"]) for f in values] == [
        ("ci/ha-values", "replicas", "ci/ha-values.yaml")]
    unit = [f for sc, stage, f in failed if stage == "unittest"]
    assert [(f["scenario"], f["template"]) for f in unit] == [
        ("tests/deployment_test.yaml::runs one replica by default", "tests/deployment_test.yaml")]
    msg = unit[0]["message"]  # helm-unittest's own words
    assert "asserts[0] `equal` fail" in msg and "Expected to equal:" in msg and "Path:spec.replicas" in msg


def test_broken_library_chart(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    chart = _copy(tmp_path, "uses-library", "common-lib")
    _edit(tmp_path / "common-lib" / "templates" / "_labels.tpl", "app.kubernetes.io/name: {{ .Chart.Name }}",
          "app.kubernetes.io/name: {{ .Values.naming.name }}")
    rc, _out, data = _check(capsys, str(chart))
    assert rc == 1
    [(_scenario, stage, f)] = _failed(data)
    assert stage == "render"
    assert "common-lib/templates/_labels.tpl" in f["message"] and "naming" in f["message"]


def _caps_chart(tmp_path: Path) -> Path:
    chart = tmp_path / "caps"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: caps\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-caps\n"
        "data:\n  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n")
    return chart


def test_scenario_dir_defaults_and_the_command_line_wins(capsys: pytest.CaptureFixture[str],
                                                        tmp_path: Path) -> None:
    chart = _caps_chart(tmp_path)
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "_defaults.yaml").write_text("release: demo\nnamespace: demo\nkubeVersion: 1.30.0\n")
    (scenarios / "caps.yaml").write_text(
        "expect:\n  present: [ConfigMap/demo-caps]\n  assertions:\n"
        "    - equal: {path: data.kube, value: v1.31.2}\n      select: {kind: ConfigMap}\n")
    argv = [str(chart), "--scenarios", str(scenarios), "--stages", "render,assertions"]
    rc, out, _ = _check(capsys, *argv, "--kube-version", "1.31.2")
    assert rc == 0, out
    rc, out, _ = _check(capsys, *argv)
    assert rc == 1 and "'v1.30.0'" in out
    (scenarios / "_defaults.yaml").write_text("releases: demo\n")
    rc, out, _ = _check(capsys, *argv)
    assert rc == 2 and "_defaults.yaml: unknown key(s) releases" in out


def test_vendored_subchart_archive_matches_its_source() -> None:
    """tests/charts/with-tgz-dep/charts/greeter-0.1.0.tgz is `helm package` of the file://
    subchart's source: the two fixtures stay the same chart."""
    source = CHARTS / "with-local-dep" / "deps" / "greeter"
    with tarfile.open(CHARTS / "with-tgz-dep" / "charts" / "greeter-0.1.0.tgz") as tar:
        packed = {m.name.split("/", 1)[1]: tar.extractfile(m).read().decode()  # type: ignore[union-attr]
                  for m in tar.getmembers() if m.isfile()}
    files = {f.relative_to(source).as_posix(): f.read_text() for f in source.rglob("*") if f.is_file()}
    # helm package writes Chart.yaml back in its own layout: compare what it says
    assert yaml.safe_load(packed.pop("Chart.yaml")) == yaml.safe_load(files.pop("Chart.yaml"))
    assert packed == files


def test_scenarios_may_be_one_file_and_must_exist(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    chart = _caps_chart(tmp_path)
    one = tmp_path / "scenarios" / "named.yaml"
    one.parent.mkdir()
    one.write_text("release: named\nexpect: {present: [ConfigMap/named-caps]}\n")
    rc, out, data = _check(capsys, str(chart), "--scenarios", str(one), "--stages", "render,assertions")
    assert rc == 0, out
    assert {r["scenario"] for r in data["results"]} == {"named"}  # it covers the chart defaults
    rc, out, _ = _check(capsys, str(chart), "--scenarios", str(tmp_path / "typo"))
    assert rc == 2 and "no such scenario file or directory" in out
