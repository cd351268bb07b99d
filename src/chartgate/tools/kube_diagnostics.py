"""Why is it not ready? Status judged and explained, the way a human reads a cluster.

Pure functions over kubernetes client model objects judge a state
(:func:`deployment_rollout_state` has ``kubectl rollout status`` semantics) and format
it (:func:`format_pod_status`, :func:`format_events` — ``kubectl describe``'s view).
:class:`KubeDiagnostics` adds what a failed wait or test attaches: one object's summary,
its pods, their recent events and log tails (:meth:`KubeDiagnostics.diagnose`), and a
whole namespace written to files (:meth:`KubeDiagnostics.dump_namespace`).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from chartgate.tools.kube_client import KubeClient, ObjRef, event_sort_key, event_time
from chartgate.util.deadline import Terminal


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


def format_events(events: Iterable[Any], limit: int = 15, now: _dt.datetime | None = None) -> str:
    """The most recent ``limit`` events, oldest first, like ``kubectl describe``'s table."""
    evs = sorted(events, key=event_sort_key)[-limit:]
    lines = []
    for ev in evs:
        obj = ev.involved_object
        count = f" (x{ev.count})" if getattr(ev, "count", None) and ev.count > 1 else ""
        msg = (ev.message or "").strip().replace("\n", " ")
        lines.append(f"{_age(event_time(ev), now):>4} ago  {ev.type or '?':<7} {ev.reason or '?':<22} "
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
    """Failed → done; Complete → :class:`Terminal` (a Job that was expected to fail)."""
    st = job.status
    summary = f"active={st.active or 0} succeeded={st.succeeded or 0} failed={st.failed or 0}"
    for c in st.conditions or []:
        if c.status == "True" and c.type == "Complete":
            raise Terminal(f"{summary}; the Job completed, expected it to fail")
        if c.status == "True" and c.type == "Failed":
            return True, f"{summary}; Failed ({c.reason}): {c.message}"
    return False, summary


def pod_ready(pod: Any) -> bool:
    """The pod's Ready condition is True."""
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


def restart_count(pod: Any, container: str) -> int:
    """``container``'s restartCount (0 when the container has no status yet)."""
    for cs in pod.status.container_statuses or []:
        if cs.name == container:
            return int(cs.restart_count or 0)
    return 0


def state_text(judge: Callable[[Any], tuple[bool, str]], obj: Any) -> str:
    """What ``judge`` (e.g. :func:`job_state`) says of ``obj``, a terminal state included."""
    try:
        return judge(obj)[1]
    except Terminal as exc:
        return str(exc)


class KubeDiagnostics(KubeClient):
    """A :class:`KubeClient` that can explain what it sees."""

    LOG_TAIL = 40

    def pods_of(self, ref: ObjRef) -> list[Any]:
        """The pods a Deployment, StatefulSet, Job or Service selects (or the pod itself)."""
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
            lines.append(f"  {state_text(deployment_rollout_state, obj)}")
            images = [f"{c.name}={c.image}" for c in obj.spec.template.spec.containers]
            lines.append(f"  images: {', '.join(images)}")
        elif kind == "job":
            lines.append(f"  {state_text(job_state, obj)}")
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
            pods = related_pods() if related_pods else self.pods_of(ref)
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
