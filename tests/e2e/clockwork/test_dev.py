"""Scenarios a, g, h and journey c on the development install of the deployment plan (step 13):

    helm install clockwork ./deploy/helm/clockwork -f deploy/helm/clockwork/values-dev.yaml \
        -n clockwork --create-namespace

(plus the stage's environment values: the locally built images). In-cluster PostgreSQL,
migrations as values-dev.yaml says. The tests share that release and run in file order:
g writes data, h uninstalls the release (``helm uninstall clockwork -n clockwork``), and
journey c installs it again with the command both docs print (deploy/README.md
"Development install", docs/deployment.md), ``--wait`` included — the failure an operator
reported (``helm install --wait`` timing out on ``password authentication failed for user
"clockwork"``): the data PVC outlives the release, so must the database credentials; the
data g wrote must be readable and the server Ready. c reuses a, g and h's release and
uninstall instead of making its own (a whole install, write and uninstall less).
With a real image (``CLOCKWORK_E2E_IMAGE``) only the contract is checked: endpoints
answer, goose's version table is complete — not the log lines, answer bodies and version
strings only the contract double is known to produce.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from contract import (
    CHART_PATH,
    SERVER,
    assert_goose_applied,
    assert_migrated_once,
    assert_project_readable,
    goose_versions,
    migration_log,
    names,
    psql_incluster,
    write_project,
)
from double import AppImages

from chartgate.e2e.docs import documented_helm
from chartgate.e2e.http import get_ok
from chartgate.e2e.release import Release, Releases
from chartgate.e2e.waits import eventually
from chartgate.tools.kube import Kube, ObjRef, pod_ready
from chartgate.tools.kubectl import Kubectl

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_seconds(130)]  # xdist hands out long files first

NS = "clockwork"
RELEASE = "clockwork"
N = names(RELEASE)
PVC = f"data-{N['postgresql']}-0"
DEV_INSTALL = ("helm install clockwork ./deploy/helm/clockwork -f deploy/helm/clockwork/values-dev.yaml "
               "-n clockwork")
AUTH_FAILED = "password authentication failed"


@pytest.fixture(scope="module")
def dev(releases: Releases, kube: Kube) -> Iterator[Release]:
    rel = releases.new(RELEASE, NS, ("values-dev.yaml",))
    rel.install(create_namespace=True)
    yield rel


@pytest.fixture(scope="module")
def written() -> dict[str, Any]:
    """What g wrote through the API (the project and its category), for c to read back."""
    return {}


def test_a_created_resources(dev: Release, watch: Releases, kube: Kube, kubectl: Kubectl,
                             app_imgs: AppImages) -> None:
    # kubectl get namespace clockwork / kubectl get configmap -n clockwork
    assert NS in kubectl.get(["namespace", NS]), "namespace clockwork was not created"
    cms = kubectl.get(["configmap", "-n", NS])
    assert N["configmap"] in cms, f"ConfigMap {N['configmap']} not created; kubectl get configmap:\n{cms}"
    data = kube.get(ObjRef("ConfigMap", N["configmap"], NS)).data or {}
    assert data.get("ENV") == "development" and data.get("PORT") == "8080", f"ConfigMap data: {data}"

    # kubectl wait --for=condition=available deployment/clockwork-server -n clockwork --timeout=300s
    kube.wait_deployment_available(N["deployment"], NS, timeout=300)
    kube.wait_statefulset_ready(N["postgresql"], NS, timeout=120)

    # migrations: the Job (kubectl wait --for=condition=complete job/clockwork-migrate;
    # kubectl logs job/clockwork-migrate) or, with the initContainer strategy, each server pod
    pods = kube.live_pods(NS, SERVER)
    assert pods, "no server pods (label app=clockwork,component=server)"
    log = migration_log(kube, NS, RELEASE, pods)  # the Job completed / the initContainer exited 0
    assert_migrated_once(goose_versions(lambda sql: psql_incluster(kubectl, NS, RELEASE, sql)),
                         "goose_db_version in the in-cluster PostgreSQL")
    if app_imgs.double:  # the double's migration files and log lines
        assert_goose_applied(log, "the chart's migration")
        # kubectl logs -l app=clockwork,component=server -n clockwork
        logs = "\n".join(kube.logs(p.metadata.name, NS, "server") for p in pods)
        assert "database connection ok" in logs and "listening" in logs, f"server logs:\n{logs[-2000:]}"

    # kubectl port-forward service/clockwork-service 8080:80 -n clockwork; curl the three endpoints
    with kubectl.port_forward(f"service/{N['service']}", NS, 80, 8080) as pf:
        r = get_ok(pf.url, "/healthz")
        health = get_ok(pf.url, "/api/health")
        root = get_ok(pf.url, "/")
        assert root.body.strip(), "/ answered 200 with an empty body (no client assets)"
        if app_imgs.double:
            assert r.body.strip() == "ok", f"/healthz answered {r.body!r}"
            body = health.json()
            assert body.get("status") == "ok" and body.get("database") == "ok", f"/api/health: {body}"
            assert body.get("version") == app_imgs.v1_version, f"/api/health version: {body}"
            assert "text/html" in root.headers.get("content-type", ""), f"/ content-type: {root.headers}"
            assert "clockwork-client" in root.body, f"/ is not the client's index.html:\n{root.body[:500]}"
            assert "clockwork-client" in get_ok(pf.url, "/app.js").body, "/app.js is not the client asset"


def _pg_password(kube: Kube) -> str:
    sec = kube.get(ObjRef("Secret", N["postgresql"], NS))
    return base64.b64decode(sec.data["POSTGRES_PASSWORD"]).decode()


def test_g_persistence(dev: Release, watch: Releases, kube: Kube, kubectl: Kubectl,
                       app_imgs: AppImages, written: dict[str, Any]) -> None:
    kube.wait_deployment_available(N["deployment"], NS, timeout=180)
    with kubectl.port_forward(f"service/{N['service']}", NS, 80, 8080) as pf:
        project, category = write_project(pf.url, "persist", "e2e persistence")
        assert_project_readable(pf.url, project, category, "right after creating")
    written.update(project=project, category=category)

    # kubectl delete pod <server pod> and the PostgreSQL pod; wait for the replacements
    old = {p.metadata.name for p in kube.live_pods(NS, SERVER)}
    pg_pod = f"{N['postgresql']}-0"
    pg_uid = kube.get(ObjRef("Pod", pg_pod, NS)).metadata.uid
    for name in old:
        kube.delete_pod(name, NS)
    kube.delete_pod(pg_pod, NS)
    kube.wait_for(ObjRef("Pod", pg_pod, NS), "recreated",
                  lambda: (kube.exists(ObjRef("Pod", pg_pod, NS))
                           and kube.get(ObjRef("Pod", pg_pod, NS)).metadata.uid != pg_uid, "old pod"),
                  timeout=120)
    kube.wait_statefulset_ready(N["postgresql"], NS, timeout=180)
    new = kube.wait_pods_ready(NS, SERVER, count=len(old), timeout=180,
                               owner=ObjRef("Deployment", N["deployment"], NS))
    assert not old & {p.metadata.name for p in new}, f"server pods were not replaced: {old}"
    with kubectl.port_forward(f"service/{N['service']}", NS, 80, 8080) as pf:
        assert_project_readable(pf.url, project, category, "after deleting the server and PostgreSQL pods")

    # helm upgrade (a new image version): data and the generated DB password survive
    password = _pg_password(kube)
    repo, tag = AppImages.split(app_imgs.v2)
    dev.upgrade({"deployment": {"image": {"repository": repo, "tag": tag}}})
    kube.wait_deployment_available(N["deployment"], NS, timeout=180)
    assert _pg_password(kube) == password, "helm upgrade regenerated the in-cluster PostgreSQL password"
    with kubectl.port_forward(f"service/{N['service']}", NS, 80, 8080) as pf:
        assert_project_readable(pf.url, project, category, "after helm upgrade")
        if app_imgs.double:
            v = get_ok(pf.url, "/api/health").json().get("version")
            assert v == app_imgs.v2_version, f"after the upgrade /api/health reports version {v}"


KINDS = ("Deployment", "StatefulSet", "Service", "ConfigMap", "Secret", "ServiceAccount",
         "PersistentVolumeClaim", "Pod", "Job", "PodDisruptionBudget")


def _inventory(kube: Kube) -> dict[str, set[str]]:
    """Objects of the release (label app.kubernetes.io/instance=clockwork) by kind."""
    sel = f"app.kubernetes.io/instance={RELEASE}"
    from kubernetes import client

    policy = client.PolicyV1Api(kube.api_client)
    listers = {
        "Deployment": lambda: kube.apps.list_namespaced_deployment(NS, label_selector=sel),
        "StatefulSet": lambda: kube.apps.list_namespaced_stateful_set(NS, label_selector=sel),
        "Service": lambda: kube.core.list_namespaced_service(NS, label_selector=sel),
        "ConfigMap": lambda: kube.core.list_namespaced_config_map(NS, label_selector=sel),
        "Secret": lambda: kube.core.list_namespaced_secret(NS, label_selector=sel),
        "ServiceAccount": lambda: kube.core.list_namespaced_service_account(NS, label_selector=sel),
        "PersistentVolumeClaim":
            lambda: kube.core.list_namespaced_persistent_volume_claim(NS, label_selector=sel),
        "Pod": lambda: kube.core.list_namespaced_pod(NS, label_selector=sel),
        "Job": lambda: kube.batch.list_namespaced_job(NS, label_selector=sel),
        "PodDisruptionBudget": lambda: policy.list_namespaced_pod_disruption_budget(NS, label_selector=sel),
    }
    return {k: {o.metadata.name for o in listers[k]().items} for k in KINDS}


def test_h_helm_test_and_uninstall(dev: Release, watch: Releases, kube: Kube) -> None:
    kube.wait_deployment_available(N["deployment"], NS, timeout=180)
    out = dev.test(timeout="3m")
    assert "Succeeded" in out, f"helm test output:\n{out}"

    before = _inventory(kube)
    assert before["Deployment"] and before["Service"] and before["StatefulSet"], f"inventory: {before}"
    dev.uninstall(timeout="3m")
    dev_made = watch.made
    if dev in dev_made:
        dev_made.remove(dev)  # nothing left to uninstall at teardown

    # Deliberately kept: the PostgreSQL data PVC (StatefulSet volumeClaimTemplates are not
    # Helm-managed; persistentVolumeClaimRetentionPolicy Retain) and the namespace
    # (created by --create-namespace, never deleted by helm; a chart-rendered Namespace is
    # annotated helm.sh/resource-policy: keep).
    # The generated PostgreSQL password Secret is kept with the data (helm.sh/resource-policy
    # keep): a reinstall must find the password the database was initialised with.
    kept: dict[str, set[str]] = {"PersistentVolumeClaim": {f"data-{N['postgresql']}-0"},
                                 "Secret": {N["postgresql"]}}
    # The migration hook Job (hook-delete-policy before-hook-creation, so that `kubectl logs
    # job/clockwork-migrate` works) is not deleted by helm uninstall; it is removed by its
    # ttlSecondsAfterFinished. Accept it (and its pods) only with such a bounded lifetime.
    sel = f"app.kubernetes.io/instance={RELEASE}"
    for job in kube.batch.list_namespaced_job(NS, label_selector=sel).items:
        ttl = job.spec.ttl_seconds_after_finished
        hook = (job.metadata.annotations or {}).get("helm.sh/hook", "")
        if hook and ttl is not None and ttl <= 3600:
            kept.setdefault("Job", set()).add(job.metadata.name)
            job_pods = kube.job_pods(job.metadata.name, NS)
            kept.setdefault("Pod", set()).update(p.metadata.name for p in job_pods)

    def leftovers() -> tuple[bool, str]:
        now = _inventory(kube)
        extra = {k: sorted(v - kept.get(k, set())) for k, v in now.items() if v - kept.get(k, set())}
        return not extra, f"still present: {extra}"

    kube.wait_for(ObjRef("Namespace", NS), "free of the release's objects after helm uninstall",
                  leftovers, timeout=90)
    print(f"kept after helm uninstall (by design): { {k: sorted(v) for k, v in kept.items()} }")
    after = _inventory(kube)
    assert after["PersistentVolumeClaim"] == kept["PersistentVolumeClaim"], (
        f"the PostgreSQL data PVC should be kept on uninstall (documented); PVCs now: "
        f"{after['PersistentVolumeClaim']}, before: {before['PersistentVolumeClaim']}")
    assert kube.namespace_exists(NS), "helm uninstall deleted the namespace"
    eventually("helm release gone", lambda: not _release_listed(dev), timeout=30)


def test_c_reinstall_after_uninstall(request: pytest.FixtureRequest, dev: Release, watch: Releases,
                                     kube: Kube, kubectl: Kubectl, written: dict[str, Any]) -> None:
    root = Path(str(request.config.rootpath))
    cmd = documented_helm([root / "deploy" / "README.md", root / "docs" / "deployment.md"], DEV_INSTALL,
                          CHART_PATH)
    assert (cmd.release, cmd.namespace, cmd.values_files, cmd.create_namespace) == (
        RELEASE, NS, ("values-dev.yaml",), True), f"the documented dev install changed: {cmd.line}"
    assert not _release_listed(dev), "journey c reinstalls after h's helm uninstall, which did not happen"
    assert written, "journey c reads back what g wrote, and g wrote nothing"
    # helm uninstall (h) kept the data PVC (documented), so the reinstall must find its data
    pvc_uid = kube.get(ObjRef("PersistentVolumeClaim", PVC, NS)).metadata.uid
    kept_secret = kube.exists(ObjRef("Secret", N["postgresql"], NS))

    # the same install again, --wait; on failure the ReleaseError carries the server's log
    dev.install(create_namespace=True, extra=cmd.set_args())
    if dev not in watch.made:
        watch.made.append(dev)  # uninstalled at teardown again
    print(f"helm operations: {dev.timings()}; Secret {N['postgresql']} kept by the uninstall: {kept_secret}")
    kube.wait_deployment_available(N["deployment"], NS, timeout=60)
    assert kube.get(ObjRef("PersistentVolumeClaim", PVC, NS)).metadata.uid == pvc_uid, (
        f"the reinstall runs on a new PVC {PVC}: the data it should find is gone")
    pods = kube.live_pods(NS, SERVER)
    assert pods and all(pod_ready(p) for p in pods), f"server pods after the reinstall: {pods}"
    for p in pods:
        log = kube.logs(p.metadata.name, NS, "server")
        assert AUTH_FAILED not in log, f"server {p.metadata.name} cannot log in to PostgreSQL:\n{log[-1500:]}"
    with kubectl.port_forward(f"service/{N['service']}", NS, 80, 8080) as pf:
        health = get_ok(pf.url, "/api/health").json()
        assert health.get("database") == "ok", f"/api/health after the reinstall: {health}"
        assert_project_readable(pf.url, written["project"], written["category"], "after the reinstall")


def _release_listed(rel: Release) -> bool:
    try:
        rel.history()
        return True
    except Exception:
        return False
