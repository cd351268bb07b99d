"""The kubernetes Python client, wrapped: load a kubeconfig, read and write objects.

:class:`KubeClient` is the bottom layer of :class:`chartgate.tools.kube.Kube`: one
method per question the e2e stage asks a cluster (``pods``, ``events``, ``logs``,
``service_endpoints``) or change it makes (``create_job``, ``evict_pod``), named after
what the caller wants. The API objects are injectable, so unit tests pass fakes.
Judging states and explaining failures live in :mod:`chartgate.tools.kube_diagnostics`,
waiting for states in :mod:`chartgate.tools.kube_waits`.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import yaml

from chartgate.util.deadline import SYSTEM_CLOCK, Clock


@dataclass(frozen=True)
class ObjRef:
    """A namespaced object as a human names it: ``deployment/clockwork-server -n clockwork``."""

    kind: str
    name: str
    namespace: str = ""

    def __str__(self) -> str:
        ns = f" -n {self.namespace}" if self.namespace else ""
        return f"{self.kind.lower()}/{self.name}{ns}"


class KubeError(RuntimeError):
    """A cluster operation failed; the message says which object and why."""


def event_time(ev: Any) -> Any:
    """When an event last happened: lastTimestamp, else eventTime, else its creation."""
    for attr in ("last_timestamp", "event_time", "first_timestamp"):
        value = getattr(ev, attr, None)
        if value:
            return value
    meta = getattr(ev, "metadata", None)
    return getattr(meta, "creation_timestamp", None)


def event_sort_key(ev: Any) -> float:
    t = event_time(ev)
    if isinstance(t, _dt.datetime):
        return (t if t.tzinfo else t.replace(tzinfo=_dt.UTC)).timestamp()
    return 0.0


def selector_string(labels: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


@dataclass
class HttpAnswer:
    """An HTTP answer read through the API server (pod proxy, Eviction API)."""

    status: int
    body: str
    headers: Mapping[str, str]


class KubeClient:
    """A cluster, reached through the kubernetes Python client."""

    def __init__(self, api_client: Any = None, *, core: Any = None, apps: Any = None,
                 batch: Any = None, discovery: Any = None, clock: Clock = SYSTEM_CLOCK,
                 kubeconfig: str | None = None) -> None:
        from kubernetes import client

        self.api_client = api_client
        self.core: Any = core or client.CoreV1Api(api_client)
        self.apps: Any = apps or client.AppsV1Api(api_client)
        self.batch: Any = batch or client.BatchV1Api(api_client)
        self.discovery: Any = discovery or client.DiscoveryV1Api(api_client)
        self.clock = clock
        self.kubeconfig = kubeconfig

    @classmethod
    def from_kubeconfig(cls, path: str | Path | None = None, context: str | None = None,
                        clock: Clock = SYSTEM_CLOCK) -> Self:
        from kubernetes import client, config

        cfg = client.Configuration()
        config.load_kube_config(config_file=str(path) if path else None, context=context,
                                client_configuration=cfg)
        return cls(client.ApiClient(cfg), clock=clock, kubeconfig=str(path) if path else None)

    # --- errors -------------------------------------------------------------------------
    @staticmethod
    def api_exception() -> type[Exception]:
        """The client's ApiException class (imported late: kubernetes loads slowly)."""
        from kubernetes.client.exceptions import ApiException

        return ApiException

    def transient_errors(self) -> tuple[type[BaseException], ...]:
        """Errors a wait retries: API errors, broken connections, timeouts."""
        from urllib3.exceptions import HTTPError

        return (self.api_exception(), HTTPError, ConnectionError, TimeoutError)

    def not_found(self, exc: Exception) -> bool:
        return isinstance(exc, self.api_exception()) and getattr(exc, "status", None) == 404

    # --- reads ----------------------------------------------------------------------------
    def namespace_exists(self, name: str) -> bool:
        try:
            self.core.read_namespace(name)
            return True
        except Exception as exc:
            if self.not_found(exc):
                return False
            raise

    def get(self, ref: ObjRef) -> Any:
        reader = {
            "deployment": lambda: self.apps.read_namespaced_deployment(ref.name, ref.namespace),
            "statefulset": lambda: self.apps.read_namespaced_stateful_set(ref.name, ref.namespace),
            "daemonset": lambda: self.apps.read_namespaced_daemon_set(ref.name, ref.namespace),
            "replicaset": lambda: self.apps.read_namespaced_replica_set(ref.name, ref.namespace),
            "job": lambda: self.batch.read_namespaced_job(ref.name, ref.namespace),
            "pod": lambda: self.core.read_namespaced_pod(ref.name, ref.namespace),
            "service": lambda: self.core.read_namespaced_service(ref.name, ref.namespace),
            "configmap": lambda: self.core.read_namespaced_config_map(ref.name, ref.namespace),
            "secret": lambda: self.core.read_namespaced_secret(ref.name, ref.namespace),
            "persistentvolumeclaim": lambda: self.core.read_namespaced_persistent_volume_claim(
                ref.name, ref.namespace),
            "serviceaccount": lambda: self.core.read_namespaced_service_account(ref.name, ref.namespace),
            "namespace": lambda: self.core.read_namespace(ref.name),
        }[ref.kind.lower()]
        return reader()

    def exists(self, ref: ObjRef) -> bool:
        try:
            self.get(ref)
            return True
        except Exception as exc:
            if self.not_found(exc):
                return False
            raise

    def pods(self, namespace: str, selector: Mapping[str, str] | str | None = None) -> list[Any]:
        sel = selector if isinstance(selector, str) or selector is None else selector_string(selector)
        items = self.core.list_namespaced_pod(namespace, label_selector=sel or None).items
        return sorted(items, key=lambda p: p.metadata.name)

    def live_pods(self, namespace: str, selector: Mapping[str, str] | str | None = None) -> list[Any]:
        """Pods not being deleted."""
        return [p for p in self.pods(namespace, selector) if not p.metadata.deletion_timestamp]

    def deployment_pods(self, name: str, namespace: str) -> list[Any]:
        dep = self.apps.read_namespaced_deployment(name, namespace)
        return self.pods(namespace, dict(dep.spec.selector.match_labels or {}))

    def job_pods(self, name: str, namespace: str) -> list[Any]:
        return self.pods(namespace, f"job-name={name}")

    def events(self, namespace: str, names: Iterable[str] | None = None) -> list[Any]:
        items = self.core.list_namespaced_event(namespace).items
        if names is None:
            return sorted(items, key=event_sort_key)
        wanted = set(names)
        return sorted((e for e in items if e.involved_object.name in wanted), key=event_sort_key)

    def logs(self, pod: str, namespace: str, container: str | None = None, *, previous: bool = False,
             tail: int | None = None) -> str:
        try:
            return str(self.core.read_namespaced_pod_log(pod, namespace, container=container,
                                                         previous=previous, tail_lines=tail,
                                                         _preload_content=True) or "")
        except Exception as exc:
            if isinstance(exc, self.api_exception()):
                return f"(no logs: {getattr(exc, 'status', '?')} {getattr(exc, 'reason', '')})"
            raise

    def service_endpoints(self, service: str, namespace: str) -> dict[str, dict[str, Any]]:
        """``{ip: {"ready": bool, "pod": name}}`` from the Service's EndpointSlices
        (what ``kubectl get endpoints`` shows as addresses / notReadyAddresses)."""
        slices = self.discovery.list_namespaced_endpoint_slice(
            namespace, label_selector=f"kubernetes.io/service-name={service}").items
        out: dict[str, dict[str, Any]] = {}
        for sl in slices:
            for ep in sl.endpoints or []:
                ready = bool(ep.conditions and ep.conditions.ready)
                pod = ep.target_ref.name if ep.target_ref else None
                for addr in ep.addresses or []:
                    out[addr] = {"ready": ready, "pod": pod}
        return out

    def ready_addresses(self, service: str, namespace: str) -> set[str]:
        return {ip for ip, e in self.service_endpoints(service, namespace).items() if e["ready"]}

    # --- writes -------------------------------------------------------------------------
    def create_namespace(self, name: str, labels: Mapping[str, str] | None = None) -> None:
        from kubernetes import client

        body = client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels=dict(labels or {})))
        self.core.create_namespace(body)

    def delete_pod(self, name: str, namespace: str, grace_seconds: int | None = None) -> None:
        self.core.delete_namespaced_pod(name, namespace, grace_period_seconds=grace_seconds)

    def evict_pod(self, name: str, namespace: str) -> HttpAnswer:
        """Ask the Eviction API to evict a pod (what ``kubectl drain`` does). Returns the
        answer instead of raising on a refusal: 201 evicted, 429 refused by a
        PodDisruptionBudget (body: the API server's reason)."""
        from kubernetes import client

        body = client.V1Eviction(metadata=client.V1ObjectMeta(name=name, namespace=namespace))
        try:
            self.core.create_namespaced_pod_eviction(name, namespace, body, _request_timeout=30)
        except self.api_exception() as exc:
            status = int(getattr(exc, "status", 0) or 0)
            if status in (429, 500):  # 500: several PDBs select the pod
                return HttpAnswer(status, str(getattr(exc, "body", "") or exc), {})
            raise
        return HttpAnswer(201, "", {})

    def set_secret_data(self, name: str, namespace: str, data: Mapping[str, str]) -> None:
        """Replace keys of an existing Secret (``stringData`` patch)."""
        self.core.patch_namespaced_secret(name, namespace, {"stringData": dict(data)})

    def scale_statefulset(self, name: str, namespace: str, replicas: int) -> None:
        self.apps.patch_namespaced_stateful_set_scale(name, namespace, {"spec": {"replicas": replicas}})

    def create_job(self, namespace: str, manifest: Mapping[str, Any]) -> str:
        job = self.batch.create_namespaced_job(namespace, dict(manifest))
        return str(job.metadata.name)

    def delete_job(self, name: str, namespace: str) -> None:
        try:
            self.batch.delete_namespaced_job(name, namespace, propagation_policy="Background")
        except Exception as exc:
            if not self.not_found(exc):
                raise

    def pod_http(self, pod: str, namespace: str, port: int, path: str, method: str = "GET",
                 timeout: float = 10) -> HttpAnswer:
        """An HTTP request to one pod through the API server's pod proxy (no Service, no
        port-forward): ``/api/v1/namespaces/NS/pods/POD:PORT/proxy/PATH``."""
        resource = f"/api/v1/namespaces/{namespace}/pods/{pod}:{port}/proxy/{path.lstrip('/')}"
        method_, url, headers, body, post = self.api_client.param_serialize(
            method=method, resource_path=resource, auth_settings=["BearerToken"])
        resp = self.api_client.call_api(method_, url, header_params=headers, body=body, post_params=post,
                                        _request_timeout=timeout)
        data = resp.read() or b""
        return HttpAnswer(int(resp.status), data.decode(errors="replace"), dict(resp.getheaders() or {}))

    def to_yaml(self, obj: Any) -> str:
        from kubernetes import client

        api = self.api_client or client.ApiClient()
        data = api.sanitize_for_serialization(obj)
        if isinstance(data, dict):
            (data.get("metadata") or {}).pop("managedFields", None)
        return str(yaml.safe_dump(data, sort_keys=False))

