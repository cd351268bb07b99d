"""The clockwork contract as the scenarios check it: the object names the chart derives
from a release name, the server's selectors, the API's projects and categories, and the
migrations (goose's logs, its version table, psql in the in-cluster PostgreSQL)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from chartgate.e2e import http
from chartgate.e2e.http import get_ok
from chartgate.tools.kube import Kube
from chartgate.tools.kubectl import Kubectl

GOOSE_APPLIED = re.compile(r"OK\s+0000[12]_\w+\.sql")
GOOSE_DONE = re.compile(r"successfully migrated database to version: (\d+)")


CHART_PATH = "./deploy/helm/clockwork"  # the chart path every documented command uses


def names(release: str) -> dict[str, str]:
    """Object names the chart derives from the release name (values.yaml: <fullname>-<suffix>)."""
    full = release if "clockwork" in release else f"{release}-clockwork"
    return {"deployment": f"{full}-server", "service": f"{full}-service", "configmap": f"{full}-config",
            "secret": f"{full}-secrets", "job": f"{full}-migrate", "postgresql": f"{full}-postgresql"}


# the plan's `kubectl logs -l app=clockwork,component=server`
SERVER = {"app": "clockwork", "component": "server"}


def server_selector(release: str) -> dict[str, str]:
    return {"app.kubernetes.io/instance": release, "app.kubernetes.io/component": "server"}


def write_project(base: str, tag: str, description: str) -> tuple[dict, dict]:
    """A project and a category in it, written through the API (the contract's data)."""
    name = f"{tag}-{uuid.uuid4().hex[:8]}"
    p = http.post(base + "/api/projects", {"name": name, "description": description})
    assert p.status == 201, f"POST /api/projects -> {p.status}: {p.body}"
    project = p.json()
    c = http.post(base + "/api/categories", {"name": f"{name}-cat", "project_id": project["id"],
                                             "color": "#123456"})
    assert c.status == 201, f"POST /api/categories -> {c.status}: {c.body}"
    return project, c.json()


def assert_project_readable(base: str, project: dict, category: dict, when: str) -> None:
    """The project and category :func:`write_project` wrote are listed by the API."""
    projects = get_ok(base, "/api/projects").json()
    assert any(p["id"] == project["id"] and p["name"] == project["name"] for p in projects), (
        f"{when}: project {project} missing from GET /api/projects: {projects}")
    cats = get_ok(base, f"/api/categories?project_id={project['id']}").json()
    assert any(c["id"] == category["id"] and c["name"] == category["name"] for c in cats), (
        f"{when}: category {category} missing from GET /api/categories: {cats}")


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


def psql_incluster(kubectl: Kubectl, namespace: str, release: str, sql: str) -> str:
    """``sql`` through psql inside the release's in-cluster PostgreSQL pod, as the user
    and database of its ``POSTGRES_*`` environment (what the chart configures)."""
    pod = f"{names(release)['postgresql']}-0"
    script = ('PGPASSWORD="$POSTGRES_PASSWORD" psql -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" '
              '-v ON_ERROR_STOP=1 -tA -c "$0"')
    return kubectl.exec(pod, namespace, ["sh", "-c", script, sql], container="postgresql").strip()


def goose_versions(query: Callable[[str], str]) -> dict[int, int]:
    """goose's version table: applied version → how many times it was recorded as applied
    (goose records each applied migration once; a repeated row means it ran again)."""
    out = query("SELECT version_id, count(*) FROM goose_db_version WHERE is_applied "
                "GROUP BY version_id ORDER BY version_id")
    rows = [ln.split("|") for ln in out.splitlines() if ln.strip()]
    return {int(v): int(n) for v, n in rows}


def assert_migrated_once(versions: dict[int, int], where: str, at_least: int = 1,
                         before: dict[int, int] | None = None) -> None:
    """Every migration recorded exactly once, up to a version ``>= at_least``; with
    ``before``, nothing that was applied then ran again."""
    again = {v: n for v, n in versions.items() if n != 1}
    assert not again, f"{where}: goose recorded migrations more than once (version: times): {again}"
    top = max(versions, default=0)
    assert top >= at_least, f"{where}: goose_db_version is at version {top}, want >= {at_least}: {versions}"
    if before is not None:
        lost = sorted(set(before) - set(versions))
        assert not lost, f"{where}: versions applied before are no longer recorded: {lost}"
