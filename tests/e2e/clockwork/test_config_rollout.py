"""Scenario i: a ConfigMap value changed through ``helm upgrade`` rolls the pods
(``checksum/config``) and the new value takes effect (CORS allowed origin). Its own two-replica
release and namespace, so it runs beside the rolling-update file under ``--dist loadfile``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from contract import server_selector
from double import AppImages
from rollouts import REPLICAS, HaRelease, N, image_values, install_ha

from chartgate.e2e import http
from chartgate.e2e.http import get_ok
from chartgate.e2e.release import Releases
from chartgate.tools.kube import Kube, ObjRef
from chartgate.tools.kubectl import Kubectl

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_seconds(45)]  # xdist hands out long files first

NS = "clockwork-config-rollout"
RELEASE = "clockwork"


@pytest.fixture(scope="module")
def ha(releases: Releases, kube: Kube) -> Iterator[HaRelease]:
    yield install_ha(releases, kube, NS)


def test_i_configmap_change_rolls_pods(ha: HaRelease, watch: Releases, kube: Kube, kubectl: Kubectl,
                                       app_imgs: AppImages) -> None:
    origin = "https://e2e-rollout.example.test"
    kube.wait_deployment_available(N["deployment"], NS, timeout=180)
    dep = kube.get(ObjRef("Deployment", N["deployment"], NS))
    before_sum = (dep.spec.template.metadata.annotations or {}).get("checksum/config")
    assert before_sum, "the server pod template carries no checksum/config annotation"
    before_pods = {p.metadata.name for p in kube.live_pods(NS, server_selector(RELEASE))}
    image = next(c.image for c in dep.spec.template.spec.containers if c.name == "server")

    ha.release.upgrade({**image_values(image), "configMap": {"values": {"allowedOrigins": origin}}})
    kube.wait_deployment_available(N["deployment"], NS, timeout=180)

    assert (kube.get(ObjRef("ConfigMap", N["configmap"], NS)).data or {}).get("ALLOWED_ORIGINS") == origin
    dep = kube.get(ObjRef("Deployment", N["deployment"], NS))
    after_sum = (dep.spec.template.metadata.annotations or {}).get("checksum/config")
    assert after_sum and after_sum != before_sum, (
        f"checksum/config did not change ({before_sum} → {after_sum})")
    after_pods = {p.metadata.name for p in kube.live_pods(NS, server_selector(RELEASE))}
    assert len(after_pods) == REPLICAS and not before_pods & after_pods, (
        f"the pods were not rolled: before {sorted(before_pods)}, after {sorted(after_pods)}")
    with kubectl.port_forward(f"service/{N['service']}", NS, 80, 8080) as pf:
        r = get_ok(pf.url, "/api/health")
        cors = http.get(pf.url + "/api/health", headers={"Origin": origin})
        assert cors.headers.get("access-control-allow-origin") == origin, (
            f"the new ALLOWED_ORIGINS is not in effect: {cors.headers} (GET /api/health {r.status})")
