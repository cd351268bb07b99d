"""Scenario d — health checks and probes (deployment plan step 14):

* liveness: the contract double's test-only fault switch (``CLOCKWORK_TEST_FAULTS=1``,
  ``POST /test/fault/liveness`` to one pod) makes ``/healthz`` fail → the kubelet restarts
  the container (restartCount + 1, an Unhealthy event) → Ready and serving again. A real
  image (``CLOCKWORK_E2E_IMAGE``) has no such switch: there ``helm upgrade`` points the
  liveness probe at a path nothing serves → restarts and the Unhealthy event → the right
  path back → a pod that serves;
* readiness: the database made unreachable (PostgreSQL StatefulSet scaled to 0) → the pod
  leaves the Service endpoints (``kubectl get endpoints clockwork-service``) without being
  restarted → database back → the pod is Ready and an endpoint again.

Probe periods are shortened through values (same paths and ports as the chart's
defaults) so the scenario takes seconds, not minutes.
"""

from __future__ import annotations

import pytest
from contract import names, server_selector
from double import AppImages

from chartgate.e2e.release import Release, Releases
from chartgate.e2e.waits import eventually
from chartgate.tools.kube import Kube, ObjRef, restart_count
from chartgate.util.merge import deep_merge

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_seconds(58)]  # xdist hands out long files first

NS = "clockwork-probes"
RELEASE = "clockwork"
N = names(RELEASE)
VALUES = {
    "deployment": {
        "livenessProbe": {"initialDelaySeconds": 5, "periodSeconds": 2, "failureThreshold": 2},
        "readinessProbe": {"initialDelaySeconds": 2, "periodSeconds": 2, "failureThreshold": 2},
    },
}
FAULT_SWITCH = {"deployment": {"extraEnv": [{"name": "CLOCKWORK_TEST_FAULTS", "value": "1"}]}}


def test_d_probes(releases: Releases, watch: Releases, kube: Kube, app_imgs: AppImages) -> None:
    values = deep_merge(VALUES, FAULT_SWITCH) if app_imgs.double else VALUES  # the double's switch only
    rel = releases.new(RELEASE, NS, ("values-dev.yaml",), values)
    rel.install(create_namespace=True)
    kube.wait_deployment_available(N["deployment"], NS, timeout=180)
    pod, ip = _the_server_pod(kube)
    kube.wait_endpoint(N["service"], NS, ip, ready=True, timeout=30)
    if app_imgs.double:
        rc = _liveness_by_fault_switch(kube, pod, ip)
        _readiness_by_database_outage(kube, pod, ip, rc)
    else:  # a real image has no fault switch: break the probe's path instead (works with any image)
        rc = restart_count(kube.get(ObjRef("Pod", pod, NS)), "server")
        _readiness_by_database_outage(kube, pod, ip, rc)
        _liveness_by_wrong_path(rel, kube)


def _the_server_pod(kube: Kube) -> tuple[str, str]:
    pods = kube.live_pods(NS, server_selector(RELEASE))
    assert len(pods) == 1, f"expected one server pod, got {[p.metadata.name for p in pods]}"
    return pods[0].metadata.name, pods[0].status.pod_ip


def _liveness_events(kube: Kube, pod: str) -> list:
    return [e for e in kube.events(NS, [pod]) if e.reason == "Unhealthy" and "Liveness" in (e.message or "")]


def _liveness_by_fault_switch(kube: Kube, pod: str, ip: str) -> int:
    """fault switch → restart → serving again; returns the new restartCount."""
    rc0 = restart_count(kube.get(ObjRef("Pod", pod, NS)), "server")
    assert kube.pod_http(pod, NS, 8080, "/healthz").status == 200
    flip = kube.pod_http(pod, NS, 8080, "/test/fault/liveness", method="POST")
    assert 200 <= flip.status < 300, f"POST /test/fault/liveness -> {flip.status} {flip.body}"
    assert kube.pod_http(pod, NS, 8080, "/healthz").status == 500, "/healthz does not fail with the fault set"
    rc1 = kube.wait_restart_count(pod, NS, "server", above=rc0, timeout=90)
    assert rc1 == rc0 + 1, f"restartCount went from {rc0} to {rc1}, expected exactly one restart"
    kube.wait_pod_ready(pod, NS, timeout=90)
    eventually("/healthz 200 after the restart",
               lambda: kube.pod_http(pod, NS, 8080, "/healthz").status == 200, timeout=30)
    assert _liveness_events(kube, pod), "no `Unhealthy … Liveness probe failed` event for the restarted pod"
    kube.wait_endpoint(N["service"], NS, ip, ready=True, timeout=60)
    return rc1


def _liveness_by_wrong_path(rel: Release, kube: Kube) -> None:
    """The liveness probe pointed at a path no server serves → the kubelet restarts the
    container; the right path back (``helm upgrade``) → a pod that serves and stays up."""
    rel.upgrade({"deployment": {"livenessProbe": {"path": "/e2e-no-such-path"}}}, wait=False)
    def broken_pod() -> str | None:
        pods = [p for p in kube.live_pods(NS, server_selector(RELEASE))
                if any(c.liveness_probe and c.liveness_probe.http_get.path == "/e2e-no-such-path"
                       for c in p.spec.containers)]
        return pods[0].metadata.name if pods else None
    pod = eventually("a server pod with the broken liveness path", broken_pod, timeout=60)
    kube.wait_restart_count(pod, NS, "server", above=0, timeout=120)
    assert _liveness_events(kube, pod), "no `Unhealthy … Liveness probe failed` event for the restarted pod"
    rel.upgrade({})
    kube.wait_deployment_available(N["deployment"], NS, timeout=180)
    pod, _ = _the_server_pod(kube)
    assert kube.pod_http(pod, NS, 8080, "/healthz").status == 200


def _readiness_by_database_outage(kube: Kube, pod: str, ip: str, rc: int) -> None:
    """database unreachable → out of the Service endpoints, not restarted → back → Ready."""
    kube.scale_statefulset(N["postgresql"], NS, 0)
    kube.wait_gone(ObjRef("Pod", f"{N['postgresql']}-0", NS), timeout=90)
    kube.wait_endpoint(N["service"], NS, ip, ready=False, timeout=60)
    health = kube.pod_http(pod, NS, 8080, "/api/health")  # the contract: readiness checks the database
    assert not 200 <= health.status < 300, (
        f"/api/health with the database down: {health.status} {health.body}")
    kube.scale_statefulset(N["postgresql"], NS, 1)
    kube.wait_statefulset_ready(N["postgresql"], NS, timeout=180)
    kube.wait_pod_ready(pod, NS, timeout=90)
    kube.wait_endpoint(N["service"], NS, ip, ready=True, timeout=60)
    after = restart_count(kube.get(ObjRef("Pod", pod, NS)), "server")
    assert after == rc, f"the database outage restarted the server (restartCount {rc} → {after})"
