"""Scenario d — health checks and probes (deployment plan step 14):

* liveness: the contract double's test-only fault switch (``CLOCKWORK_TEST_FAULTS=1``,
  ``POST /test/fault/liveness`` to one pod) makes ``/healthz`` fail → the kubelet restarts
  the container (restartCount + 1, an Unhealthy event) → Ready and serving again;
* readiness: the database made unreachable (PostgreSQL StatefulSet scaled to 0) → the pod
  leaves the Service endpoints (``kubectl get endpoints clockwork-service``) without being
  restarted → database back → the pod is Ready and an endpoint again.

Probe periods are shortened through values (same paths and ports as the chart's
defaults) so the scenario takes seconds, not minutes.
"""

from __future__ import annotations

import pytest

from chartgate.e2e.checks import eventually, names, server_selector
from chartgate.e2e.fixtures import Releases
from chartgate.e2e.images import AppImages
from chartgate.e2e.settings import missing
from chartgate.tools.kube import Kube, ObjRef, restart_count

pytestmark = pytest.mark.e2e

NS = "clockwork-probes"
RELEASE = "clockwork"
N = names(RELEASE)
VALUES = {
    "deployment": {
        "extraEnv": [{"name": "CLOCKWORK_TEST_FAULTS", "value": "1"}],
        "livenessProbe": {"initialDelaySeconds": 5, "periodSeconds": 2, "failureThreshold": 2},
        "readinessProbe": {"initialDelaySeconds": 2, "periodSeconds": 2, "failureThreshold": 2},
    },
}


def test_d_probes(releases: Releases, watch: Releases, kube: Kube, app_imgs: AppImages) -> None:
    if not app_imgs.double:
        missing("scenario d needs the contract double's liveness fault switch (CLOCKWORK_E2E_IMAGE is set)")
    rel = releases.new(RELEASE, NS, ("values-dev.yaml",), VALUES)
    rel.install(create_namespace=True)
    kube.wait_deployment_available(N["deployment"], NS, timeout=180)
    pods = kube.live_pods(NS, server_selector(RELEASE))
    assert len(pods) == 1, f"expected one server pod, got {[p.metadata.name for p in pods]}"
    pod = pods[0].metadata.name
    ip = pods[0].status.pod_ip
    kube.wait_endpoint(N["service"], NS, ip, ready=True, timeout=30)

    # --- liveness: fault switch → restart → serving again
    rc0 = restart_count(pods[0], "server")
    assert kube.pod_http(pod, NS, 8080, "/healthz").status == 200
    flip = kube.pod_http(pod, NS, 8080, "/test/fault/liveness", method="POST")
    assert 200 <= flip.status < 300, f"POST /test/fault/liveness -> {flip.status} {flip.body}"
    assert kube.pod_http(pod, NS, 8080, "/healthz").status == 500, "/healthz does not fail with the fault set"
    rc1 = kube.wait_restart_count(pod, NS, "server", above=rc0, timeout=90)
    assert rc1 == rc0 + 1, f"restartCount went from {rc0} to {rc1}, expected exactly one restart"
    kube.wait_pod_ready(pod, NS, timeout=90)
    eventually("/healthz 200 after the restart",
               lambda: kube.pod_http(pod, NS, 8080, "/healthz").status == 200, timeout=30)
    unhealthy = [e for e in kube.events(NS, [pod])
                 if e.reason == "Unhealthy" and "Liveness" in (e.message or "")]
    assert unhealthy, "no `Unhealthy … Liveness probe failed` event for the restarted pod"
    kube.wait_endpoint(N["service"], NS, ip, ready=True, timeout=60)

    # --- readiness: database unreachable → out of the endpoints → back
    kube.scale_statefulset(N["postgresql"], NS, 0)
    kube.wait_gone(ObjRef("Pod", f"{N['postgresql']}-0", NS), timeout=90)
    kube.wait_endpoint(N["service"], NS, ip, ready=False, timeout=60)
    health = kube.pod_http(pod, NS, 8080, "/api/health")
    assert health.status == 503, f"/api/health with the database down: {health.status} {health.body}"
    kube.scale_statefulset(N["postgresql"], NS, 1)
    kube.wait_statefulset_ready(N["postgresql"], NS, timeout=180)
    kube.wait_pod_ready(pod, NS, timeout=90)
    kube.wait_endpoint(N["service"], NS, ip, ready=True, timeout=60)
    after = restart_count(kube.get(ObjRef("Pod", pod, NS)), "server")
    assert after == rc1, f"the database outage restarted the server (restartCount {rc1} → {after})"
