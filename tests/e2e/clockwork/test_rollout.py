"""Scenarios e, f, i on a two-replica release, each under a bounded in-cluster request
loop (``tests/e2e/loadgen``: a Job sending GET /api/health through the Service, a new
connection per request) where availability matters:

e. rolling update: ``helm upgrade`` to a new image version, then the plan's
   ``kubectl set image deployment/clockwork-server server=clockwork:v1.0.1`` +
   ``kubectl rollout status`` → rollout completes, new version served, ≥ 500 requests and
   0 failures in each phase;
f. rollback: ``helm rollback clockwork <revision>`` under the same loop → 0 failures, old
   version served;
i. a ConfigMap value changed through ``helm upgrade`` rolls the pods (checksum/config)
   and the new value takes effect (CORS allowed origin).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from chartgate.e2e.checks import get_ok, names, server_selector
from chartgate.e2e.fixtures import Releases
from chartgate.e2e.images import AppImages
from chartgate.e2e.loadgen import LoopResult, RequestLoop
from chartgate.e2e.release import Release
from chartgate.e2e.settings import missing
from chartgate.tools.kube import Kube, ObjRef
from chartgate.tools.kubectl import Kubectl

pytestmark = pytest.mark.e2e

NS = "clockwork-rollout"
RELEASE = "clockwork"
N = names(RELEASE)
REPLICAS = 2
MIN_REQUESTS = 500
URL = f"http://{N['service']}.{NS}.svc/api/health"
RESULTS: dict[str, LoopResult] = {}
REAL_IMAGE_COVER = 90  # seconds a loop runs when the new version is not known beforehand


@pytest.fixture(scope="module")
def ha(releases: Releases, kube: Kube) -> Iterator[Release]:
    rel = releases.new(RELEASE, NS, ("values-dev.yaml",), {"deployment": {"replicas": REPLICAS}})
    rel.install(create_namespace=True)
    kube.wait_deployment_available(N["deployment"], NS, timeout=180)
    yield rel


def _image_values(ref: str) -> dict:
    repo, tag = AppImages.split(ref)
    return {"deployment": {"image": {"repository": repo, "tag": tag}}}


def _loop(kube: Kube, image: str, name: str, until: str, min_duration: float = 0) -> RequestLoop:
    return RequestLoop(kube, NS, image, URL, min_requests=MIN_REQUESTS, max_requests=8000,
                       min_duration=min_duration, max_duration=150, rate=25, concurrency=4,
                       until_version=until or None, settle=8, name=name)


def _assert_clean(res: LoopResult, phase: str, rollout_done: datetime, app_imgs: AppImages,
                  old: str, new: str) -> None:
    """0 failures, >= MIN_REQUESTS, and the loop covered the rollout. The contract double's
    versions are known, so the loop runs until only ``new`` answers (``-until-version``)
    and must have seen ``old → new``. A real image's versions are only known afterwards
    (what /api/health reported before and after): its loop runs for REAL_IMAGE_COVER
    seconds, must still have been running when the rollout completed, and must have seen
    the switch when the two versions differ."""
    print(f"[{phase}] request loop: {res.summary()}")
    RESULTS[phase] = res
    assert res.failed == 0, f"{phase}: requests failed during the rollout — {res.summary()}"
    assert res.total >= MIN_REQUESTS, (
        f"{phase}: only {res.total} requests (< {MIN_REQUESTS}) — {res.summary()}")
    if app_imgs.double:
        assert old and new and old != new, f"{phase}: /api/health reported {old!r} before and {new!r} after"
    else:
        end = res.finished()
        assert end is not None and end >= rollout_done, (
            f"{phase}: the request loop ended at {end} before the rollout completed at {rollout_done}; "
            f"it did not cover the whole rollout — {res.summary()}")
    if old and new and old != new:
        assert res.raw.get("first_version") == old and res.last_version_is(new) and old in res.versions, (
            f"{phase}: the loop did not see the switch {old} → {new}: {res.summary()}")


def _cover(app_imgs: AppImages) -> float:
    return 0 if app_imgs.double else REAL_IMAGE_COVER


def _serving_version(kube: Kube) -> str:
    """The version one serving pod reports in /api/health (through the API server's pod proxy)."""
    pod = kube.live_pods(NS, server_selector(RELEASE))[0].metadata.name
    answer = kube.pod_http(pod, NS, 8080, "/api/health")
    return str(json.loads(answer.body).get("version", "")) if answer.status == 200 else ""


def _serving_images(kube: Kube) -> set[str]:
    pods = kube.live_pods(NS, server_selector(RELEASE))
    return {c.image for p in pods for c in p.spec.containers if c.name == "server"}


def _need_versions(app_imgs: AppImages) -> None:
    if not app_imgs.double and app_imgs.v1 == app_imgs.v2:
        missing("rolling update/rollback need two image versions: set CLOCKWORK_E2E_IMAGE_NEXT")


def test_e_rolling_update(ha: Release, watch: Releases, kube: Kube, kubectl: Kubectl,
                          app_imgs: AppImages, loadgen_image: str) -> None:
    _need_versions(app_imgs)
    kube.wait_deployment_available(N["deployment"], NS, timeout=120)
    before = _serving_version(kube)
    with _loop(kube, loadgen_image, "upgrade", app_imgs.v2_version, _cover(app_imgs)) as loop:
        ha.upgrade(_image_values(app_imgs.v2))
        kube.wait_deployment_available(N["deployment"], NS, timeout=180)
        done = datetime.now(UTC)
        res = loop.result()
    after = _serving_version(kube)
    _assert_clean(res, "helm upgrade", done, app_imgs, before, after)
    assert _serving_images(kube) == {app_imgs.v2}, f"pods after the upgrade run {_serving_images(kube)}"

    # The plan's commands: kubectl set image … server=clockwork:v1.0.1; kubectl rollout status …
    before = after
    with _loop(kube, loadgen_image, "set-image", app_imgs.set_image_version, _cover(app_imgs)) as loop:
        kubectl.set_image(N["deployment"], "server", app_imgs.set_image, NS)
        kubectl.rollout_status(N["deployment"], NS, timeout="180s")
        kube.wait_deployment_available(N["deployment"], NS, timeout=60)
        done = datetime.now(UTC)
        res = loop.result()
    _assert_clean(res, "kubectl set image", done, app_imgs, before, _serving_version(kube))
    assert _serving_images(kube) == {app_imgs.set_image}, f"pods run {_serving_images(kube)}"
    with kubectl.port_forward(f"service/{N['service']}", NS, 80, 8080) as pf:
        health = get_ok(pf.url, "/api/health").json()
        if app_imgs.double:
            assert health.get("version") == app_imgs.set_image_version, (
                f"/api/health after the update: {health}")


def _foreign_image_manager(kube: Kube) -> str | None:
    """A field manager other than Helm that owns the server image (the plan's
    ``kubectl set image`` leaves ``kubectl-set`` there)."""
    dep = kube.get(ObjRef("Deployment", N["deployment"], NS))
    for mf in dep.metadata.managed_fields or []:
        if mf.manager != "helm" and '"f:image"' in json.dumps(mf.fields_v1 or {}):
            return str(mf.manager)
    return None


def test_f_rollback(ha: Release, watch: Releases, kube: Kube, kubectl: Kubectl,
                    app_imgs: AppImages, loadgen_image: str) -> None:
    _need_versions(app_imgs)
    if _serving_images(kube) == {app_imgs.v1}:  # e did not run/failed: make a version to roll back from
        ha.upgrade(_image_values(app_imgs.v2))
    # After the plan's `kubectl set image` (scenario e) the image field belongs to field
    # manager kubectl-set, and a plain `helm rollback` fails under Helm 4's server-side apply
    # ("conflict with \"kubectl-set\" … .image"): the docs' rollback needs --force-conflicts then.
    foreign = _foreign_image_manager(kube)
    extra = ["--force-conflicts"] if foreign else []
    if foreign:
        warnings.warn(f"the server image is owned by field manager {foreign!r} (kubectl set image): "
                      "`helm rollback` needs --force-conflicts under Helm 4 (document it)", stacklevel=1)
    kube.wait_deployment_available(N["deployment"], NS, timeout=180)
    first = min(int(h["revision"]) for h in ha.history())  # the install: image v1
    current = _serving_version(kube)
    with _loop(kube, loadgen_image, "rollback", app_imgs.v1_version, _cover(app_imgs)) as loop:
        ha.rollback(first, extra=extra)  # helm rollback clockwork <revision> -n …
        kube.wait_deployment_available(N["deployment"], NS, timeout=180)
        done = datetime.now(UTC)
        res = loop.result()
    _assert_clean(res, "helm rollback", done, app_imgs, current, _serving_version(kube))
    assert _serving_images(kube) == {app_imgs.v1}, f"pods after the rollback run {_serving_images(kube)}"
    with kubectl.port_forward(f"service/{N['service']}", NS, 80, 8080) as pf:
        health = get_ok(pf.url, "/api/health").json()
        if app_imgs.double:
            assert health.get("version") == app_imgs.v1_version, f"/api/health after the rollback: {health}"


def test_i_configmap_change_rolls_pods(ha: Release, watch: Releases, kube: Kube, kubectl: Kubectl,
                                       app_imgs: AppImages) -> None:
    origin = "https://e2e-rollout.example.test"
    kube.wait_deployment_available(N["deployment"], NS, timeout=180)
    dep = kube.get(ObjRef("Deployment", N["deployment"], NS))
    before_sum = (dep.spec.template.metadata.annotations or {}).get("checksum/config")
    assert before_sum, "the server pod template carries no checksum/config annotation"
    before_pods = {p.metadata.name for p in kube.live_pods(NS, server_selector(RELEASE))}
    image = next(c.image for c in dep.spec.template.spec.containers if c.name == "server")

    ha.upgrade({**_image_values(image), "configMap": {"values": {"allowedOrigins": origin}}})
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
        from chartgate.e2e import http

        cors = http.get(pf.url + "/api/health", headers={"Origin": origin})
        assert cors.headers.get("access-control-allow-origin") == origin, (
            f"the new ALLOWED_ORIGINS is not in effect: {cors.headers} (GET /api/health {r.status})")
