"""A second chart on the e2e library: ``tests/e2e/charts/greeter`` (Deployment, Service,
ConfigMap; busybox httpd from ``tests/e2e/smoke-image``), tested with nothing but
:mod:`chartgate.e2e`'s public fixtures — proof that the library is not clockwork's.

The release is installed in its own namespace, serves the ConfigMap's message from every
pod, and a new message (a new ConfigMap) rolls the pods under the bounded in-cluster
request loop without one failed request (readiness probe, maxUnavailable 0, a preStop
pause before httpd stops).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chartgate.e2e.fixtures import LocalImages
from chartgate.e2e.loadgen import RequestLoop, assert_clean_rollout, cover_rollout
from chartgate.e2e.release import Releases
from chartgate.tools.kube import Kube, ObjRef

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_seconds(30)]  # xdist hands out long files first

HERE = Path(__file__).parent
CHART = HERE / "charts" / "greeter"
RELEASE = "hi"
NS = "greeter-e2e"
DEPLOYMENT = f"{RELEASE}-greeter"
SELECTOR = {"app.kubernetes.io/name": "greeter", "app.kubernetes.io/instance": RELEASE}


def _served(kube: Kube) -> dict[str, str]:
    """What each live pod answers at / (through the API server's pod proxy)."""
    return {p.metadata.name: kube.pod_http(p.metadata.name, NS, 8080, "/").body
            for p in kube.live_pods(NS, SELECTOR)}


def test_greeter_installs_serves_and_rolls_cleanly(watch: Releases, kube: Kube, local_images: LocalImages,
                                                   loadgen_image: str) -> None:
    image = local_images.build(HERE / "smoke-image", "chartgate.local/smoke-http:1")
    repo, _, tag = image.rpartition(":")
    rel = watch.new(RELEASE, NS, chart=CHART,
                    values={"image": {"repository": repo, "tag": tag, "pullPolicy": "IfNotPresent"}})
    rel.install({"message": "hello"})
    kube.wait_pods_ready(NS, SELECTOR, 2, timeout=60)
    assert set(_served(kube).values()) == {"hello\n"}

    # busybox httpd closes every connection: by the Service's IP, not its name, so the
    # loop's 50 new connections a second do not each ask CoreDNS first
    service_ip = kube.get(ObjRef("Service", DEPLOYMENT, NS)).spec.cluster_ip
    loop = RequestLoop(kube, NS, loadgen_image, f"http://{service_ip}/", name="greeter", max_duration=120)
    with loop:
        res, rollout = cover_rollout(loop, kube, DEPLOYMENT, NS, SELECTOR,
                                     lambda: rel.upgrade({"message": "bonjour"}))
    assert_clean_rollout(res, rollout, "greeter: new message", min_requests=200, writes=False)
    served = _served(kube)
    assert len(served) == 2 and set(served.values()) == {"bonjour\n"}, served
    assert rel.revision() == 2
