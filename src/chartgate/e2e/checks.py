"""Checks shared by the clockwork scenarios (object names, goose logs, bounded polling)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from chartgate.e2e import http
from chartgate.tools.kube import Kube

T = TypeVar("T")

GOOSE_APPLIED = re.compile(r"OK\s+0000[12]_\w+\.sql")
GOOSE_DONE = re.compile(r"successfully migrated database to version: (\d+)")


def names(release: str) -> dict[str, str]:
    """Object names the chart derives from the release name (values.yaml: <fullname>-<suffix>)."""
    full = release if "clockwork" in release else f"{release}-clockwork"
    return {"deployment": f"{full}-server", "service": f"{full}-service", "configmap": f"{full}-config",
            "secret": f"{full}-secrets", "job": f"{full}-migrate", "postgresql": f"{full}-postgresql"}


# the plan's `kubectl logs -l app=clockwork,component=server`
SERVER = {"app": "clockwork", "component": "server"}


def server_selector(release: str) -> dict[str, str]:
    return {"app.kubernetes.io/instance": release, "app.kubernetes.io/component": "server"}


def eventually(what: str, fn: Callable[[], T | None], timeout: float = 30, interval: float = 1) -> T:
    """Until ``fn`` returns something truthy; wall-clock bounded; the last value/exception
    is in the failure message."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            value = fn()
            if value:
                return value
            last = value
        except Exception as exc:
            last = f"{type(exc).__name__}: {exc}"
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not true within {timeout:g}s (last: {str(last)[:600]})")
        time.sleep(interval)


def get_ok(base: str, path: str, timeout: float = 30) -> http.Response:
    def attempt() -> http.Response | None:
        r = http.get(base + path, timeout=5)
        return r if r.status == 200 else None

    return eventually(f"GET {path} -> 200 via {base}", attempt, timeout=timeout)


def migration_log_from_init(kube: Kube, namespace: str, pod: Any) -> str:
    """The `migrate` initContainer's state and log (initContainer strategy)."""
    statuses = {cs.name: cs for cs in pod.status.init_container_statuses or []}
    cs = statuses.get("migrate")
    assert cs is not None, (f"pod {pod.metadata.name} has no `migrate` initContainer "
                            f"(init containers: {sorted(statuses)})")
    term = cs.state.terminated or (cs.last_state.terminated if cs.last_state else None)
    assert term is not None and term.exit_code == 0, (
        f"initContainer migrate of {pod.metadata.name} did not exit 0: {cs.state}")
    return kube.logs(pod.metadata.name, namespace, "migrate")


def assert_goose_applied(log: str, where: str, version: int = 2) -> None:
    applied = GOOSE_APPLIED.findall(log)
    done = GOOSE_DONE.search(log)
    assert len(applied) == 2 and done and int(done.group(1)) == version, (
        f"{where}: goose did not apply 00001/00002 up to version {version}; log:\n{log[-2000:]}")


def migration_log(kube: Kube, namespace: str, release: str, pods: list[Any]) -> str:
    """Where the chart ran goose — the migration Job (``kubectl wait
    --for=condition=complete job/…-migrate``; ``kubectl logs job/…-migrate``) or the
    ``migrate`` initContainer of every server pod — and the log(s) of that run."""
    from chartgate.tools.kube import ObjRef

    job = names(release)["job"]
    if kube.exists(ObjRef("Job", job, namespace)):
        kube.wait_job_complete(job, namespace, timeout=120)
        jpods = [p for p in kube.job_pods(job, namespace) if p.status.phase == "Succeeded"]
        assert jpods, f"job/{job} completed but no succeeded pod is left to read its log"
        return kube.logs(jpods[-1].metadata.name, namespace, "migrate")
    assert pods, "no server pods to look for a migrate initContainer in"
    return "\n".join(migration_log_from_init(kube, namespace, p) for p in pods[:1])
