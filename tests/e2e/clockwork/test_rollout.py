"""Scenarios e and f on a two-replica release, each change under the bounded request loop
(see :mod:`rollouts`). They run in this order, as the deployment plan does:

e. rolling update: ``helm upgrade`` to the next image, then the plan's ``kubectl set image
   deployment/clockwork-server server=clockwork:v1.0.1`` + ``kubectl rollout status`` (with real
   images: back to ``CLOCKWORK_E2E_IMAGE``; never to the image already running, which would roll
   nothing);
f. rollback: ``helm rollback clockwork <revision>`` under the same loop → the revision's image is
   served.

The ConfigMap rollout (i) has its own file and namespace, so it runs beside these.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator

import pytest
from double import AppImages
from rollouts import (
    MIN_REQUESTS,
    HaRelease,
    N,
    assert_switch,
    covered,
    image_values,
    install_ha,
    serving_images,
)

from chartgate.e2e.http import get_ok
from chartgate.e2e.loadgen import assert_clean_rollout
from chartgate.e2e.release import Releases
from chartgate.tools.kube import Kube, ObjRef
from chartgate.tools.kubectl import Kubectl

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_seconds(110)]  # xdist hands out long files first

NS = "clockwork-rollout"


@pytest.fixture(scope="module")
def ha(releases: Releases, kube: Kube) -> Iterator[HaRelease]:
    yield install_ha(releases, kube, NS)


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
