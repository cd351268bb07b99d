"""Journeys g and e on one release: the documented development install, run as the docs
print it — without ``--wait`` — and the namespace it creates.

deploy/README.md ("Development install") and docs/deployment.md say the dev install
"works with and without ``helm install --wait``; ``helm install`` returns once goose is
done", and follow it with ``kubectl wait`` commands. The commands, found in both docs
(``chartgate.e2e.docs``) and run verbatim except for the namespace (``clockwork-nowait``
instead of ``clockwork``, with ``namespace.name`` to match) and the stage's images:

    helm install clockwork ./deploy/helm/clockwork -f deploy/helm/clockwork/values-dev.yaml \
        -n clockwork --create-namespace
    kubectl wait --for=condition=complete job/clockwork-migrate -n clockwork --timeout=300s
    kubectl wait --for=condition=available deployment/clockwork-server -n clockwork --timeout=300s
    helm upgrade clockwork ./deploy/helm/clockwork -f deploy/helm/clockwork/values-dev.yaml -n clockwork
    kubectl rollout status deployment/clockwork-server -n clockwork

(the ``kubectl wait``/``rollout status`` steps are chartgate's bounded waits,
:mod:`chartgate.tools.kube`).

g. Without ``--wait``: helm returns only after the migration hook Job completed (install:
   ``post-install``; upgrade: ``pre-upgrade``), and the bounded waits then see the
   Deployment Available and the API answering from the database.
e. Namespace as documented ("Namespace" in deploy/README.md): the created namespace carries
   ``pod-security.kubernetes.io/{enforce,audit,warn}: restricted`` with the pinned
   ``…-version`` and ``clockwork.dev/environment: development``, and the API server's Pod
   Security admission refuses a privileged pod in it (a server-side dry-run create,
   answered by admission) while it admits a restricted-compliant one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from contract import CHART_PATH, assert_goose_applied, migration_log, names

from chartgate.e2e.docs import HelmCommand, documented_helm
from chartgate.e2e.http import get_ok
from chartgate.e2e.release import Release, Releases
from chartgate.tools.kube import Kube, ObjRef, job_state
from chartgate.tools.kubectl import Kubectl
from chartgate.util.deadline import Terminal

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_seconds(50)]  # xdist hands out long files first

NS = "clockwork-nowait"
N = names("clockwork")
DEV = "./deploy/helm/clockwork -f deploy/helm/clockwork/values-dev.yaml -n clockwork"
DEV_INSTALL = f"helm install clockwork {DEV}"
DEV_UPGRADE = f"helm upgrade clockwork {DEV}"
DOC_TIMEOUT = 300  # the docs' kubectl wait --timeout=300s
PROBE_IMAGE = "clockwork:1.0.0"  # dry-run pods are never scheduled


def _docs(root: Path) -> list[Path]:
    return [root / "deploy" / "README.md", root / "docs" / "deployment.md"]


@dataclass
class Returned:
    """A helm operation run without --wait, and the migration Job as helm left it."""

    cmd: HelmCommand
    seconds: float
    job: Any


@dataclass
class NoWait:
    rel: Release
    install: Returned
    docs: list[Path]


def _job_when_helm_returned(kube: Kube, cmd: HelmCommand, seconds: float) -> Returned:
    return Returned(cmd, seconds, kube.get(ObjRef("Job", N["job"], NS)))


@pytest.fixture(scope="module")
def nowait(request: pytest.FixtureRequest, releases: Releases, kube: Kube) -> NoWait:
    docs = _docs(Path(str(request.config.rootpath)))
    cmd = documented_helm(docs, DEV_INSTALL, CHART_PATH)
    assert not cmd.wait and cmd.create_namespace, f"the documented dev install changed: {cmd.line}"
    rel = releases.new(cmd.release, NS, cmd.values_files)
    t0 = time.monotonic()
    rel.install(create_namespace=cmd.create_namespace, wait=cmd.wait, extra=cmd.set_args())
    return NoWait(rel, _job_when_helm_returned(kube, cmd, time.monotonic() - t0), docs)


def _assert_migrated_on_return(ret: Returned, event: str) -> None:
    hook = (ret.job.metadata.annotations or {}).get("helm.sh/hook", "")
    assert event in hook.split(","), f"job/{N['job']} is a {hook!r} hook, not {event}"
    try:
        done, state = job_state(ret.job)
    except Terminal as exc:
        pytest.fail(f"the {event} migration Job failed: {exc}", pytrace=False)
    assert done and (ret.job.status.succeeded or 0) >= 1, (
        f"`{ret.cmd.line}` (no --wait) returned after {ret.seconds:.0f}s before the {event} migration "
        f"Job completed: {state}")


def test_g_without_wait(nowait: NoWait, watch: Releases, kube: Kube, kubectl: Kubectl) -> None:
    _assert_migrated_on_return(nowait.install, "post-install")
    # kubectl wait --for=condition=complete job/clockwork-migrate; kubectl logs job/clockwork-migrate
    kube.wait_job_complete(N["job"], NS, timeout=DOC_TIMEOUT)
    assert_goose_applied(migration_log(kube, NS, nowait.rel.name, []), "the post-install migration Job")
    # kubectl wait --for=condition=available deployment/clockwork-server --timeout=300s
    t0 = time.monotonic()
    kube.wait_deployment_available(N["deployment"], NS, timeout=DOC_TIMEOUT)
    available_after = time.monotonic() - t0
    with kubectl.port_forward(f"service/{N['service']}", NS, 80, 8080) as pf:
        health = get_ok(pf.url, "/api/health").json()
        assert health.get("status") == "ok" and health.get("database") == "ok", f"/api/health: {health}"

    # helm upgrade … (no --wait), then kubectl rollout status
    up = documented_helm(nowait.docs, DEV_UPGRADE, CHART_PATH)
    assert not up.wait and up.values_files == nowait.install.cmd.values_files, up.line
    before = nowait.install.job.metadata.uid
    t0 = time.monotonic()
    nowait.rel.upgrade(wait=up.wait, extra=up.set_args())
    upgraded = _job_when_helm_returned(kube, up, time.monotonic() - t0)
    assert upgraded.job.metadata.uid != before, "helm upgrade did not run the migration Job again"
    _assert_migrated_on_return(upgraded, "pre-upgrade")
    kube.wait_deployment_available(N["deployment"], NS, timeout=DOC_TIMEOUT)
    last = max(nowait.rel.history(), key=lambda h: int(h["revision"]))
    assert (int(last["revision"]), last["status"]) == (2, "deployed"), f"helm history: {last}"
    print(f"install returned after {nowait.install.seconds:.0f}s, Deployment Available "
          f"{available_after:.0f}s later; upgrade returned after {upgraded.seconds:.0f}s")


def _pod(name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": dict(spec)}


def _dry_run_create(kube: Kube, body: Mapping[str, Any]) -> tuple[int, str]:
    """Create the pod with ``dryRun=All``: admission runs, nothing is stored."""
    from kubernetes.client.exceptions import ApiException

    try:
        kube.core.create_namespaced_pod(NS, dict(body), dry_run="All")
        return 201, ""
    except ApiException as exc:
        return int(exc.status), str(exc.body)


def test_e_namespace_as_documented(nowait: NoWait, watch: Releases, kube: Kube, chart_dir: Path) -> None:
    version = yaml.safe_load((chart_dir / "values.yaml").read_text())["namespace"]["podSecurity"]["version"]
    labels = kube.get(ObjRef("Namespace", NS)).metadata.labels or {}
    expected = {"clockwork.dev/environment": "development"}
    for mode in ("enforce", "audit", "warn"):
        expected[f"pod-security.kubernetes.io/{mode}"] = "restricted"
        expected[f"pod-security.kubernetes.io/{mode}-version"] = version
    wrong = {k: labels.get(k) for k, v in expected.items() if labels.get(k) != v}
    assert not wrong, (
        f"namespace {NS} labels differ from the docs: {wrong} (expected {expected}; all: {labels})")

    privileged = _pod("privileged-probe", {"containers": [
        {"name": "probe", "image": PROBE_IMAGE, "securityContext": {"privileged": True}}]})
    status, body = _dry_run_create(kube, privileged)
    message = json.loads(body).get("message", body) if body.startswith("{") else body
    assert status == 403 and 'violates PodSecurity "restricted:' in message and "privileged" in message, (
        f"a privileged pod in namespace {NS} was not refused by Pod Security admission: {status} {message}")

    restricted = _pod("restricted-probe", {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "probe", "image": PROBE_IMAGE, "securityContext": {
            "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}]})
    status, body = _dry_run_create(kube, restricted)
    assert status == 201, f"a restricted-compliant pod was refused in namespace {NS} too: {status} {body}"
    print(f"privileged pod refused: {message}")
