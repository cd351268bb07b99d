"""Scenario c — migrations (deployment plan step 13, "Test migration Job"):

1. Job strategy (pre-install/pre-upgrade hook; kept with hookDeletePolicy
   before-hook-creation so that, as the plan says, ``kubectl wait --for=condition=complete
   job/clockwork-migrate`` and ``kubectl logs job/clockwork-migrate`` can read it):
   goose applies the migrations to an external PostgreSQL.
2. A deliberately failing migration set (``server/migrations-failing``: 00099 fails)
   makes ``helm upgrade`` fail; the previous release keeps serving, schema unchanged.
3. initContainer strategy (``helm upgrade --set migration.strategy=initContainer``) against
   a fresh database: the new pods' ``migrate`` initContainer applies the migrations.

With a real image (``CLOCKWORK_E2E_IMAGE``), which has neither the double's migration
files nor its failing set, step 2 points ``MIGRATIONS_DIR`` at a directory the image does
not have (goose fails on it), and every step is judged by goose's version table — each
version recorded once, unchanged by the failed upgrade — not by the double's file names.
"""

from __future__ import annotations

import pytest
from contract import (
    assert_goose_applied,
    assert_migrated_once,
    goose_versions,
    migration_log_from_init,
    names,
    server_selector,
)
from double import AppImages
from external_db import ExternalPostgres
from rollouts import FAST_READINESS

from chartgate.e2e import http
from chartgate.e2e.http import get_ok
from chartgate.e2e.release import Releases
from chartgate.tools.helm import HelmError
from chartgate.tools.kube import Kube, ObjRef, pod_ready, restart_count
from chartgate.tools.kubectl import Kubectl
from chartgate.util.merge import deep_merge

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_seconds(60)]  # xdist hands out long files first

NS = "clockwork-migrations"
RELEASE = "clockwork"
N = names(RELEASE)
JOB_VALUES = {"migration": {"strategy": "job", "hookDeletePolicy": "before-hook-creation"},
              "namespace": {"create": False}}
FAILING_DIR = {True: "server/migrations-failing",  # the double's set: 00099 fails
               False: "server/migrations-e2e-no-such-directory"}  # any image: goose fails on it
# a failing set fails the same way every time: one attempt, not a retry after a 10 s backoff
ONE_ATTEMPT = {"migration": {"backoffLimit": 0}}


def test_c_migrations(releases: Releases, watch: Releases, kube: Kube, kubectl: Kubectl,
                      external_postgres: ExternalPostgres, app_imgs: AppImages) -> None:
    pg = external_postgres
    least = 2 if app_imgs.double else 1
    url_job = pg.create_database("clockwork_c_job")
    # values.yaml defaults: external PostgreSQL, existing Secret; this scenario is not about
    # probe timings, so the server turns Ready within a second (rollouts.FAST_READINESS)
    rel = releases.new(RELEASE, NS, values=FAST_READINESS)
    kubectl.create_namespace(NS)
    kubectl.create_secret_generic(N["secret"], NS, {"DATABASE_URL": url_job})

    # 1. Job strategy
    rel.install(JOB_VALUES, create_namespace=False)
    kube.wait_job_complete(N["job"], NS, timeout=60)  # kubectl wait --for=condition=complete job/…
    job_pods = kube.job_pods(N["job"], NS)
    assert job_pods, f"job/{N['job']} has no pod to read the log from"
    if app_imgs.double:
        assert_goose_applied(kube.logs(job_pods[-1].metadata.name, NS, "migrate"), f"job/{N['job']}")
    applied = goose_versions(lambda sql: pg.psql("clockwork_c_job", sql))
    assert_migrated_once(applied, "clockwork_c_job after the Job", at_least=least)
    kube.wait_deployment_available(N["deployment"], NS, timeout=180)
    serving = kube.live_pods(NS, server_selector(RELEASE))
    before = {p.metadata.name: restart_count(p, "server") for p in serving}
    revision = rel.revision()

    # 2. failing migration: helm upgrade fails, the previous release keeps serving
    failing = deep_merge(deep_merge(JOB_VALUES, ONE_ATTEMPT),
                         {"configMap": {"values": {"migrationsDir": FAILING_DIR[app_imgs.double]}}})
    with pytest.raises(HelmError) as err:
        rel.upgrade(failing, timeout="2m")
    message = str(err.value)
    assert "pre-upgrade" in message or N["job"] in message, (
        f"helm upgrade failed, but not on the hook: {message}")
    kube.wait_job_failed(N["job"], NS, timeout=30)
    if app_imgs.double:
        job_log = "\n".join(kube.logs(p.metadata.name, NS, "migrate") for p in kube.job_pods(N["job"], NS))
        assert "00099_fail.sql" in job_log, f"the failing migration did not run; job log:\n{job_log[-1500:]}"
        assert pg.psql("clockwork_c_job",
                       "SELECT to_regclass('clockwork_failed_migration_probe') IS NULL") == "t"
    assert goose_versions(lambda sql: pg.psql("clockwork_c_job", sql)) == applied, (
        "the failed migration changed goose's version table")
    now = kube.live_pods(NS, server_selector(RELEASE))
    assert {p.metadata.name: restart_count(p, "server") for p in now} == before, (
        f"the serving pods changed after the failed upgrade: before {before}, now "
        f"{[(p.metadata.name, restart_count(p, 'server')) for p in now]}")
    assert all(pod_ready(p) for p in now), "a serving pod is no longer Ready after the failed upgrade"
    cm = kube.get(ObjRef("ConfigMap", N["configmap"], NS)).data or {}
    assert cm.get("MIGRATIONS_DIR") == "server/migrations", f"the failed upgrade changed the ConfigMap: {cm}"
    hist = rel.history()
    deployed = [h for h in hist if h["status"] == "deployed"]
    assert deployed and int(deployed[-1]["revision"]) == revision, f"helm history: {hist}"
    with kubectl.port_forward(f"service/{N['service']}", NS, 80, 8080) as pf:
        assert get_ok(pf.url, "/api/health").json().get("database") == "ok"
        r = http.post(pf.url + "/api/projects", {"name": "after-failed-upgrade"})
        assert r.status == 201, f"the previous release stopped serving writes: {r.status} {r.body}"

    # 3. initContainer strategy against a fresh database
    url_init = pg.create_database("clockwork_c_init")
    kube.set_secret_data(N["secret"], NS, {"DATABASE_URL": url_init})
    rel.upgrade({"migration": {"strategy": "initContainer"}, "namespace": {"create": False}})
    kube.wait_deployment_available(N["deployment"], NS, timeout=180)
    pods = kube.live_pods(NS, server_selector(RELEASE))
    assert pods and not set(before) & {p.metadata.name for p in pods}, "pods were not replaced"
    for pod in pods:
        log = migration_log_from_init(kube, NS, pod)  # exited 0
        if app_imgs.double:
            assert_goose_applied(log, f"pod {pod.metadata.name} [migrate]")
    assert_migrated_once(goose_versions(lambda sql: pg.psql("clockwork_c_init", sql)),
                         "clockwork_c_init after the initContainers", at_least=least)
