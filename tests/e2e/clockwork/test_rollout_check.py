"""A test of the rolling-update test: its check must fail when the server's shutdown is
broken.

The contract double's broken-shutdown variant (``clockwork:1.0.0-abrupt``, built with
``-X main.shutdownMode=immediate``: on SIGTERM it closes every connection and exits at
once) is installed with two replicas and the chart's preStop sleep set to 0, so nothing
keeps a pod serving until the Service has stopped sending it traffic. A rollout (a
ConfigMap value changed through ``helm upgrade``) under the same request loop and the
same check as scenario e (:func:`chartgate.e2e.loadgen.assert_clean_rollout`) must then
raise, naming failed requests. The variant always comes from the double: it tests the
stage's own check, whichever server image the stage runs against.

``deployment.preStopSleepSeconds`` is at least 1 in values.schema.json (a 0 is a
mistake an operator must not make), so this one release is rendered with Helm's
``--skip-schema-validation``.
"""

from __future__ import annotations

import pytest
from contract import names, server_selector
from double import AppImages
from rollouts import FAST_READINESS

from chartgate.e2e.loadgen import RequestLoop, assert_clean_rollout, cover_rollout
from chartgate.e2e.release import Releases
from chartgate.tools.kube import Kube, ObjRef
from chartgate.util.merge import deep_merge

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_seconds(70)]  # xdist hands out long files first

NS = "clockwork-rollout-check"
RELEASE = "clockwork"
N = names(RELEASE)
SERVICE = f"http://{N['service']}.{NS}.svc"
SKIP_SCHEMA = ["--skip-schema-validation"]


def test_rolling_update_check_fails_on_broken_shutdown(releases: Releases, watch: Releases, kube: Kube,
                                                       app_imgs: AppImages, loadgen_image: str) -> None:
    repo, tag = AppImages.split(app_imgs.abrupt)
    broken = deep_merge(FAST_READINESS, {"deployment": {"replicas": 2, "preStopSleepSeconds": 0,
                                                        "image": {"repository": repo, "tag": tag}}})
    rel = releases.new(RELEASE, NS, ("values-dev.yaml",), broken)
    rel.install(create_namespace=True, extra=SKIP_SCHEMA)
    kube.wait_deployment_available(N["deployment"], NS, timeout=180)
    dep = kube.get(ObjRef("Deployment", N["deployment"], NS))
    server = next(c for c in dep.spec.template.spec.containers if c.name == "server")
    pre_stop = server.lifecycle.pre_stop if server.lifecycle else None
    sleep = pre_stop.sleep.seconds if pre_stop and pre_stop.sleep else None
    assert not sleep, f"the broken release still delays SIGTERM: preStop {server.lifecycle}"

    # the same loop, busier (3x the rate, twice the connections): more requests in flight
    # when a pod exits, more redials while its endpoint is still routed
    loop = RequestLoop(kube, NS, loadgen_image, f"{SERVICE}/api/health", write_url=f"{SERVICE}/api/projects",
                       name="abrupt", rate=150, concurrency=16)
    with loop:
        change = {"configMap": {"values": {"allowedOrigins": "https://abrupt.example.test"}}}
        res, rollout = cover_rollout(loop, kube, N["deployment"], NS, server_selector(RELEASE),
                                     lambda: rel.upgrade(change, extra=SKIP_SCHEMA))
    with pytest.raises(AssertionError) as caught:
        assert_clean_rollout(res, rollout, "broken shutdown (test of the test)")
    message = str(caught.value)
    print(f"the rolling-update check failed, as it must:\n{message}")
    assert res.failed > 0 and "requests failed" in message, (
        f"the check raised, but not for failed requests: {message}")
