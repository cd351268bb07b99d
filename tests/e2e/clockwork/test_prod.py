"""Journey a — production values on kind: the documented production install
(deploy/README.md "Production install"), verbatim where kind allows:

    kubectl create namespace clockwork-prod
    kubectl label namespace clockwork-prod pod-security.kubernetes.io/enforce=restricted …
    kubectl create secret generic clockwork-secrets \\
        --from-literal=DATABASE_URL='postgres://…' -n clockwork-prod
    helm install clockwork-prod ./deploy/helm/clockwork -f deploy/helm/clockwork/values-prod.yaml \\
        -n clockwork-prod --create-namespace

Overridden, because a kind cluster cannot provide it (nothing else):

- ``deployment.image.repository/tag/pullPolicy``: the locally built contract double with
  ``IfNotPresent`` — there is no registry (``registry.example.com``) and ``Always`` would
  try to pull (the stage's ``env_values``, as in every test).
- ``networkPolicy.databaseEgress``: ``<ip>/32`` of the stand-in "managed PostgreSQL", a
  container on kind's docker network (testcontainers); prod's ``10.0.0.0/8`` does not
  contain it. (Its ``DATABASE_URL`` says ``sslmode=disable``: the stand-in has no TLS.
  That is Secret data, not a value.)
- ``deployment.resources.requests.cpu``: 50m instead of 250m. The single kind node's 2 CPUs
  are shared by the whole stage (4 test files at once); 3–4 pods × 250m would leave other
  tests' pods Pending. Limits, memory and everything else stay as in prod; without a
  metrics-server the HPA cannot compute utilisation anyway.

Not overridden: the Ingress (created with its class, host, TLS and cert-manager annotation;
kind runs no ingress-nginx, so nothing serves it — the probes go to the Service), the HPA,
the PDB, the NetworkPolicies (prod's ``ingressFrom``: namespace ``ingress-nginx``, pods
``app.kubernetes.io/name=ingress-nginx``), the migration Job and the existing Secret.

Proven: the HPA's scaleTargetRef is the release's Deployment, and the HPA acts on it
(prod's Deployment omits replicas; the HPA raises it to minReplicas 3); the
PodDisruptionBudget lets the Eviction API evict one server pod and answers 429 for a
second; the NetworkPolicy is enforced (by the cluster's kube-network-policies controller):
from pods in ``ingress-nginx`` labelled like the controller, ``/api/health`` answers; from
the same namespace without that label, and from a pod without them in the release's
namespace, connections time out. PostgreSQL is outside the cluster here (as in
production), so there is no PostgreSQL policy to probe; the server pods reach it through
their egress policy (the ``/32`` on port 5432) while policies are enforced — the HPA's new
pods become Ready only by answering ``/api/health``, which pings the database. (The
``pre-install`` migration Job runs before the release's NetworkPolicies exist.) Probes are
the stage's load generator (chartgate.e2e.loadgen.RequestLoop) as one-off Jobs, bounded in requests, time
and warm-up.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import pytest
from contract import names, server_selector
from external_db import ExternalPostgres

from chartgate.e2e.loadgen import LoopResult, RequestLoop
from chartgate.e2e.release import Releases
from chartgate.e2e.settings import missing
from chartgate.tools.kube import Kube, ObjRef
from chartgate.tools.kubectl import Kubectl

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_seconds(55)]  # xdist hands out long files first

NS = "clockwork-prod"
RELEASE = "clockwork-prod"
N = names(RELEASE)
INGRESS_NS = "ingress-nginx"  # values-prod.yaml networkPolicy.ingressFrom
INGRESS_LABELS = {"app.kubernetes.io/name": "ingress-nginx"}
PROBE_TIMEOUT = 2  # seconds per request


def _probe_job(kube: Kube, name: str, image: str, url: str, labels: Mapping[str, str],
               warmup: int) -> dict[str, Any]:
    """A one-off request loop Job: it exits 0 after its few requests, or 3 when the URL
    never answered within ``warmup`` seconds (its LOADGEN_RESULT says why)."""
    probe = RequestLoop(kube, "", image, url, max_requests=500, max_duration=15, rate=100, concurrency=2,
                        request_timeout=PROBE_TIMEOUT, warmup=warmup, labels=labels, job=name)
    return probe.manifest()


def _probe_result(kube: Kube, job: str, namespace: str, *, reached: bool) -> LoopResult:
    wait = kube.wait_job_complete if reached else kube.wait_job_failed
    try:
        wait(job, namespace, timeout=150)
    except Exception as exc:
        want = "answer" if reached else "be blocked"
        raise AssertionError(f"probe job/{job} -n {namespace} was expected to {want}:\n{exc}") from None
    pods = kube.job_pods(job, namespace)
    assert pods, f"job/{job} -n {namespace}: no pod left to read"
    return LoopResult.parse(kube.logs(pods[0].metadata.name, namespace, "loadgen"))


def _require_policy_controller(kube: Kube) -> None:
    """Fail fast (skip outside CI) on a cluster nothing enforces NetworkPolicies in."""
    from kubernetes.client.exceptions import ApiException

    from chartgate.airgap import cluster

    states = []
    for ns, name in (cluster.NETPOL_DAEMONSET, cluster.STOCK_NETPOL_DAEMONSET):
        try:
            ok, state = cluster.daemonset_ready(kube.apps.read_namespaced_daemon_set(name, ns))
        except ApiException as exc:
            if exc.status != 404:
                raise
            continue
        if ok:
            return
        states.append(f"{ns}/{name}: {state}")
    missing("no Ready NetworkPolicy controller in the cluster "
            f"({'; '.join(states) or 'no kube-system/kube-network-policies or kindnet DaemonSet'}): "
            "recreate it from the current node image (`chartgate airgap build`, "
            "`chartgate cluster up --recreate`)")


def test_a_production_values(releases: Releases, watch: Releases, kube: Kube, kubectl: Kubectl,
                             external_postgres: ExternalPostgres, loadgen_image: str) -> None:
    from kubernetes import client

    _require_policy_controller(kube)
    pg = external_postgres
    db_url = pg.create_database("clockwork_prod")
    rel = releases.new(RELEASE, NS, ("values-prod.yaml",), values={
        "networkPolicy": {"databaseEgress": [{"ipBlock": {"cidr": f"{pg.ip}/32"}}]},
        "deployment": {"resources": {"requests": {"cpu": "50m"}}},
    })
    if kube.namespace_exists(INGRESS_NS):  # a leftover of an interrupted run
        kube.delete_namespace(INGRESS_NS, wait=True, timeout=120)
    releases.watch_namespace(INGRESS_NS)
    kubectl.create_namespace(NS)
    kubectl.run(["label", "namespace", NS, "pod-security.kubernetes.io/enforce=restricted",
                 "pod-security.kubernetes.io/enforce-version=v1.34"])
    kubectl.create_secret_generic("clockwork-secrets", NS, {"DATABASE_URL": db_url})
    kube.create_namespace(INGRESS_NS)

    t0 = time.monotonic()
    rel.install()  # --wait
    assert pg.psql("clockwork_prod", "SELECT max(version_id) FROM goose_db_version") == "2"

    # Probes first (they take a warm-up to be judged blocked); checked at the end.
    url = f"http://{N['service']}.{NS}.svc.cluster.local/api/health"
    probes = {  # job -> (namespace, labels, expected to reach)
        "np-allowed": (INGRESS_NS, INGRESS_LABELS, True),
        "np-wrong-label": (INGRESS_NS, {"app.kubernetes.io/name": "not-ingress-nginx"}, False),
        "np-same-namespace": (NS, {"app.kubernetes.io/name": "chartgate-probe"}, False),
    }
    for job, (ns, labels, reached) in probes.items():
        kube.create_job(ns, _probe_job(kube, job, loadgen_image, url, labels, warmup=60 if reached else 15))

    # HPA: targets the Deployment, and acts on it (values-prod: the chart omits replicas).
    autoscaling = client.AutoscalingV2Api(kube.api_client)
    hpa = autoscaling.read_namespaced_horizontal_pod_autoscaler(N["deployment"], NS)
    target = hpa.spec.scale_target_ref
    assert (target.api_version, target.kind) == ("apps/v1", "Deployment"), target
    assert kube.exists(ObjRef("Deployment", target.name, NS)), f"HPA targets missing Deployment {target.name}"
    assert target.name == N["deployment"]
    assert (hpa.spec.min_replicas, hpa.spec.max_replicas) == (3, 10)
    pods = kube.wait_pods_ready(NS, server_selector(RELEASE), count=3, timeout=120,
                                owner=ObjRef("HorizontalPodAutoscaler", N["deployment"], NS))
    dep = kube.get(ObjRef("Deployment", N["deployment"], NS))
    assert dep.spec.replicas == 3, f"Deployment replicas {dep.spec.replicas}, HPA minReplicas 3"

    # PDB (maxUnavailable 1): one eviction is allowed, a second one refused with 429.
    policy = client.PolicyV1Api(kube.api_client)
    pdb_ref = ObjRef("PodDisruptionBudget", N["deployment"], NS)

    def budget() -> tuple[bool, str]:
        st = policy.read_namespaced_pod_disruption_budget(N["deployment"], NS).status
        state = f"currentHealthy={st.current_healthy} disruptionsAllowed={st.disruptions_allowed}"
        return st.current_healthy == 3 and st.disruptions_allowed == 1, state

    kube.wait_for(pdb_ref, "3 healthy pods, 1 disruption allowed", budget, timeout=60)
    first, second = (p.metadata.name for p in pods[:2])
    evicted = kube.evict_pod(first, NS)
    assert evicted.status == 201, f"eviction of {first} within the budget: {evicted.status} {evicted.body}"
    refused = kube.evict_pod(second, NS)
    assert refused.status == 429, (
        f"second eviction ({second}) beyond maxUnavailable 1 answered {refused.status}: {refused.body}")
    assert "disruption budget" in refused.body, refused.body

    # NetworkPolicy: enforced, not only rendered.
    for job, (ns, _labels, reached) in probes.items():
        res = _probe_result(kube, job, ns, reached=reached)
        if reached:
            assert res.total >= 1 and res.failed == 0, f"{job} ({ns}): {res.summary()}"
        else:
            reason = res.stop_reason.lower()
            assert res.stop_reason.startswith("warm-up failed"), f"{job} ({ns}): {res.summary()}"
            assert "timeout" in reason or "deadline" in reason, (
                f"{job} ({ns}) failed, but not by a dropped connection: {res.stop_reason}")
    print(f"journey a: {time.monotonic() - t0:.0f}s after the install started")
