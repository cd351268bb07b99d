"""Proof that the upgrade stage's rules are the API server's: each fixture pair of
``tests/unit/fixtures/upgrade`` that the static stage flags is installed (base) on the kind
cluster and upgraded (head) with the pinned helm, and the cluster answers as predicted —

* Deployment selector, StatefulSet volumeClaimTemplates, Service clusterIP, non-hook Job
  template: ``helm upgrade`` fails, and the API server's message contains the words the
  static finding cites;
* PVC rename: ``helm upgrade`` succeeds, the old claim is deleted and the new one is an
  empty volume — the data written before the upgrade is gone.

The fixture charts name images that the air-gapped cluster does not have; each distinct
image of a pair is replaced by a distinct image the cluster has (pause, PostgreSQL), so
the pair still differs where it did. Each case has its own namespace.
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from chartgate import upgrade_rules as R
from chartgate.e2e.fixtures import LocalImages
from chartgate.pipeline import Gate, GateConfig
from chartgate.report.model import Finding, Severity
from chartgate.tools.helm import Helm, HelmError
from chartgate.tools.kube import Kube, ObjRef

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_seconds(55)]  # xdist hands out long files first

FIXTURES = Path(__file__).resolve().parents[1] / "unit" / "fixtures" / "upgrade"
RELEASE = "demo"
# case -> (object, field path, words both the API's refusal and the finding contain)
REFUSED = {
    "deployment-selector": ("Deployment/demo-web", "spec.selector", R.FIELD_IS_IMMUTABLE),
    "statefulset-volumeclaimtemplates": ("StatefulSet/demo-db", "spec.volumeClaimTemplates",
                                         "updates to statefulset spec for fields other than"),
    "service-clusterip": ("Service/demo-web", "spec.clusterIP", "may not change once set"),
    "job-template": ("Job/demo-migrate", "spec.template", R.FIELD_IS_IMMUTABLE),
}


def _cluster_images() -> list[str]:
    from chartgate.airgap import config, images

    return [config.component_images()["pause"], images.postgres_tag()]


def _pair(case: str, dest: Path) -> tuple[Path, Path]:
    """The case's base and head charts with their images replaced by cluster images."""
    charts = {side: dest / side for side in ("base", "head")}
    for side, path in charts.items():
        shutil.copytree(FIXTURES / case / side, path)
    found = sorted({m for p in dest.rglob("*.yaml") for m in re.findall(r"image: (\S+)", p.read_text())})
    available = _cluster_images()
    assert len(found) <= len(available), f"{case}: more distinct images than the cluster has"
    mapping = dict(zip(found, available, strict=False))
    for p in dest.rglob("*.yaml"):
        p.write_text(re.sub(r"image: (\S+)", lambda m: f"image: {mapping[m.group(1)]}", p.read_text()))
    return charts["base"], charts["head"]


def _predicted(base: Path, head: Path, tmp_path: Path) -> list[Finding]:
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "default.yaml").write_text(f"description: defaults\nrelease: {RELEASE}\n")
    report = Gate(GateConfig(chart=head, scenarios=scenarios, stages=("render", "upgrade"),
                             base=str(base), release=RELEASE, namespace="demo")).run()
    return [f for f in report.findings() if f.severity is Severity.ERROR]


@pytest.fixture(scope="module")
def cluster_images(local_images: LocalImages) -> list[str]:
    """The images the charts are rewritten to, in the cluster (a node image that does not
    preload PostgreSQL gets it loaded)."""
    return local_images.load(_cluster_images())


@pytest.fixture
def namespace(kube: Kube, cluster_images: list[str]) -> Iterator[str]:
    name = f"upgrade-proof-{secrets.token_hex(4)}"
    yield name
    kube.delete_namespace(name)


def _install(helm: Helm, kubeconfig: str, chart: Path, namespace: str, *, upgrade: bool = False) -> str:
    return helm.install(RELEASE, chart, namespace, create_namespace=not upgrade, upgrade=upgrade,
                        wait=False, timeout="1m", kubeconfig=kubeconfig)


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_the_api_refuses_what_the_stage_flags(case: str, tmp_path: Path, namespace: str,
                                               helm_tool: Helm, e2e_kubeconfig: str) -> None:
    obj, path, words = REFUSED[case]
    base, head = _pair(case, tmp_path / "charts")
    [finding] = _predicted(base, head, tmp_path)
    assert (finding.rule, finding.object, finding.path) == ("immutable-field", obj, path)
    assert words in finding.message

    _install(helm_tool, e2e_kubeconfig, base, namespace)
    with pytest.raises(HelmError) as refused:
        _install(helm_tool, e2e_kubeconfig, head, namespace, upgrade=True)
    answer = refused.value.message
    name = obj.split("/")[1]
    assert name in answer and words in answer, f"the API server answered: {answer}"


def _volume_job(api: Kube, namespace: str, name: str, claim: str, script: str) -> str:
    """Run ``script`` in a pod with ``claim`` at /data; its log."""
    from chartgate.airgap import images

    api.create_job(namespace, {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
        "spec": {"backoffLimit": 0, "template": {"spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "sh", "image": images.postgres_tag(), "imagePullPolicy": "IfNotPresent",
                            "command": ["sh", "-c", script],
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}]}}}})
    api.wait_job_complete(name, namespace, timeout=90)
    [pod] = api.job_pods(name, namespace)
    return api.logs(pod.metadata.name, namespace)


def test_a_renamed_pvc_upgrades_cleanly_and_loses_the_data(tmp_path: Path, namespace: str, kube: Kube,
                                                           helm_tool: Helm, e2e_kubeconfig: str) -> None:
    base, head = _pair("pvc-rename", tmp_path / "charts")
    [finding] = _predicted(base, head, tmp_path)
    assert (finding.rule, finding.object) == ("data-loss", "PersistentVolumeClaim/demo-files")

    _install(helm_tool, e2e_kubeconfig, base, namespace)
    assert "written" in _volume_job(kube, namespace, "write", "demo-files",
                                    "echo kept > /data/marker && echo written")
    _install(helm_tool, e2e_kubeconfig, head, namespace, upgrade=True)  # the API accepts it
    kube.delete_job("write", namespace)  # its pod holds the old claim (pvc-protection)
    kube.wait_gone(ObjRef("PersistentVolumeClaim", "demo-files", namespace), timeout=60)
    seen = _volume_job(kube, namespace, "read", "demo-uploads",
                       "if [ -e /data/marker ]; then cat /data/marker; else echo empty; fi")
    assert seen.strip() == "empty", f"the renamed claim still holds the old data: {seen!r}"
