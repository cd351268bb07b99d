"""What the rollout tests share (scenarios i, e, f in ``test_rollout.py``, the upgrade journey, the
test of the rolling-update check): a two-replica dev release in the test file's namespace, and
the bounded in-cluster request loop (:mod:`chartgate.e2e.loadgen`) around a change.

The loop is a Job whose workers keep their connections alive, GET ``/api/health`` and POST a new
project for a fifth of the requests, through the release's Service. It starts before the change
and is stopped only once the rollout is complete *and* every pod of before the change is gone
(terminating ones included); it must count ≥ :data:`MIN_REQUESTS` inside that window, 0 failures
(a request in flight when its pod went away included), and read back every project it wrote.

The contract double reports its version, so the loop must also see the switch old → new; a real
image's version string is not part of the contract, so there the pods' images prove the switch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from contract import names, server_selector
from double import AppImages

from chartgate.e2e.loadgen import LoopResult, RequestLoop, Rollout, cover_rollout
from chartgate.e2e.release import Release, Releases
from chartgate.tools.kube import Kube
from chartgate.util.merge import deep_merge

RELEASE = "clockwork"
N = names(RELEASE)
REPLICAS = 2
MIN_REQUESTS = 500  # inside each rollout window
# None of the rollout tests is about the chart's probe timings (scenario d is): new pods turn
# Ready within a second of answering /api/health instead of 5–10 s after they start. The
# rollout is the same — surge one, wait for Ready, take an old pod out of the endpoints, its
# preStop sleep, SIGTERM, drain — only without the idle seconds between probes.
FAST_READINESS = {"deployment": {"readinessProbe": {"initialDelaySeconds": 0, "periodSeconds": 1}}}
# A two-pod rollout with fast readiness takes ~15 s (each old pod still sleeps through its
# preStop): twice the plan's 50 requests/s keeps ≥ MIN_REQUESTS inside the window with room
# to spare on a busy machine.
LOOP_RATE = 100


@dataclass(frozen=True)
class HaRelease:
    """A two-replica dev release of clockwork in namespace ``ns``."""

    release: Release
    ns: str

    @property
    def service_url(self) -> str:
        return f"http://{N['service']}.{self.ns}.svc"


def install_ha(releases: Releases, kube: Kube, ns: str, extra_values: dict | None = None) -> HaRelease:
    values = deep_merge(deep_merge(FAST_READINESS, {"deployment": {"replicas": REPLICAS}}),
                        extra_values or {})
    rel = releases.new(RELEASE, ns, ("values-dev.yaml",), values)
    rel.install(create_namespace=True)
    kube.wait_deployment_available(N["deployment"], ns, timeout=180)
    return HaRelease(rel, ns)


def image_values(ref: str) -> dict:
    repo, tag = AppImages.split(ref)
    return {"deployment": {"image": {"repository": repo, "tag": tag}}}


def covered(kube: Kube, ha: HaRelease, loadgen_image: str, name: str,
            change: Callable[[], object]) -> tuple[LoopResult, Rollout]:
    """Run ``change`` under the request loop; return the loop's result and the rollout."""
    loop = RequestLoop(kube, ha.ns, loadgen_image, f"{ha.service_url}/api/health",
                       write_url=f"{ha.service_url}/api/projects", name=name, rate=LOOP_RATE)
    with loop:
        return cover_rollout(loop, kube, N["deployment"], ha.ns, server_selector(RELEASE), change)


def assert_switch(res: LoopResult, phase: str, app_imgs: AppImages, old: str, new: str) -> None:
    """The double's versions are known: the loop saw old first and new last."""
    if not app_imgs.double:
        return
    assert res.raw.get("first_version") == old and res.last_version_is(new) and old in res.versions, (
        f"{phase}: the loop did not see the switch {old} → {new}: {res.summary()}")


def serving_images(kube: Kube, ns: str) -> set[str]:
    pods = kube.live_pods(ns, server_selector(RELEASE))
    return {c.image for p in pods for c in p.spec.containers if c.name == "server"}
