"""Journey c — uninstall and reinstall with the in-cluster PostgreSQL, as an operator does
it on day two with the documented commands (deploy/README.md, "Development install" and
"Uninstall"):

    helm install clockwork ./deploy/helm/clockwork -f deploy/helm/clockwork/values-dev.yaml \
        -n clockwork --create-namespace
    helm uninstall clockwork -n clockwork
    helm install clockwork ./deploy/helm/clockwork -f deploy/helm/clockwork/values-dev.yaml \
        -n clockwork --create-namespace

in namespace ``clockwork-reinstall`` instead of ``clockwork`` (``namespace.name`` set to
match, as the chart asks), with the stage's images, and ``--wait`` on both installs (the
failure the operator reported: ``helm install --wait`` timing out). ``helm uninstall``
keeps the PostgreSQL data PVC (documented), so data written before the uninstall must be
readable after the reinstall and the server Ready: the database credentials must outlive
the release as long as the data does. Failure mode it guards against: a reinstall that
generates a new password for a database initialised with the old one (``password
authentication failed for user "clockwork"``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from contract import CHART_PATH, assert_project_readable, names, server_selector, write_project

from chartgate.e2e.docs import HelmCommand, documented_helm
from chartgate.e2e.http import get_ok
from chartgate.e2e.release import Releases
from chartgate.tools.kube import Kube, ObjRef, pod_ready
from chartgate.tools.kubectl import Kubectl

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_seconds(70)]  # xdist hands out long files first

NS = "clockwork-reinstall"
N = names("clockwork")
PVC = f"data-{N['postgresql']}-0"
DEV_INSTALL = ("helm install clockwork ./deploy/helm/clockwork -f deploy/helm/clockwork/values-dev.yaml "
               "-n clockwork")
AUTH_FAILED = "password authentication failed"


def _dev_install(root: Path) -> HelmCommand:
    return documented_helm([root / "deploy" / "README.md", root / "docs" / "deployment.md"], DEV_INSTALL,
                           CHART_PATH)


def test_c_uninstall_and_reinstall(request: pytest.FixtureRequest, releases: Releases, watch: Releases,
                                   kube: Kube, kubectl: Kubectl) -> None:
    cmd = _dev_install(Path(str(request.config.rootpath)))
    assert cmd.create_namespace and cmd.values_files == ("values-dev.yaml",), cmd.line
    rel = releases.new(cmd.release, NS, cmd.values_files)
    rel.install(create_namespace=True, extra=cmd.set_args())
    kube.wait_deployment_available(N["deployment"], NS, timeout=120)
    with kubectl.port_forward(f"service/{N['service']}", NS, 80, 8080) as pf:
        project, category = write_project(pf.url, "reinstall", "written before helm uninstall")
    pvc_uid = kube.get(ObjRef("PersistentVolumeClaim", PVC, NS)).metadata.uid

    # helm uninstall clockwork -n clockwork: the data PVC stays (documented), the rest goes
    rel.uninstall(timeout="2m")
    assert kube.get(ObjRef("PersistentVolumeClaim", PVC, NS)).metadata.uid == pvc_uid, (
        f"PVC {PVC} was not kept by helm uninstall, so the journey proves nothing")
    kube.wait_gone(ObjRef("Pod", f"{N['postgresql']}-0", NS), timeout=90)
    kept_secret = kube.exists(ObjRef("Secret", N["postgresql"], NS))

    # the same install again; on failure the ReleaseError carries the server's log
    rel.install(create_namespace=True, extra=cmd.set_args())
    print(f"helm operations: {rel.timings()}; Secret {N['postgresql']} kept by the uninstall: {kept_secret}")
    kube.wait_deployment_available(N["deployment"], NS, timeout=60)
    assert kube.get(ObjRef("PersistentVolumeClaim", PVC, NS)).metadata.uid == pvc_uid, (
        f"the reinstall runs on a new PVC {PVC}: the data it should find is gone")
    pods = kube.live_pods(NS, server_selector(cmd.release))
    assert pods and all(pod_ready(p) for p in pods), f"server pods after the reinstall: {pods}"
    for p in pods:
        log = kube.logs(p.metadata.name, NS, "server")
        assert AUTH_FAILED not in log, f"server {p.metadata.name} cannot log in to PostgreSQL:\n{log[-1500:]}"
    with kubectl.port_forward(f"service/{N['service']}", NS, 80, 8080) as pf:
        health = get_ok(pf.url, "/api/health").json()
        assert health.get("database") == "ok", f"/api/health after the reinstall: {health}"
        assert_project_readable(pf.url, project, category, "after the reinstall")
