"""Custom resources are validated against the CRDs a chart ships in ``crds/`` (which
``helm template`` does not print) and against ``--crd-dir`` manifests; a kind no schema
covers is what ``--missing-schemas`` says."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chartgate.k8s_schemas import chart_crd_schemas, missing_schemas_default
from chartgate.render import Rendered, Renderer
from chartgate.report.model import Finding, Severity
from chartgate.scenario import Scenario
from chartgate.stages.k8s_schema import K8sSchemaStage
from chartgate.tools.helm import TemplateArgs

CHARTS = Path(__file__).resolve().parents[1] / "charts"
WIDGETS = CHARTS / "crd-widgets"


def _render(chart: Path) -> Rendered:
    sc = Scenario(name="defaults", file=chart / "Chart.yaml", chart=chart,
                  args=TemplateArgs(release="release-name", namespace="default"))
    rendered = Renderer(use_cache=False, backend="helm").render(sc)
    assert rendered.ok, rendered.error
    return rendered


def _check(stage: K8sSchemaStage, rendered: Rendered) -> list[Finding]:
    stage.prepare({rendered.scenario.name: rendered})
    return [f for f in stage.check(rendered) if f.severity is not Severity.NOTE]


def test_chart_crds_give_the_custom_resource_a_schema() -> None:
    assert ("example.com/v1alpha1", "Widget") in chart_crd_schemas(WIDGETS)
    assert _check(K8sSchemaStage(), _render(WIDGETS)) == []


def test_a_broken_custom_resource_fails_naming_file_object_and_field(tmp_path: Path) -> None:
    broken = tmp_path / "crd-widgets"
    shutil.copytree(WIDGETS, broken)
    values = broken / "values.yaml"
    values.write_text(values.read_text().replace("size: 3", "size: 30"))
    template = broken / "templates" / "widget.yaml"
    template.write_text(template.read_text().replace("spec:\n", "spec:\n  shape: round\n"))
    findings = _check(K8sSchemaStage(), _render(broken))
    got = {(f.object, f.template, f.path, f.severity) for f in findings}
    assert got == {("Widget/release-name-crd-widgets", "templates/widget.yaml", "spec.size", Severity.ERROR),
                   ("Widget/release-name-crd-widgets", "templates/widget.yaml", "spec.shape", Severity.ERROR)}
    assert any("unknown field 'shape'" in f.message for f in findings)


def _without_crds(tmp_path: Path) -> Path:
    bare = tmp_path / "no-crds"
    shutil.copytree(WIDGETS, bare)
    crds = tmp_path / "crd-manifests"
    shutil.move(bare / "crds", crds)
    return bare


@pytest.mark.parametrize("mode, severity", [("fail", Severity.ERROR), ("warn", Severity.WARNING)])
def test_missing_schema_fails_or_warns(tmp_path: Path, mode: str, severity: Severity) -> None:
    findings = _check(K8sSchemaStage(missing=mode), _render(_without_crds(tmp_path)))
    assert [(f.rule, f.object, f.severity) for f in findings] == [
        ("unknown-kind", "Widget/release-name-crd-widgets", severity)]
    assert "--crd-dir" in findings[0].message


def test_missing_schema_skip_and_crd_dir(tmp_path: Path) -> None:
    rendered = _render(_without_crds(tmp_path))
    assert _check(K8sSchemaStage(missing="skip"), rendered) == []
    assert _check(K8sSchemaStage(crd_schema_dir=[tmp_path / "crd-manifests"]), rendered) == []


def test_crds_of_a_packaged_subchart_count(tmp_path: Path) -> None:
    import tarfile

    sub = tmp_path / "src" / "widgets"
    shutil.copytree(WIDGETS / "crds", sub / "crds")
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: widgets\nversion: 0.1.0\n")
    parent = tmp_path / "parent" / "charts"
    parent.mkdir(parents=True)
    with tarfile.open(parent / "widgets-0.1.0.tgz", "w:gz") as tar:
        tar.add(sub, arcname="widgets")
    assert ("example.com/v1alpha1", "Widget") in chart_crd_schemas(tmp_path / "parent")


def test_missing_schemas_default_follows_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert missing_schemas_default() == "fail"
    monkeypatch.setenv("CI", "false")
    assert missing_schemas_default() == "warn"
    with pytest.raises(ValueError, match="fail, warn, skip"):
        K8sSchemaStage(missing="ignore")


def test_kubeconform_gets_the_same_crd_schemas(tmp_path: Path) -> None:
    """The kubeconform wrapper validates custom resources against the same schemas (the
    chart's crds/ written in kubeconform's CRD layout) and agrees with the stage."""
    from chartgate.k8s_schemas import load_crd_dir, write_crd_schemas
    from chartgate.tools.kubeconform import Kubeconform, local_schemas

    crds = write_crd_schemas(chart_crd_schemas(WIDGETS), tmp_path / "crd-schemas")
    assert set(load_crd_dir(crds)) == {("example.com/v1alpha1", "widget")}
    good = _render(WIDGETS)
    assert good.manifests is not None
    kinds = {("apps/v1", "Deployment")}
    schemas = local_schemas("1.34.0", kinds, dest=tmp_path / "schemas")

    def verdicts(kc: Kubeconform, text: str) -> dict[str, str]:
        return {f"{r.kind}/{r.name}": r.status for r in kc.validate(text=text)}

    kc = Kubeconform(schemas, "1.34.0", verbose=True, crd_dirs=[crds])
    assert verdicts(kc, good.manifests.raw) == {"Deployment/release-name-crd-widgets": "statusValid",
                                                "Widget/release-name-crd-widgets": "statusValid"}
    broken = good.manifests.raw.replace("size: 3", "size: 30")
    assert verdicts(kc, broken)["Widget/release-name-crd-widgets"] == "statusInvalid"
    without = Kubeconform(schemas, "1.34.0", verbose=True)
    assert verdicts(without, good.manifests.raw)["Widget/release-name-crd-widgets"] == "statusError"
    skipping = Kubeconform(schemas, "1.34.0", verbose=True, missing="skip")
    assert verdicts(skipping, good.manifests.raw)["Widget/release-name-crd-widgets"] == "statusSkipped"
