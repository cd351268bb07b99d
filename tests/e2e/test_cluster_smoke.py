"""Smoke test of the air-gapped kind cluster.

On the stage's shared cluster (built from the locally assembled node image), namespace
``smoke``: node Ready; CoreDNS Ready; a Deployment with HTTP readiness and liveness probes becomes
Available; a Service name resolves (and answers) from another pod; a PVC from the default
StorageClass ``standard`` binds and its data survives pod deletion; a deny-all
NetworkPolicy blocks a pod-to-pod connection that works without it (the node image's
NetworkPolicy controller enforces it); a rollout restart completes. That ``cluster down``
leaves no containers, volumes or networks is checked where the shared cluster is deleted
(``chartgate cluster down`` in tox's commands_post, or the ``kind_cluster`` fixture's
teardown). Every wait has a
wall-clock deadline and every request a timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from chartgate.e2e.waits import eventually
from chartgate.tools.kube import Kube

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_seconds(90)]  # xdist hands out long files first

NS = "smoke"
REQ = 15  # seconds per API request
T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, interval: float = 2) -> T:
    """Poll ``probe`` until it returns something truthy; wall-clock bounded. API server
    hiccups are retried until the deadline; an AssertionError (a failed pod) fails at once."""
    from kubernetes.client.rest import ApiException

    return eventually(what, probe, timeout=timeout, interval=interval, transient=(ApiException, OSError))


class Cluster:
    def __init__(self, kubeconfig: Path) -> None:
        from kubernetes import client, config

        api_client = config.new_client_from_config(config_file=str(kubeconfig))
        self.kubeconfig = kubeconfig
        self.core = client.CoreV1Api(api_client)
        self.apps = client.AppsV1Api(api_client)
        self.storage = client.StorageV1Api(api_client)
        self.client = client

    def pod_logs(self, name: str) -> str:
        return str(self.core.read_namespaced_pod_log(name, NS, _request_timeout=REQ))

    def run_pod(self, name: str, image: str, command: list[str], timeout: float = 120,
                volumes: list[Any] | None = None, mounts: list[Any] | None = None) -> str:
        """Run a one-shot pod to completion; return its logs (fails on pod failure)."""
        c = self.client
        pod = c.V1Pod(
            metadata=c.V1ObjectMeta(name=name, labels={"app": "smoke-client"}),
            spec=c.V1PodSpec(
                restart_policy="Never",
                containers=[c.V1Container(name="main", image=image, image_pull_policy="IfNotPresent",
                                          command=command, volume_mounts=mounts)],
                volumes=volumes))
        self.core.create_namespaced_pod(NS, pod, _request_timeout=REQ)

        def done() -> str | None:
            phase = self.core.read_namespaced_pod(name, NS, _request_timeout=REQ).status.phase
            if phase == "Failed":
                raise AssertionError(f"pod {name} failed: {self.pod_logs(name)}")
            return phase if phase == "Succeeded" else None

        wait_for(f"pod {name} Succeeded", done, timeout)
        return self.pod_logs(name)

    def delete_pod(self, name: str, timeout: float = 90) -> None:
        self.core.delete_namespaced_pod(name, NS, grace_period_seconds=0, _request_timeout=REQ)

        def gone() -> bool:
            return not any(p.metadata.name == name for p in
                           self.core.list_namespaced_pod(NS, _request_timeout=REQ).items)

        wait_for(f"pod {name} deleted", gone, timeout)


@pytest.fixture(scope="module")
def smoke(smoke_image: str, e2e_kubeconfig: str) -> Iterator[Cluster]:
    """The stage's shared cluster (created by `chartgate cluster up`, or by the
    ``kind_cluster`` fixture), namespace ``smoke``: a second cluster beside it would cost
    two minutes of both cores while the other workers install their releases."""
    cl = Cluster(Path(e2e_kubeconfig))
    kube = Kube.from_kubeconfig(e2e_kubeconfig)
    if kube.namespace_exists(NS):  # a leftover of an interrupted run
        kube.delete_namespace(NS, wait=True, timeout=120)
    cl.core.create_namespace(cl.client.V1Namespace(metadata=cl.client.V1ObjectMeta(name=NS)),
                             _request_timeout=REQ)
    yield cl
    kube.delete_namespace(NS)


def _deployment(cl: Cluster, image: str) -> Any:
    c = cl.client
    probe = c.V1Probe(http_get=c.V1HTTPGetAction(path="/", port=8080),
                      initial_delay_seconds=1, period_seconds=2, failure_threshold=3)
    labels = {"app": "smoke-http"}
    return c.V1Deployment(
        metadata=c.V1ObjectMeta(name="smoke-http", labels=labels),
        spec=c.V1DeploymentSpec(
            replicas=2,
            selector=c.V1LabelSelector(match_labels=labels),
            template=c.V1PodTemplateSpec(
                metadata=c.V1ObjectMeta(labels=labels),
                # busybox httpd runs as PID 1 and installs no SIGTERM handler, so SIGTERM
                # does nothing and the kubelet kills it when the grace period ends (the
                # default 30 s made the rollout restart wait half a minute for each old pod)
                spec=c.V1PodSpec(termination_grace_period_seconds=1, containers=[c.V1Container(
                    name="http", image=image, image_pull_policy="IfNotPresent",
                    ports=[c.V1ContainerPort(container_port=8080)],
                    readiness_probe=probe, liveness_probe=probe)]))))


def _available(cl: Cluster, name: str, ns: str) -> bool:
    d = cl.apps.read_namespaced_deployment(name, ns, _request_timeout=REQ)
    st = d.status
    want = d.spec.replicas or 0
    conds = {c.type: c.status for c in st.conditions or []}
    return bool((st.observed_generation or 0) >= (d.metadata.generation or 0)
                and (st.updated_replicas or 0) == want and (st.ready_replicas or 0) == want
                and (st.available_replicas or 0) == want and not st.unavailable_replicas
                and (st.replicas or 0) == want and conds.get("Available") == "True")


def test_node_ready(smoke: Cluster) -> None:
    def ready() -> bool:
        nodes = smoke.core.list_node(_request_timeout=REQ).items
        return bool(nodes) and all(any(c.type == "Ready" and c.status == "True"
                                       for c in n.status.conditions) for n in nodes)

    wait_for("node Ready", ready, 120)
    node = smoke.core.list_node(_request_timeout=REQ).items[0]
    assert node.status.node_info.kubelet_version.startswith("v1.34.")


def test_coredns_ready(smoke: Cluster) -> None:
    wait_for("CoreDNS Deployment Available", lambda: _available(smoke, "coredns", "kube-system"), 180)


def test_default_storage_class_is_standard(smoke: Cluster) -> None:
    classes = smoke.storage.list_storage_class(_request_timeout=REQ).items
    default = [s.metadata.name for s in classes
               if (s.metadata.annotations or {}).get("storageclass.kubernetes.io/is-default-class") == "true"]
    assert default == ["standard"]


def test_deployment_with_http_probes_becomes_available(smoke: Cluster, smoke_image: str) -> None:
    c = smoke.client
    smoke.apps.create_namespaced_deployment(NS, _deployment(smoke, smoke_image), _request_timeout=REQ)
    smoke.core.create_namespaced_service(NS, c.V1Service(
        metadata=c.V1ObjectMeta(name="smoke-http"),
        spec=c.V1ServiceSpec(selector={"app": "smoke-http"},
                             ports=[c.V1ServicePort(port=80, target_port=8080)])), _request_timeout=REQ)
    wait_for("Deployment smoke-http Available", lambda: _available(smoke, "smoke-http", NS), 180)


def test_service_name_resolves_from_another_pod(smoke: Cluster, smoke_image: str) -> None:
    svc = smoke.core.read_namespaced_service("smoke-http", NS, _request_timeout=REQ)
    fqdn = f"smoke-http.{NS}.svc.cluster.local"
    out = smoke.run_pod("dns-client", smoke_image, [
        "sh", "-c",
        f"for i in $(seq 1 30); do busybox nslookup {fqdn} && timeout 10 busybox wget -q -O - "
        f"http://smoke-http.{NS}/ && exit 0; sleep 2; done; exit 1"], timeout=150)
    assert svc.spec.cluster_ip in out, out
    assert out.strip().endswith("ok"), out


def _connect_script(url: str, expect: str) -> list[str]:
    """A client pod's command: up to 10 attempts, each killed after 5 s, until ``expect``
    (``reached``: one answer; ``blocked``: 3 attempts in a row that hang until killed —
    a dropped connection, not a refused one). Exits 1 if that never happens."""
    return ["sh", "-c",
            "fails=0; for i in $(seq 1 10); do "
            f"timeout 5 busybox wget -q -O - {url} >/dev/null 2>&1; rc=$?; "
            f"if [ $rc = 0 ]; then echo attempt $i: reached; fails=0; [ {expect} = reached ] && exit 0; "
            "else echo attempt $i: failed, exit $rc; "
            "if [ $rc = 124 ]; then fails=$((fails+1)); else fails=0; fi; "
            f"[ {expect} = blocked ] && [ $fails -ge 3 ] && exit 0; fi; sleep 1; done; exit 1"]


def test_deny_all_network_policy_blocks_pod_to_pod(smoke: Cluster, smoke_image: str) -> None:
    c = smoke.client
    net = c.NetworkingV1Api(smoke.core.api_client)
    url = f"http://smoke-http.{NS}/"
    smoke.run_pod("np-before", smoke_image, _connect_script(url, "reached"), timeout=120)
    policy = c.V1NetworkPolicy(
        metadata=c.V1ObjectMeta(name="deny-all-ingress"),
        spec=c.V1NetworkPolicySpec(pod_selector=c.V1LabelSelector(match_labels={"app": "smoke-http"}),
                                   policy_types=["Ingress"]))
    net.create_namespaced_network_policy(NS, policy, _request_timeout=REQ)
    try:
        try:
            out = smoke.run_pod("np-denied", smoke_image, _connect_script(url, "blocked"), timeout=120)
        except AssertionError as exc:
            raise AssertionError(f"a deny-all NetworkPolicy did not block the connection — is the "
                                 f"NetworkPolicy controller (kube-system/kube-network-policies) "
                                 f"running? {exc}") from None
        assert "exit 124" in out, out
    finally:
        net.delete_namespaced_network_policy("deny-all-ingress", NS, _request_timeout=REQ)
    # the same connection works again: it was the policy, not a broken Service
    smoke.run_pod("np-after", smoke_image, _connect_script(url, "reached"), timeout=120)


def test_pvc_binds_and_data_survives_pod_deletion(smoke: Cluster, smoke_image: str) -> None:
    c = smoke.client
    smoke.core.create_namespaced_persistent_volume_claim(NS, c.V1PersistentVolumeClaim(
        metadata=c.V1ObjectMeta(name="smoke-data"),
        spec=c.V1PersistentVolumeClaimSpec(
            access_modes=["ReadWriteOnce"],
            resources=c.V1VolumeResourceRequirements(requests={"storage": "16Mi"}))),
        _request_timeout=REQ)
    vol = [c.V1Volume(name="data", persistent_volume_claim=c.V1PersistentVolumeClaimVolumeSource(
        claim_name="smoke-data"))]
    mnt = [c.V1VolumeMount(name="data", mount_path="/data")]
    stamp = f"chartgate-{int(time.time())}"
    smoke.run_pod("writer", smoke_image, ["sh", "-c", f"echo {stamp} > /data/f && cat /data/f"],
                  timeout=180, volumes=vol, mounts=mnt)
    pvc = smoke.core.read_namespaced_persistent_volume_claim("smoke-data", NS, _request_timeout=REQ)
    assert pvc.status.phase == "Bound"
    assert pvc.spec.storage_class_name == "standard"
    smoke.delete_pod("writer")
    out = smoke.run_pod("reader", smoke_image, ["cat", "/data/f"], timeout=120, volumes=vol, mounts=mnt)
    assert out.strip() == stamp


def test_rollout_restart_completes(smoke: Cluster) -> None:
    before = {p.metadata.name for p in smoke.core.list_namespaced_pod(
        NS, label_selector="app=smoke-http", _request_timeout=REQ).items}
    now = datetime.now(UTC).isoformat()
    smoke.apps.patch_namespaced_deployment("smoke-http", NS, {"spec": {"template": {"metadata": {
        "annotations": {"kubectl.kubernetes.io/restartedAt": now}}}}}, _request_timeout=REQ)

    def restarted() -> bool:
        pods = smoke.core.list_namespaced_pod(NS, label_selector="app=smoke-http",
                                              _request_timeout=REQ).items
        names = {p.metadata.name for p in pods if p.metadata.deletion_timestamp is None}
        return _available(smoke, "smoke-http", NS) and not (names & before) and len(pods) == 2

    wait_for("rollout restart of smoke-http", restarted, 180)
