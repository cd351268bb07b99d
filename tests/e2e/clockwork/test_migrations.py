"""Scenario c — migrations (deployment plan step 13, "Test migration Job"):

1. Job strategy (pre-install/pre-upgrade hook; kept with hookDeletePolicy
   before-hook-creation so that, as the plan says, ``kubectl wait --for=condition=complete
   job/clockwork-migrate`` and ``kubectl logs job/clockwork-migrate`` can read it):
   goose applies the migrations to an external PostgreSQL.
2. A deliberately failing migration set (``server/migrations-failing``: 00099 fails)
   makes ``helm upgrade`` fail; the previous release keeps serving, schema unchanged.
3. initContainer strategy (``helm upgrade --set migration.strategy=initContainer``) against
   a fresh database: the new pods' ``migrate`` initContainer applies the migrations.
"""

from __future__ import annotations

import pytest

from chartgate.e2e import http
from chartgate.e2e.checks import assert_goose_applied, get_ok, migration_log_from_init, names, server_selector
from chartgate.e2e.fixtures import ExternalPostgres, Releases
from chartgate.tools.helm import HelmError
from chartgate.tools.kube import Kube, ObjRef, pod_ready, restart_count
from chartgate.tools.kubectl import Kubectl

pytestmark = pytest.mark.e2e

NS = "clockwork-migrations"
RELEASE = "clockwork"
N = names(RELEASE)
JOB_VALUES = {"migration": {"strategy": "job", "hookDeletePolicy": "before-hook-creation"},
              "namespace": {"create": False}}


def test_c_migrations(releases: Releases, watch: Releases, kube: Kube, kubectl: Kubectl,
                      external_postgres: ExternalPostgres) -> None:
    pg = external_postgres
    url_job = pg.create_database("clockwork_c_job")
    rel = releases.new(RELEASE, NS)  # values.yaml defaults: external PostgreSQL, existing Secret
    kubectl.create_namespace(NS)
    kubectl.create_secret_generic(N["secret"], NS, {"DATABASE_URL": url_job})

    # 1. Job strategy
    rel.install(JOB_VALUES, create_namespace=False)
    kube.wait_job_complete(N["job"], NS, timeout=60)  # kubectl wait --for=condition=complete job/…
    job_pods = kube.job_pods(N["job"], NS)
    assert job_pods, f"job/{N['job']} has no pod to read the log from"
    assert_goose_applied(kube.logs(job_pods[-1].metadata.name, NS, "migrate"), f"job/{N['job']}")
    assert pg.psql("clockwork_c_job", "SELECT max(version_id) FROM goose_db_version") == "2"
    kube.wait_deployment_available(N["deployment"], NS, timeout=180)
    serving = kube.live_pods(NS, server_selector(RELEASE))
    before = {p.metadata.name: restart_count(p, "server") for p in serving}
    revision = rel.revision()

    # 2. failing migration: helm upgrade fails, the previous release keeps serving
    failing = {**JOB_VALUES, "configMap": {"values": {"migrationsDir": "server/migrations-failing"}}}
    with pytest.raises(HelmError) as err:
        rel.upgrade(failing, timeout="2m")
    message = str(err.value)
    assert "pre-upgrade" in message or N["job"] in message, (
        f"helm upgrade failed, but not on the hook: {message}")
    job_log = "\n".join(kube.logs(p.metadata.name, NS, "migrate") for p in kube.job_pods(N["job"], NS))
    assert "00099_fail.sql" in job_log, f"the failing migration did not run; job log:\n{job_log[-1500:]}"
    kube.wait_job_failed(N["job"], NS, timeout=30)
    assert pg.psql("clockwork_c_job", "SELECT max(version_id) FROM goose_db_version") == "2", "schema changed"
    assert pg.psql("clockwork_c_job", "SELECT to_regclass('clockwork_failed_migration_probe') IS NULL") == "t"
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
        assert_goose_applied(migration_log_from_init(kube, NS, pod), f"pod {pod.metadata.name} [migrate]")
    assert pg.psql("clockwork_c_init", "SELECT max(version_id) FROM goose_db_version") == "2"
