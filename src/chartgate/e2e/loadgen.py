"""The bounded in-cluster request loop: a Job running the load generator (Go source in
``chartgate/e2e/files/loadgen``, image: the ``loadgen_image`` fixture) against a release's
Service while the test changes the release (upgrade, rollback, set image).

The loop behaves like real clients: kept-alive connections, GETs of the readiness
endpoint and a share of POST writes (each created row is read back at the end); a
request that was in flight when its server went away counts as failed. It runs until
the test stops it through its control endpoint (``POST /stop`` over the API server's pod
proxy) with the rollout window — from the change to the moment every old pod is gone —
so it covers the whole rollout and counts the requests *inside* that window. Always
bounded in count (``max_requests``) and time (``max_duration``; the Job also has an
``activeDeadlineSeconds``).

:func:`cover_rollout` runs one change under a started loop; :meth:`LoopResult.problems`
lists what makes a covered rollout unclean (:func:`assert_clean_rollout` asserts there is nothing).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from chartgate.tools.kube import Kube, KubeError, ObjRef, WaitTimeout
from chartgate.util.deadline import Terminal, poll_until

_ids = itertools.count(1)
RESULT_PREFIX = "LOADGEN_RESULT "
STOP_BY_TEST = "stopped by the test: "  # the load generator's StopByTest
CONTROL_PORT = 8081


@dataclass
class Window:
    """The rollout window the test reported, and what the loop counted inside it."""

    start: datetime | None
    end: datetime | None
    total: int
    failed: int
    writes: int
    versions: dict[str, int]


@dataclass
class LoopResult:
    total: int
    failed: int
    versions: dict[str, int]
    statuses: dict[str, int]
    errors: list[str]
    started_at: str
    finished_at: str
    seconds: float
    stop_reason: str
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @classmethod
    def parse(cls, logs: str) -> LoopResult:
        line = next((ln for ln in reversed(logs.splitlines()) if ln.startswith(RESULT_PREFIX)), None)
        if line is None:
            raise KubeError(f"the request loop printed no result line; its log ends with:\n{logs[-2000:]}")
        data = json.loads(line[len(RESULT_PREFIX):])
        return cls(total=int(data["total"]), failed=int(data["failed"]),
                   versions=dict(data["versions"] or {}),
                   statuses=dict(data["statuses"] or {}), errors=list(data["errors"] or []),
                   started_at=data.get("started_at", ""), finished_at=data.get("finished_at", ""),
                   seconds=float(data.get("seconds") or 0), stop_reason=data.get("stop_reason", ""), raw=data)

    @property
    def window(self) -> Window | None:
        w = self.raw.get("window")
        if not w:
            return None
        return Window(_ts(w.get("from", "")), _ts(w.get("to", "")), int(w.get("total") or 0),
                      int(w.get("failed") or 0), int(w.get("writes") or 0), dict(w.get("versions") or {}))

    @property
    def in_flight_lost(self) -> int:
        return int(self.raw.get("in_flight_lost") or 0)

    @property
    def writes(self) -> dict[str, Any]:
        return dict(self.raw.get("writes") or {})

    def summary(self) -> str:
        vs = ", ".join(f"{v}: {n}" for v, n in sorted(self.versions.items()))
        text = (f"{self.total} requests in {self.seconds:.1f}s, {self.failed} failed "
                f"({self.in_flight_lost} lost in flight); versions {{{vs}}}; stopped: {self.stop_reason}")
        w = self.window
        if w is not None:
            span = (w.end - w.start).total_seconds() if w.start and w.end else 0.0
            text += (f"\n  rollout window {span:.1f}s: {w.total} requests ({w.writes} writes), "
                     f"{w.failed} failed")
        wr = self.writes
        if wr:
            text += (f"\n  writes: {wr.get('created', 0)} created, {wr.get('failed', 0)} failed, "
                     f"{wr.get('read_back', 0)} read back")
            if wr.get("missing"):
                text += f", missing: {wr['missing'][:5]}"
            if wr.get("read_back_error"):
                text += f", read-back error: {wr['read_back_error']}"
        if self.errors:
            text += "\n  first errors:\n    " + "\n    ".join(self.errors[:10])
        return text

    def last_version_is(self, version: str) -> bool:
        return str(self.raw.get("last_version", "")) == version

    def finished(self) -> datetime | None:
        return _ts(self.finished_at)

    def started(self) -> datetime | None:
        return _ts(self.started_at)

    def problems(self, rollout: Rollout, min_requests: int, writes: bool = True) -> list[str]:
        """Why this loop does not prove a clean rollout ``rollout`` ([] = it does): it
        must have been stopped by the test after every old pod was gone, have started
        before the change, count ``min_requests`` inside the window with 0 failures
        anywhere, and (``writes``) read back every row it wrote."""
        out: list[str] = []
        if self.stop_reason != STOP_BY_TEST + rollout.reason:
            out.append(f"the loop stopped on its own ({self.stop_reason!r}), not when the test saw "
                       f"{rollout.reason}: it did not cover the whole rollout")
        start, end = self.started(), self.finished()
        if start is None or start > rollout.start:
            out.append(f"the loop started counting at {start}, after the change at {rollout.start}")
        if end is None or end < rollout.end:
            out.append(f"the loop ended at {end}, before every old pod was gone at {rollout.end}")
        w = self.window
        if w is None:
            out.append("the loop reported no rollout window")
        elif w.total < min_requests:
            out.append(f"only {w.total} requests inside the rollout window "
                       f"({rollout.seconds:.1f}s; want >= {min_requests})")
        if self.failed:
            inside = f"{w.failed} inside the rollout window" if w is not None else "window unknown"
            out.append(f"{self.failed} requests failed ({inside}; {self.in_flight_lost} lost in flight)")
        if writes:
            wr = self.writes
            created = int(wr.get("created") or 0)
            if not created:
                out.append("the loop wrote no rows")
            elif wr.get("read_back_error"):
                out.append(f"the written rows could not be read back: {wr['read_back_error']}")
            elif wr.get("missing") or int(wr.get("read_back") or 0) != created:
                out.append(f"only {wr.get('read_back', 0)} of {created} written rows were read back; "
                           f"missing: {wr.get('missing', [])[:5]}")
        return out


def _ts(text: str) -> datetime | None:
    if not text:
        return None
    # Go's RFC3339Nano has up to 9 fractional digits; Python takes 6.
    head, _, rest = text.rstrip("Z").partition(".")
    frac = rest[:6]
    return datetime.fromisoformat(f"{head}.{frac or '0'}+00:00")


def _go_time(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class RequestLoop:
    kube: Kube
    namespace: str
    image: str
    url: str  # GET: the Service's readiness endpoint
    write_url: str = ""  # POST creates a row, GET lists them; "" = no writes
    write_share: float = 0.2
    max_requests: int = 12000
    max_duration: float = 180
    rate: float = 50
    concurrency: int = 8
    name: str = ""
    job: str = ""
    startup_timeout: float = 90
    request_timeout: float = 5  # per request
    warmup: float = 60  # no first success within it: the loop exits 3 (a blocked probe)
    labels: Mapping[str, str] = field(default_factory=dict)  # e.g. what a NetworkPolicy selects

    def manifest(self) -> dict[str, Any]:
        """The Job (name ``job``). Also a one-off probe on its own: created with
        :meth:`Kube.create_job`, it stops at its bounds and its log says what it reached."""
        args = [f"-url={self.url}", f"-max-requests={self.max_requests}",
                f"-max-duration={self.max_duration:g}s", f"-rate={self.rate:g}",
                f"-concurrency={self.concurrency}", f"-control=:{CONTROL_PORT}",
                f"-timeout={self.request_timeout:g}s", f"-warmup={self.warmup:g}s"]
        if self.write_url:
            args += [f"-write-url={self.write_url}", f"-write-share={self.write_share:g}"]
        restricted = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                      "runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532,
                      "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}
        labels = {"app.kubernetes.io/name": "chartgate-loadgen", **self.labels}
        return {
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": self.job, "labels": labels},
            "spec": {
                "backoffLimit": 0,
                "activeDeadlineSeconds": int(self.max_duration + self.startup_timeout + 60),
                "ttlSecondsAfterFinished": 600,
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "restartPolicy": "Never",
                        "automountServiceAccountToken": False,
                        "securityContext": {"runAsNonRoot": True,
                                            "seccompProfile": {"type": "RuntimeDefault"}},
                        "containers": [{
                            "name": "loadgen", "image": self.image, "imagePullPolicy": "IfNotPresent",
                            "args": args, "securityContext": restricted,
                            "ports": [{"name": "control", "containerPort": CONTROL_PORT}],
                            "resources": {"requests": {"cpu": "50m", "memory": "32Mi"},
                                          "limits": {"cpu": "500m", "memory": "128Mi"}},
                        }],
                    },
                },
            },
        }

    def start(self) -> RequestLoop:
        """Create the Job and return once the loop has warmed up (first success) and is
        counting — only then may the test change the release."""
        self.job = self.job or f"loadgen-{self.name or 'loop'}-{next(_ids)}"
        self.kube.create_job(self.namespace, self.manifest())
        ref = ObjRef("Job", self.job, self.namespace)

        def started() -> tuple[bool, str]:
            pods = self.kube.job_pods(self.job, self.namespace)
            if not pods:
                return False, "no pod yet"
            pod = pods[0]
            phase = pod.status.phase
            if phase in ("Pending",):
                return False, f"pod {pod.metadata.name} Pending"
            text = self.kube.logs(pod.metadata.name, self.namespace, "loadgen")
            if "LOADGEN_STARTED" in text:
                return True, "counting"
            if phase in ("Failed", "Succeeded"):
                raise Terminal(f"the request loop ended during warm-up ({phase}): {text[-800:]}")
            return False, f"pod {phase}, warming up"

        self.kube.wait_for(ref, "counting requests (warmed up)", started, timeout=self.startup_timeout)
        return self

    def _pod(self) -> str:
        pods = self.kube.job_pods(self.job, self.namespace)
        if not pods:
            raise KubeError(f"job/{self.job} -n {self.namespace}: no pod (the request loop is gone)")
        return str(pods[0].metadata.name)

    def stop(self, reason: str, window_start: datetime, window_end: datetime) -> None:
        """Ask the loop to stop now, reporting the rollout window it must count in. A loop
        that already ended on its own answers nothing useful; its result says why."""
        query = urlencode({"reason": reason, "from": _go_time(window_start), "to": _go_time(window_end)})

        def deliver() -> tuple[bool, str]:
            answer = self.kube.pod_http(self._pod(), self.namespace, CONTROL_PORT, f"/stop?{query}",
                                        method="POST")
            return answer.status == 200, f"POST /stop answered {answer.status}: {answer.body[:300]}"

        # a transient API-server proxy error is retried; a loop that already ended on its
        # own (max-duration) answers nothing, and its result says why
        done, last, _ = poll_until(deliver, timeout=10, interval=1, clock=self.kube.clock,
                                   transient=(Exception,))
        if not done:
            print(f"[loadgen] job/{self.job}: stop request not delivered ({last})")

    def result(self, timeout: float | None = None) -> LoopResult:
        """Wait for the loop to finish (wall-clock bounded) and parse its report."""
        limit = timeout or (self.max_duration + 60)
        try:
            self.kube.wait_job_complete(self.job, self.namespace, timeout=limit)
        except WaitTimeout:
            raise
        return LoopResult.parse(self.kube.logs(self._pod(), self.namespace, "loadgen"))

    def delete(self) -> None:
        if self.job:
            self.kube.delete_job(self.job, self.namespace)

    def __enter__(self) -> RequestLoop:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        # Keep the Job on failure (diagnostics); its TTL cleans it up. Remove on success.
        if exc[0] is None:
            self.delete()


@dataclass
class Rollout:
    """One change of a release as the loop must cover it: issued at ``start``, over at
    ``end`` when the Deployment's rollout was complete and every pod that existed before
    the change (terminating ones included) was gone."""

    start: datetime
    end: datetime
    old_pods: list[str]
    reason: str

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def wait_pods_gone(kube: Kube, owner: ObjRef, pods: Mapping[str, str], timeout: float = 180) -> None:
    """Until none of ``pods`` (uid → name) exists any more (a replacement with the same
    name but another uid, e.g. a StatefulSet's, counts as gone)."""

    def check() -> tuple[bool, str]:
        left = [p.metadata.name for p in kube.pods(owner.namespace) if p.metadata.uid in pods]
        return not left, f"old pods still present (terminating or running): {sorted(left)}"

    kube.wait_for(owner, f"rid of all {len(pods)} pods of before the change", check, timeout=timeout)


def cover_rollout(loop: RequestLoop, kube: Kube, deployment: str, namespace: str,
                  selector: Mapping[str, str], change: Callable[[], object],
                  timeout: float = 180) -> tuple[LoopResult, Rollout]:
    """Run ``change`` under the started ``loop``: note the server pods, make the change,
    wait for the rollout to complete *and* every old pod to be gone, then stop the loop
    with that window and return its result."""
    owner = ObjRef("Deployment", deployment, namespace)
    old = {str(p.metadata.uid): str(p.metadata.name) for p in kube.pods(namespace, dict(selector))}
    start = datetime.now(UTC)
    change()
    kube.wait_deployment_available(deployment, namespace, timeout=timeout)
    wait_pods_gone(kube, owner, old, timeout=timeout)
    end = datetime.now(UTC)
    rollout = Rollout(start, end, sorted(old.values()), f"every old pod gone ({len(old)})")
    loop.stop(rollout.reason, start, end)
    return loop.result(), rollout


def assert_clean_rollout(res: LoopResult, rollout: Rollout, phase: str, min_requests: int = 500,
                         writes: bool = True) -> None:
    """A rollout covered by the request loop was clean (:meth:`LoopResult.problems`)."""
    print(f"[{phase}] rollout {rollout.seconds:.1f}s (old pods {rollout.old_pods}); "
          f"request loop: {res.summary()}")
    problems = res.problems(rollout, min_requests, writes=writes)
    assert not problems, (f"{phase}: the rollout was not clean under the request loop:\n  - "
                          + "\n  - ".join(problems) + f"\n{res.summary()}")
