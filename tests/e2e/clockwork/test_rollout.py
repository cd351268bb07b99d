"""Scenarios e, f, i on a two-replica release; e and f each under a bounded in-cluster
request loop (``tests/e2e/loadgen``, :mod:`chartgate.e2e.loadgen`): a Job whose workers
keep their connections alive, GET ``/api/health`` and POST a new project for a fifth of
the requests, through the release's Service. For every change the loop starts before
the change and is stopped by the test only once the rollout is complete *and* every pod
of before the change is gone (terminating ones included); it must count ≥ 500 requests
inside that window, 0 failures (a request in flight when its pod went away included),
and read back every project it wrote.

e. rolling update: ``helm upgrade`` to the next image, then the plan's
   ``kubectl set image deployment/clockwork-server server=clockwork:v1.0.1`` +
   ``kubectl rollout status`` (with real images: back to ``CLOCKWORK_E2E_IMAGE``; never
   to the image already running, which would roll nothing);
f. rollback: ``helm rollback clockwork <revision>`` under the same loop → the revision's
   image is served;
i. a ConfigMap value changed through ``helm upgrade`` rolls the pods (checksum/config)
   and the new value takes effect (CORS allowed origin).

The contract double reports its version, so the loop must also see the switch old →
new; a real image's version string is not part of the contract, so there the pods'
images prove the switch.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator

import pytest

from chartgate.e2e.checks import assert_clean_rollout, get_ok, names, server_selector
from chartgate.e2e.fixtures import Releases
from chartgate.e2e.images import AppImages
from chartgate.e2e.loadgen import LoopResult, RequestLoop, Rollout, cover_rollout
from chartgate.e2e.release import Release
from chartgate.tools.kube import Kube, ObjRef
from chartgate.tools.kubectl import Kubectl

pytestmark = pytest.mark.e2e

NS = "clockwork-rollout"
RELEASE = "clockwork"
N = names(RELEASE)
REPLICAS = 2
MIN_REQUESTS = 500  # inside each rollout window
SERVICE = f"http://{N['service']}.{NS}.svc"


@pytest.fixture(scope="module")
def ha(releases: Releases, kube: Kube) -> Iterator[Release]:
    rel = releases.new(RELEASE, NS, ("values-dev.yaml",), {"deployment": {"replicas": REPLICAS}})
    rel.install(create_namespace=True)
    kube.wait_deployment_available(N["deployment"], NS, timeout=180)
    yield rel


def _image_values(ref: str) -> dict:
    repo, tag = AppImages.split(ref)
    return {"deployment": {"image": {"repository": repo, "tag": tag}}}


def _covered(kube: Kube, loadgen_image: str, name: str,
             change: Callable[[], object]) -> tuple[LoopResult, Rollout]:
    loop = RequestLoop(kube, NS, loadgen_image, f"{SERVICE}/api/health", write_url=f"{SERVICE}/api/projects",
                       name=name)
    with loop:
        return cover_rollout(loop, kube, N["deployment"], NS, server_selector(RELEASE), change)


def _assert_switch(res: LoopResult, phase: str, app_imgs: AppImages, old: str, new: str) -> None:
    """The double's versions are known: the loop saw old first and new last."""
    if not app_imgs.double:
        return
    assert res.raw.get("first_version") == old and res.last_version_is(new) and old in res.versions, (
        f"{phase}: the loop did not see the switch {old} → {new}: {res.summary()}")


def _serving_images(kube: Kube) -> set[str]:
    pods = kube.live_pods(NS, server_selector(RELEASE))
    return {c.image for p in pods for c in p.spec.containers if c.name == "server"}


def test_e_rolling_update(ha: Release, watch: Releases, kube: Kube, kubectl: Kubectl,
                          app_imgs: AppImages, loadgen_image: str) -> None:
    kube.wait_deployment_available(N["deployment"], NS, timeout=120)
    assert _serving_images(kube) == {app_imgs.v1}, f"pods before the upgrade run {_serving_images(kube)}"
    res, rollout = _covered(kube, loadgen_image, "upgrade", lambda: ha.upgrade(_image_values(app_imgs.v2)))
    assert_clean_rollout(res, rollout, "helm upgrade", MIN_REQUESTS)
    _assert_switch(res, "helm upgrade", app_imgs, app_imgs.v1_version, app_imgs.v2_version)
    assert _serving_images(kube) == {app_imgs.v2}, f"pods after the upgrade run {_serving_images(kube)}"

    # The plan's commands: kubectl set image … server=clockwork:v1.0.1; kubectl rollout status …
    assert app_imgs.set_image not in _serving_images(kube), (
        f"`kubectl set image` to {app_imgs.set_image}, the image already running, would roll nothing")

    def set_image() -> None:
        kubectl.set_image(N["deployment"], "server", app_imgs.set_image, NS)
        kubectl.rollout_status(N["deployment"], NS, timeout="180s")

    res, rollout = _covered(kube, loadgen_image, "set-image", set_image)
    assert_clean_rollout(res, rollout, "kubectl set image", MIN_REQUESTS)
    _assert_switch(res, "kubectl set image", app_imgs, app_imgs.v2_version, app_imgs.set_image_version)
    assert _serving_images(kube) == {app_imgs.set_image}, f"pods run {_serving_images(kube)}"
    if app_imgs.double:
        with kubectl.port_forward(f"service/{N['service']}", NS, 80, 8080) as pf:
            health = get_ok(pf.url, "/api/health").json()
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
    if _serving_images(kube) == {app_imgs.v1}:
        # real images (e went back to the first one) or e did not get far: a rollback to the
        # install's revision must change the image, so move on to the next one first
        ha.upgrade(_image_values(app_imgs.v2), extra=extra)
        kube.wait_deployment_available(N["deployment"], NS, timeout=180)
    current = _serving_images(kube)
    version = app_imgs.set_image_version if current == {app_imgs.set_image} else app_imgs.v2_version
    res, rollout = _covered(kube, loadgen_image, "rollback", lambda: ha.rollback(first, extra=extra))
    assert_clean_rollout(res, rollout, "helm rollback", MIN_REQUESTS)
    _assert_switch(res, "helm rollback", app_imgs, version, app_imgs.v1_version)
    assert _serving_images(kube) == {app_imgs.v1}, f"pods after the rollback run {_serving_images(kube)}"


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
