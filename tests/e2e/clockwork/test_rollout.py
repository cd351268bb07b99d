"""Scenarios i, e and f on one two-replica release, each change under the bounded request
loop (see :mod:`rollouts`) except i, which proves its own point:

i. a ConfigMap value changed through ``helm upgrade`` rolls the pods (``checksum/config``) and
   the new value takes effect (CORS allowed origin). It keeps the running image and needs
   only a healthy release, so it shares this one instead of installing its own (a whole
   install and uninstall less); it runs first, on the fresh release.

e and f run in this order, as the deployment plan does:

e. rolling update: ``helm upgrade`` to the next image, then the plan's ``kubectl set image
   deployment/clockwork-server server=clockwork:v1.0.1`` + ``kubectl rollout status`` (with real
   images: back to ``CLOCKWORK_E2E_IMAGE``; never to the image already running, which would roll
   nothing);
f. rollback: ``helm rollback clockwork <revision>`` under the same loop → the revision's image is
   served.

"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator

import pytest
from contract import server_selector
from double import AppImages
from rollouts import (
    MIN_REQUESTS,
    REPLICAS,
    HaRelease,
    N,
    assert_switch,
    covered,
    image_values,
    install_ha,
    serving_images,
)

from chartgate.e2e import http
from chartgate.e2e.http import get_ok
from chartgate.e2e.loadgen import assert_clean_rollout
from chartgate.e2e.release import Releases
from chartgate.tools.kube import Kube, ObjRef
from chartgate.tools.kubectl import Kubectl

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_seconds(130)]  # xdist hands out long files first

NS = "clockwork-rollout"
RELEASE = "clockwork"


@pytest.fixture(scope="module")
def ha(releases: Releases, kube: Kube) -> Iterator[HaRelease]:
    yield install_ha(releases, kube, NS)


def test_i_configmap_change_rolls_pods(ha: HaRelease, watch: Releases, kube: Kube, kubectl: Kubectl) -> None:
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


def test_e_rolling_update(ha: HaRelease, watch: Releases, kube: Kube, kubectl: Kubectl,
                          app_imgs: AppImages, loadgen_image: str) -> None:
    kube.wait_deployment_available(N["deployment"], NS, timeout=120)
    before = serving_images(kube, NS)
    assert before == {app_imgs.v1}, f"pods before the upgrade run {before}"
    res, rollout = covered(kube, ha, loadgen_image, "upgrade",
                           lambda: ha.release.upgrade(image_values(app_imgs.v2)))
    assert_clean_rollout(res, rollout, "helm upgrade", MIN_REQUESTS)
    assert_switch(res, "helm upgrade", app_imgs, app_imgs.v1_version, app_imgs.v2_version)
    assert serving_images(kube, NS) == {app_imgs.v2}, f"pods after the upgrade run {serving_images(kube, NS)}"

    # The plan's commands: kubectl set image … server=clockwork:v1.0.1; kubectl rollout status …
    assert app_imgs.set_image not in serving_images(kube, NS), (
        f"`kubectl set image` to {app_imgs.set_image}, the image already running, would roll nothing")

    def set_image() -> None:
        kubectl.set_image(N["deployment"], "server", app_imgs.set_image, NS)
        kubectl.rollout_status(N["deployment"], NS, timeout="180s")

    res, rollout = covered(kube, ha, loadgen_image, "set-image", set_image)
    assert_clean_rollout(res, rollout, "kubectl set image", MIN_REQUESTS)
    assert_switch(res, "kubectl set image", app_imgs, app_imgs.v2_version, app_imgs.set_image_version)
    assert serving_images(kube, NS) == {app_imgs.set_image}, f"pods run {serving_images(kube, NS)}"
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


def test_f_rollback(ha: HaRelease, watch: Releases, kube: Kube, kubectl: Kubectl,
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
    first = min(int(h["revision"]) for h in ha.release.history())  # the install: image v1
    if serving_images(kube, NS) == {app_imgs.v1}:
        # real images (e went back to the first one) or e did not get far: a rollback to the
        # install's revision must change the image, so move on to the next one first
        ha.release.upgrade(image_values(app_imgs.v2), extra=extra)
        kube.wait_deployment_available(N["deployment"], NS, timeout=180)
    current = serving_images(kube, NS)
    version = app_imgs.set_image_version if current == {app_imgs.set_image} else app_imgs.v2_version
    res, rollout = covered(kube, ha, loadgen_image, "rollback",
                           lambda: ha.release.rollback(first, extra=extra))
    assert_clean_rollout(res, rollout, "helm rollback", MIN_REQUESTS)
    assert_switch(res, "helm rollback", app_imgs, version, app_imgs.v1_version)
    after = serving_images(kube, NS)
    assert after == {app_imgs.v1}, f"pods after the rollback run {after}"
