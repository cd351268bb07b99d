"""Waits for cluster states on wall-clock deadlines, each failure explained.

Every wait runs on :func:`chartgate.util.deadline.poll_until` (never loop counts). A
wait that times out — or reaches a state it cannot recover from, such as a Deployment's
ProgressDeadlineExceeded or a failed Job — raises :class:`WaitTimeout`, whose message
names the object, its last observed state, its conditions, the recent events of it and
its pods, and the tail of its containers' logs: a red test says *which* object was not
ready and *why*.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chartgate.tools.kube_client import KubeError, ObjRef, selector_string
from chartgate.tools.kube_diagnostics import (
    KubeDiagnostics,
    deployment_rollout_state,
    format_pod_status,
    job_failed_state,
    job_state,
    pod_ready,
    restart_count,
)
from chartgate.util.deadline import Check, poll_until


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


class KubeWaits(KubeDiagnostics):
    """A :class:`KubeDiagnostics` that waits for states."""

    def _wait(self, ref: ObjRef, what: str, check: Check, timeout: float, interval: float,
              related_pods: Callable[[], list[Any]] | None = None) -> str:
        done, last, terminal = poll_until(check, timeout=timeout, interval=interval, clock=self.clock,
                                          transient=self.transient_errors())
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

    def delete_namespace(self, name: str, wait: bool = False, timeout: float = 120) -> None:
        """Delete a namespace (gone already is fine); with ``wait``, until it is gone."""
        try:
            self.core.delete_namespace(name)
        except Exception as exc:
            if self.not_found(exc):
                return
            raise
        if wait:
            self.wait_gone(ObjRef("Namespace", name), timeout=timeout)

