"""The one wrapper around the ``kubernetes`` Python client.

Everything the e2e stage asks a cluster goes through :class:`Kube`: load a kubeconfig,
read and create objects, and — above all — *wait* for states on **wall-clock
deadlines** (never loop counts). A wait that times out raises :class:`WaitTimeout`
whose message names the object, its last observed state, its conditions, the recent
events of it and its pods, and the tail of its containers' logs, so a red test says
*which* object was not ready and *why*.

The clock and the API objects are injectable (unit tests use a fake clock and fake
APIs); the formatting helpers are pure functions over client model objects.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

# --- clock + deadline loop ------------------------------------------------------------


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK = SystemClock()


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


class WaitTimeout(KubeError):
    """A wait ran past its wall-clock deadline (or hit a terminal failure state)."""

    def __init__(self, ref: ObjRef, what: str, timeout: float, last_state: str,
                 diagnostics: str = "", terminal: bool = False) -> None:
        self.ref = ref
        self.what = what
        self.timeout = timeout
        self.last_state = last_state
        self.diagnostics = diagnostics
        self.terminal = terminal
        head = (f"{ref}: {what} failed" if terminal
                else f"{ref}: not {what} within {timeout:g}s")
        text = f"{head}\n  last state: {last_state or '(never observed)'}"
        if diagnostics:
            text += "\n" + diagnostics
        super().__init__(text)


class Terminal(Exception):
    """Raised by a wait check when the object reached a state it cannot recover from."""


Check = Callable[[], tuple[bool, str]]


def poll_until(check: Check, *, timeout: float, interval: float = 1.0,
               clock: Clock = SYSTEM_CLOCK,
               transient: tuple[type[BaseException], ...] = ()) -> tuple[bool, str, bool]:
    """Call ``check`` until it returns ``(True, state)`` or the wall-clock deadline passes.

    Returns ``(done, last_state, terminal)``. ``check`` may raise :class:`Terminal` to
    stop early (``terminal=True``); exceptions listed in ``transient`` are recorded as
    the state and retried. The check always runs at least once, and once more right at
    the deadline, so a slow API call never eats the last chance.
    """
    deadline = clock.monotonic() + timeout
    last = ""
    while True:
        try:
            done, last = check()
        except Terminal as exc:
            return False, str(exc), True
        except transient as exc:
            done, last = False, f"{type(exc).__name__}: {str(exc).strip()[:300]}"
        if done:
            return True, last, False
        now = clock.monotonic()
        if now >= deadline:
            return False, last, False
        clock.sleep(max(0.0, min(interval, deadline - now)))


# --- pure formatting helpers (unit-tested) ----------------------------------------------


def _age(ts: Any, now: _dt.datetime | None = None) -> str:
    if not ts:
        return "?"
    if isinstance(ts, str):
        try:
            ts = _dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))
        except ValueError:
            return ts
    now = now or _dt.datetime.now(_dt.UTC)
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=_dt.UTC)
    secs = int((now - ts).total_seconds())
    if secs < 0:
        secs = 0
    if secs < 120:
        return f"{secs}s"
    if secs < 7200:
        return f"{secs // 60}m"
    return f"{secs // 3600}h"


def format_conditions(conditions: Iterable[Any] | None) -> str:
    """``Available=True (MinimumReplicasAvailable): Deployment has minimum availability.``"""
    lines = []
    for c in conditions or []:
        reason = f" ({c.reason})" if getattr(c, "reason", None) else ""
        msg = f": {c.message}" if getattr(c, "message", None) else ""
        lines.append(f"{c.type}={c.status}{reason}{msg}")
    return "\n".join(lines) or "(no conditions)"


def _event_time(ev: Any) -> Any:
    for attr in ("last_timestamp", "event_time", "first_timestamp"):
        value = getattr(ev, attr, None)
        if value:
            return value
    meta = getattr(ev, "metadata", None)
    return getattr(meta, "creation_timestamp", None)


def _sort_key(ev: Any) -> float:
    t = _event_time(ev)
    if isinstance(t, _dt.datetime):
        return (t if t.tzinfo else t.replace(tzinfo=_dt.UTC)).timestamp()
    return 0.0


def format_events(events: Iterable[Any], limit: int = 15, now: _dt.datetime | None = None) -> str:
    """The most recent ``limit`` events, oldest first, like ``kubectl describe``'s table."""
    evs = sorted(events, key=_sort_key)[-limit:]
    lines = []
    for ev in evs:
        obj = ev.involved_object
        count = f" (x{ev.count})" if getattr(ev, "count", None) and ev.count > 1 else ""
        msg = (ev.message or "").strip().replace("\n", " ")
        lines.append(f"{_age(_event_time(ev), now):>4} ago  {ev.type or '?':<7} {ev.reason or '?':<22} "
                     f"{(obj.kind or '?').lower()}/{obj.name}: {msg}{count}")
    return "\n".join(lines) or "(no events)"


def _state_text(state: Any) -> str:
    if state is None:
        return "?"
    if getattr(state, "running", None):
        return "running"
    waiting = getattr(state, "waiting", None)
    if waiting:
        return f"waiting ({waiting.reason or '?'}{': ' + waiting.message if waiting.message else ''})"
    term = getattr(state, "terminated", None)
    if term:
        msg = f": {term.message.strip()}" if term.message else ""
        return f"terminated (exit {term.exit_code}, {term.reason or '?'}{msg})"
    return "?"


def format_pod_status(pod: Any) -> str:
    """Phase, Ready condition and each (init) container's state, ready flag and restarts."""
    st = pod.status
    ready = next((c for c in (st.conditions or []) if c.type == "Ready"), None)
    ready_txt = f"Ready={ready.status}" + (f" ({ready.reason})" if ready and ready.reason else "") \
        if ready else "Ready=?"
    head = f"pod/{pod.metadata.name}: phase={st.phase} {ready_txt} ip={st.pod_ip or '-'}"
    lines = [head]
    for label, statuses in (("init", st.init_container_statuses), ("container", st.container_statuses)):
        for cs in statuses or []:
            last = ""
            if cs.restart_count and cs.last_state and cs.last_state.terminated:
                last = f"; last: {_state_text(cs.last_state)}"
            lines.append(f"  {label} {cs.name}: {_state_text(cs.state)} ready={cs.ready} "
                         f"restarts={cs.restart_count}{last}")
    if st.reason or st.message:
        lines.append(f"  {st.reason or ''} {st.message or ''}".rstrip())
    return "\n".join(lines)


def deployment_rollout_state(dep: Any) -> tuple[bool, str]:
    """Is the Deployment's rollout complete (``kubectl rollout status`` semantics) and
    Available? Raises :class:`Terminal` on ProgressDeadlineExceeded."""
    spec_replicas = dep.spec.replicas if dep.spec.replicas is not None else 1
    st = dep.status
    gen, observed = dep.metadata.generation or 0, st.observed_generation or 0
    updated, replicas = st.updated_replicas or 0, st.replicas or 0
    available, ready = st.available_replicas or 0, st.ready_replicas or 0
    summary = (f"generation={gen} observed={observed} replicas={replicas} updated={updated} "
               f"ready={ready} available={available} desired={spec_replicas}")
    for c in st.conditions or []:
        if c.type == "Progressing" and c.reason == "ProgressDeadlineExceeded":
            raise Terminal(f"{summary}; Progressing=False (ProgressDeadlineExceeded): {c.message}")
    if observed < gen:
        return False, f"{summary}; waiting for the controller to observe generation {gen}"
    if updated < spec_replicas:
        return False, f"{summary}; {updated} of {spec_replicas} new replicas updated"
    if replicas > updated:
        return False, f"{summary}; {replicas - updated} old replicas pending termination"
    if available < updated:
        return False, f"{summary}; {available} of {updated} updated replicas available"
    avail = next((c for c in st.conditions or [] if c.type == "Available"), None)
    if avail is None or avail.status != "True":
        return False, f"{summary}; condition Available is not True"
    return True, summary


def job_state(job: Any) -> tuple[bool, str]:
    """Complete → done; Failed → :class:`Terminal`."""
    st = job.status
    summary = f"active={st.active or 0} succeeded={st.succeeded or 0} failed={st.failed or 0}"
    for c in st.conditions or []:
        if c.status != "True":
            continue
        if c.type == "Complete":
            return True, summary
        if c.type == "Failed":
            raise Terminal(f"{summary}; Failed ({c.reason}): {c.message}")
    return False, summary


def job_failed_state(job: Any) -> tuple[bool, str]:
    st = job.status
    summary = f"active={st.active or 0} succeeded={st.succeeded or 0} failed={st.failed or 0}"
    for c in st.conditions or []:
        if c.status == "True" and c.type == "Complete":
            raise Terminal(f"{summary}; the Job completed, expected it to fail")
        if c.status == "True" and c.type == "Failed":
            return True, f"{summary}; Failed ({c.reason}): {c.message}"
    return False, summary


def pod_ready(pod: Any) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


def restart_count(pod: Any, container: str) -> int:
    for cs in pod.status.container_statuses or []:
        if cs.name == container:
            return int(cs.restart_count or 0)
    return 0


def selector_string(labels: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


# --- the client wrapper ---------------------------------------------------------------


@dataclass
class HttpAnswer:
    status: int
    body: str
    headers: Mapping[str, str]


class Kube:
    """A cluster, reached through the kubernetes Python client."""

    LOG_TAIL = 40

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
                        clock: Clock = SYSTEM_CLOCK) -> Kube:
        from kubernetes import client, config

        cfg = client.Configuration()
        config.load_kube_config(config_file=str(path) if path else None, context=context,
                                client_configuration=cfg)
        return cls(client.ApiClient(cfg), clock=clock, kubeconfig=str(path) if path else None)

    # --- errors -------------------------------------------------------------------------
    @staticmethod
    def _api_exception() -> type[Exception]:
        from kubernetes.client.exceptions import ApiException

        return ApiException

    def _transient(self) -> tuple[type[BaseException], ...]:
        from urllib3.exceptions import HTTPError

        return (self._api_exception(), HTTPError, ConnectionError, TimeoutError)

    def _not_found(self, exc: Exception) -> bool:
        return isinstance(exc, self._api_exception()) and getattr(exc, "status", None) == 404

    # --- reads ----------------------------------------------------------------------------
    def namespace_exists(self, name: str) -> bool:
        try:
            self.core.read_namespace(name)
            return True
        except Exception as exc:
            if self._not_found(exc):
                return False
            raise

    def get(self, ref: ObjRef) -> Any:
        reader = {
            "deployment": lambda: self.apps.read_namespaced_deployment(ref.name, ref.namespace),
            "statefulset": lambda: self.apps.read_namespaced_stateful_set(ref.name, ref.namespace),
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
            if self._not_found(exc):
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
            return sorted(items, key=_sort_key)
        wanted = set(names)
        return sorted((e for e in items if e.involved_object.name in wanted), key=_sort_key)

    def logs(self, pod: str, namespace: str, container: str | None = None, *, previous: bool = False,
             tail: int | None = None) -> str:
        try:
            return str(self.core.read_namespaced_pod_log(pod, namespace, container=container,
                                                         previous=previous, tail_lines=tail,
                                                         _preload_content=True) or "")
        except Exception as exc:
            if isinstance(exc, self._api_exception()):
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

    def delete_namespace(self, name: str, wait: bool = False, timeout: float = 120) -> None:
        try:
            self.core.delete_namespace(name)
        except Exception as exc:
            if self._not_found(exc):
                return
            raise
        if wait:
            self.wait_gone(ObjRef("Namespace", name), timeout=timeout)

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
        except self._api_exception() as exc:
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
            if not self._not_found(exc):
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

    # --- waits ----------------------------------------------------------------------------
    def _wait(self, ref: ObjRef, what: str, check: Check, timeout: float, interval: float,
              related_pods: Callable[[], list[Any]] | None = None) -> str:
        done, last, terminal = poll_until(check, timeout=timeout, interval=interval, clock=self.clock,
                                          transient=self._transient())
        if done:
            return last
        raise WaitTimeout(ref, what, timeout, last, self.diagnose(ref, related_pods), terminal)

    def wait_deployment_available(self, name: str, namespace: str, timeout: float = 180,
                                  interval: float = 1.0) -> str:
        """Rollout complete (observedGeneration, updated/available replicas, no old
        replicas) and condition Available=True."""
        ref = ObjRef("Deployment", name, namespace)

        def check() -> tuple[bool, str]:
            return deployment_rollout_state(self.apps.read_namespaced_deployment(name, namespace))

        return self._wait(ref, "available (rollout complete)", check, timeout, interval)

    def wait_statefulset_ready(self, name: str, namespace: str, timeout: float = 180,
                               interval: float = 1.0) -> str:
        ref = ObjRef("StatefulSet", name, namespace)

        def check() -> tuple[bool, str]:
            ss = self.apps.read_namespaced_stateful_set(name, namespace)
            want = ss.spec.replicas if ss.spec.replicas is not None else 1
            st = ss.status
            state = (f"replicas={st.replicas or 0} ready={st.ready_replicas or 0} "
                     f"updated={st.updated_replicas or 0} desired={want}")
            ok = ((st.observed_generation or 0) >= (ss.metadata.generation or 0)
                  and (st.ready_replicas or 0) == want and (st.replicas or 0) == want)
            return ok, state

        return self._wait(ref, "ready", check, timeout, interval)

    def wait_job_complete(self, name: str, namespace: str, timeout: float = 180,
                          interval: float = 1.0) -> str:
        ref = ObjRef("Job", name, namespace)
        return self._wait(ref, "complete", lambda: job_state(self.batch.read_namespaced_job(name, namespace)),
                          timeout, interval)

    def wait_job_failed(self, name: str, namespace: str, timeout: float = 180,
                        interval: float = 1.0) -> str:
        ref = ObjRef("Job", name, namespace)
        return self._wait(ref, "failed (as expected)",
                          lambda: job_failed_state(self.batch.read_namespaced_job(name, namespace)),
                          timeout, interval)

    def wait_pod_ready(self, name: str, namespace: str, timeout: float = 120,
                       interval: float = 1.0) -> str:
        ref = ObjRef("Pod", name, namespace)

        def check() -> tuple[bool, str]:
            pod = self.core.read_namespaced_pod(name, namespace)
            return pod_ready(pod), format_pod_status(pod).replace("\n", ";")

        return self._wait(ref, "Ready", check, timeout, interval)

    def wait_pods_ready(self, namespace: str, selector: Mapping[str, str], count: int,
                        timeout: float = 120, interval: float = 1.0,
                        owner: ObjRef | None = None) -> list[Any]:
        """Exactly ``count`` live pods matching ``selector``, all Ready."""
        ref = owner or ObjRef("Pod", selector_string(selector), namespace)
        found: list[Any] = []

        def check() -> tuple[bool, str]:
            nonlocal found
            pods = self.pods(namespace, selector)
            live = [p for p in pods if not p.metadata.deletion_timestamp]
            ready = [p for p in live if pod_ready(p)]
            found = live
            state = (f"{len(ready)}/{len(live)} live pods ready (want {count}; "
                     f"{len(pods) - len(live)} terminating)")
            return len(live) == count and len(ready) == count, state

        self._wait(ref, f"{count} Ready pod(s)", check, timeout, interval,
                   related_pods=lambda: self.pods(namespace, selector))
        return found

    def wait_pod_not_ready(self, name: str, namespace: str, timeout: float = 60,
                           interval: float = 1.0) -> str:
        ref = ObjRef("Pod", name, namespace)

        def check() -> tuple[bool, str]:
            pod = self.core.read_namespaced_pod(name, namespace)
            return not pod_ready(pod), format_pod_status(pod).replace("\n", ";")

        return self._wait(ref, "NotReady", check, timeout, interval)

    def wait_restart_count(self, pod: str, namespace: str, container: str, above: int,
                           timeout: float = 120, interval: float = 1.0) -> int:
        """Until ``container``'s restartCount is greater than ``above``; returns it."""
        ref = ObjRef("Pod", pod, namespace)
        seen = above

        def check() -> tuple[bool, str]:
            nonlocal seen
            p = self.core.read_namespaced_pod(pod, namespace)
            seen = restart_count(p, container)
            return seen > above, f"restartCount({container})={seen}, want > {above}"

        self._wait(ref, f"restarted (restartCount > {above})", check, timeout, interval)
        return seen

    def wait_endpoint(self, service: str, namespace: str, ip: str, *, ready: bool,
                      timeout: float = 60, interval: float = 1.0) -> str:
        """Until ``ip`` is (``ready=True``) or is not (``ready=False``) a ready address of
        the Service — what ``kubectl get endpoints`` lists."""
        ref = ObjRef("Service", service, namespace)

        def check() -> tuple[bool, str]:
            eps = self.service_endpoints(service, namespace)
            ready_ips = sorted(i for i, e in eps.items() if e["ready"])
            not_ready = sorted(i for i, e in eps.items() if not e["ready"])
            state = f"ready addresses={ready_ips} notReady={not_ready}"
            return (ip in ready_ips) == ready, state

        what = f"serving {ip} (endpoint ready)" if ready else f"without {ip} (endpoint removed)"
        return self._wait(ref, what, check, timeout, interval)

    def wait_gone(self, ref: ObjRef, timeout: float = 120, interval: float = 1.0) -> str:
        def check() -> tuple[bool, str]:
            return (not self.exists(ref)), "still exists"

        return self._wait(ref, "deleted", check, timeout, interval)

    def wait_for(self, ref: ObjRef, what: str, check: Check, timeout: float = 60,
                 interval: float = 1.0) -> str:
        """A custom wall-clock wait whose timeout carries ``ref``'s diagnostics."""
        return self._wait(ref, what, check, timeout, interval)

    # --- diagnostics ----------------------------------------------------------------------
    def _pods_of(self, ref: ObjRef) -> list[Any]:
        kind = ref.kind.lower()
        try:
            if kind == "deployment":
                return self.deployment_pods(ref.name, ref.namespace)
            if kind == "statefulset":
                ss = self.apps.read_namespaced_stateful_set(ref.name, ref.namespace)
                return self.pods(ref.namespace, dict(ss.spec.selector.match_labels or {}))
            if kind == "job":
                return self.job_pods(ref.name, ref.namespace)
            if kind == "pod":
                return [self.core.read_namespaced_pod(ref.name, ref.namespace)]
            if kind == "service":
                svc = self.core.read_namespaced_service(ref.name, ref.namespace)
                return self.pods(ref.namespace, dict(svc.spec.selector or {})) if svc.spec.selector else []
        except Exception:
            return []
        return []

    def object_summary(self, ref: ObjRef) -> str:
        try:
            obj = self.get(ref)
        except Exception as exc:
            return f"{ref}: cannot read ({type(exc).__name__}: {getattr(exc, 'reason', exc)})"
        status = getattr(obj, "status", None)
        lines = [f"{ref}:"]
        kind = ref.kind.lower()
        if kind == "deployment":
            try:
                _, state = deployment_rollout_state(obj)
            except Terminal as exc:
                state = str(exc)
            lines.append(f"  {state}")
            images = [f"{c.name}={c.image}" for c in obj.spec.template.spec.containers]
            lines.append(f"  images: {', '.join(images)}")
        elif kind == "job":
            try:
                _, state = job_state(obj)
            except Terminal as exc:
                state = str(exc)
            lines.append(f"  {state}")
        elif kind == "pod":
            return format_pod_status(obj)
        conds = getattr(status, "conditions", None) if status is not None else None
        if conds is not None:
            lines += ["  conditions:", *("    " + ln for ln in format_conditions(conds).splitlines())]
        return "\n".join(lines)

    def diagnose(self, ref: ObjRef, related_pods: Callable[[], list[Any]] | None = None,
                 max_pods: int = 4) -> str:
        """What a human runs after a failed wait: the object, its pods' states, recent
        events of all of them, and the tail of every container's log (``--previous``
        too, when it restarted). Never raises."""
        out: list[str] = ["--- diagnostics: " + str(ref), self.object_summary(ref)]
        try:
            pods = related_pods() if related_pods else self._pods_of(ref)
        except Exception:
            pods = []
        names = {ref.name}
        for pod in pods[:max_pods]:
            names.add(pod.metadata.name)
            out.append(format_pod_status(pod))
        if ref.namespace:
            try:
                if ref.kind.lower() == "deployment":
                    names |= {rs.metadata.name for rs in self.apps.list_namespaced_replica_set(
                        ref.namespace).items if any(o.name == ref.name for o in
                                                   rs.metadata.owner_references or [])}
                out.append("--- recent events")
                out.append(format_events(self.events(ref.namespace, names)))
            except Exception as exc:
                out.append(f"(events unavailable: {exc})")
        for pod in pods[:max_pods]:
            spec = pod.spec
            for c in [*(spec.init_containers or []), *spec.containers]:
                text = self.logs(pod.metadata.name, ref.namespace or pod.metadata.namespace, c.name,
                                 tail=self.LOG_TAIL)
                out.append(f"--- logs {pod.metadata.name} [{c.name}] (last {self.LOG_TAIL} lines)")
                out.append(text.rstrip() or "(empty)")
                if restart_count(pod, c.name):
                    prev = self.logs(pod.metadata.name, pod.metadata.namespace, c.name, previous=True,
                                     tail=self.LOG_TAIL)
                    out.append(f"--- logs {pod.metadata.name} [{c.name}] --previous")
                    out.append(prev.rstrip() or "(empty)")
        return "\n".join(out)

    def to_yaml(self, obj: Any) -> str:
        from kubernetes import client

        api = self.api_client or client.ApiClient()
        data = api.sanitize_for_serialization(obj)
        if isinstance(data, dict):
            (data.get("metadata") or {}).pop("managedFields", None)
        return str(yaml.safe_dump(data, sort_keys=False))

    def dump_namespace(self, namespace: str, dest: Path) -> list[Path]:
        """Write events, describe-like summaries, YAML and logs of everything that matters
        in ``namespace`` to ``dest``. Returns the files written. Never raises."""
        dest.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []

        def write(name: str, text: str) -> None:
            path = dest / name
            path.write_text(text)
            written.append(path)

        def attempt(fn: Callable[[], None]) -> None:
            try:
                fn()
            except Exception as exc:
                write(f"error-{len(written)}.txt", f"{type(exc).__name__}: {exc}\n")

        attempt(lambda: write("events.txt", format_events(self.events(namespace), limit=500) + "\n"))

        def workloads() -> None:
            describe: list[str] = []
            listing: Sequence[tuple[str, Callable[[], Any]]] = (
                ("Deployment", lambda: self.apps.list_namespaced_deployment(namespace)),
                ("StatefulSet", lambda: self.apps.list_namespaced_stateful_set(namespace)),
                ("Job", lambda: self.batch.list_namespaced_job(namespace)),
                ("Service", lambda: self.core.list_namespaced_service(namespace)),
                ("PersistentVolumeClaim",
                 lambda: self.core.list_namespaced_persistent_volume_claim(namespace)),
                ("ConfigMap", lambda: self.core.list_namespaced_config_map(namespace)),
            )
            for kind, lister in listing:
                items = lister().items
                if not items:
                    continue
                write(f"{kind.lower()}s.yaml", "---\n".join(self.to_yaml(o) for o in items))
                if kind in ("Deployment", "StatefulSet", "Job"):
                    describe += [self.object_summary(ObjRef(kind, o.metadata.name, namespace)) for o in items]
            eps = self.discovery.list_namespaced_endpoint_slice(namespace).items
            if eps:
                write("endpointslices.yaml", "---\n".join(self.to_yaml(o) for o in eps))
            pods = self.pods(namespace)
            describe += [format_pod_status(p) for p in pods]
            write("describe.txt", "\n\n".join(describe) + "\n")
            if pods:
                write("pods.yaml", "---\n".join(self.to_yaml(p) for p in pods))
            for pod in pods:
                for c in [*(pod.spec.init_containers or []), *pod.spec.containers]:
                    write(f"logs-{pod.metadata.name}-{c.name}.txt",
                          self.logs(pod.metadata.name, namespace, c.name))
                    if restart_count(pod, c.name):
                        write(f"logs-{pod.metadata.name}-{c.name}-previous.txt",
                              self.logs(pod.metadata.name, namespace, c.name, previous=True))

        attempt(workloads)
        return written
