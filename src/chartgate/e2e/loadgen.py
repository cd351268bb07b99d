"""The bounded in-cluster request loop: a Job running ``tests/e2e/loadgen`` against a
Service URL while the test changes the release (upgrade, rollback, set image).

Bounded in count (``max_requests``) and time (``max_duration``; the Job also has an
``activeDeadlineSeconds``). It reports total and failed requests and the versions that
answered; :meth:`RequestLoop.result` returns them as :class:`LoopResult`.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chartgate.tools.kube import Kube, KubeError, ObjRef, WaitTimeout

_ids = itertools.count(1)
RESULT_PREFIX = "LOADGEN_RESULT "


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

    def summary(self) -> str:
        vs = ", ".join(f"{v}: {n}" for v, n in sorted(self.versions.items()))
        text = (f"{self.total} requests in {self.seconds:.1f}s, {self.failed} failed; "
                f"versions {{{vs}}}; stopped: {self.stop_reason}")
        if self.errors:
            text += "\n  first errors:\n    " + "\n    ".join(self.errors[:10])
        return text

    def last_version_is(self, version: str) -> bool:
        return str(self.raw.get("last_version", "")) == version

    def finished(self) -> datetime | None:
        return _ts(self.finished_at)

    def started(self) -> datetime | None:
        return _ts(self.started_at)


def _ts(text: str) -> datetime | None:
    if not text:
        return None
    # Go's RFC3339Nano has up to 9 fractional digits; Python takes 6.
    head, _, rest = text.rstrip("Z").partition(".")
    frac = rest[:6]
    return datetime.fromisoformat(f"{head}.{frac or '0'}+00:00")


@dataclass
class RequestLoop:
    kube: Kube
    namespace: str
    image: str
    url: str
    min_requests: int = 500
    max_requests: int = 8000
    min_duration: float = 0
    max_duration: float = 150
    rate: float = 25
    concurrency: int = 4
    until_version: str | None = None
    settle: float = 5
    name: str = ""
    job: str = ""
    startup_timeout: float = 90

    def manifest(self) -> dict[str, Any]:
        args = [f"-url={self.url}", f"-min-requests={self.min_requests}",
                f"-max-requests={self.max_requests}", f"-min-duration={self.min_duration:g}s",
                f"-max-duration={self.max_duration:g}s", f"-rate={self.rate:g}",
                f"-concurrency={self.concurrency}", f"-settle={self.settle:g}s"]
        if self.until_version:
            args.append(f"-until-version={self.until_version}")
        restricted = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                      "runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532,
                      "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}
        return {
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": self.job, "labels": {"app.kubernetes.io/name": "chartgate-loadgen"}},
            "spec": {
                "backoffLimit": 0,
                "activeDeadlineSeconds": int(self.max_duration + self.startup_timeout + 60),
                "ttlSecondsAfterFinished": 600,
                "template": {
                    "metadata": {"labels": {"app.kubernetes.io/name": "chartgate-loadgen"}},
                    "spec": {
                        "restartPolicy": "Never",
                        "automountServiceAccountToken": False,
                        "securityContext": {"runAsNonRoot": True,
                                            "seccompProfile": {"type": "RuntimeDefault"}},
                        "containers": [{
                            "name": "loadgen", "image": self.image, "imagePullPolicy": "IfNotPresent",
                            "args": args, "securityContext": restricted,
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
                from chartgate.tools.kube import Terminal

                raise Terminal(f"the request loop ended during warm-up ({phase}): {text[-800:]}")
            return False, f"pod {phase}, warming up"

        self.kube.wait_for(ref, "counting requests (warmed up)", started, timeout=self.startup_timeout)
        return self

    def result(self, timeout: float | None = None) -> LoopResult:
        """Wait for the loop to finish (wall-clock bounded) and parse its report."""
        limit = timeout or (self.max_duration + 60)
        try:
            self.kube.wait_job_complete(self.job, self.namespace, timeout=limit)
        except WaitTimeout:
            raise
        pods = self.kube.job_pods(self.job, self.namespace)
        if not pods:
            raise KubeError(f"job/{self.job} -n {self.namespace}: no pod left to read the result from")
        return LoopResult.parse(self.kube.logs(pods[0].metadata.name, self.namespace, "loadgen"))

    def stop(self) -> None:
        if self.job:
            self.kube.delete_job(self.job, self.namespace)

    def __enter__(self) -> RequestLoop:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        # Keep the Job on failure (diagnostics); its TTL cleans it up. Remove on success.
        if exc[0] is None:
            self.stop()


