"""Scenario b — deployment with existing resources (deployment plan step 13, verbatim):

    kubectl create namespace clockwork-test
    kubectl create configmap existing-config --from-literal=PORT=8080 -n clockwork-test
    kubectl create secret generic existing-secret --from-literal=DATABASE_URL='...' -n clockwork-test
    helm install clockwork-test ./deploy/helm/clockwork -f deploy/helm/clockwork/values-dev.yaml \
        --set namespace.create=false --set namespace.name=clockwork-test \
        --set configMap.create=false --set configMap.name=existing-config \
        --set secret.name=existing-secret -n clockwork-test
    helm uninstall clockwork-test -n clockwork-test

with PostgreSQL outside the cluster (testcontainers on kind's docker network), so the
install adds ``--set postgresql.enabled=false``. The ConfigMap holds only PORT: the server
must run on its defaults for everything else. With a real image (``CLOCKWORK_E2E_IMAGE``)
that is shown through the contract (static assets at ``/``, migrations from the default
directory in goose's version table, data in the external database), not through the
contract double's startup log line.
"""

from __future__ import annotations

import re
import uuid

import pytest
from contract import (
    assert_goose_applied,
    assert_migrated_once,
    goose_versions,
    migration_log,
    names,
    server_selector,
)
from double import AppImages
from external_db import ExternalPostgres

from chartgate.e2e import http
from chartgate.e2e.http import get_ok
from chartgate.e2e.release import Releases
from chartgate.tools.kube import Kube, ObjRef
from chartgate.tools.kubectl import Kubectl

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_seconds(32)]  # xdist hands out long files first

NS = "clockwork-test"
RELEASE = "clockwork-test"
N = names(RELEASE)
PLAN_SET = ["--set", "namespace.create=false", "--set", f"namespace.name={NS}",
            "--set", "configMap.create=false", "--set", "configMap.name=existing-config",
            "--set", "secret.name=existing-secret"]


def test_b_existing_resources(releases: Releases, watch: Releases, kube: Kube, kubectl: Kubectl,
                              external_postgres: ExternalPostgres, app_imgs: AppImages) -> None:
    pg = external_postgres
    db_url = pg.create_database("clockwork_b")
    rel = releases.new(RELEASE, NS, ("values-dev.yaml",))
    kubectl.create_namespace(NS)
    kubectl.create_configmap("existing-config", NS, {"PORT": "8080"})
    kubectl.create_secret_generic("existing-secret", NS, {"DATABASE_URL": db_url})

    rel.install(create_namespace=False,
                extra=[*PLAN_SET, "--set", "postgresql.enabled=false"])
    kube.wait_deployment_available(N["deployment"], NS, timeout=240)

    # The pod's environment really comes from the existing ConfigMap and Secret …
    dep = kube.get(ObjRef("Deployment", N["deployment"], NS))
    server = next(c for c in dep.spec.template.spec.containers if c.name == "server")
    refs = {(("cm", e.config_map_ref.name) if e.config_map_ref else ("secret", e.secret_ref.name))
            for e in server.env_from or []}
    assert refs == {("cm", "existing-config"), ("secret", "existing-secret")}, f"server envFrom: {refs}"
    # … and the chart created none of its own.
    for ref in (ObjRef("ConfigMap", N["configmap"], NS), ObjRef("Secret", N["secret"], NS),
                ObjRef("StatefulSet", N["postgresql"], NS)):
        assert not kube.exists(ref), f"{ref} was created although the existing resources were given"
    ns_meta = kube.get(ObjRef("Namespace", NS)).metadata
    assert "meta.helm.sh/release-name" not in (ns_meta.annotations or {}), (
        "the release took over the namespace")

    # Only PORT was configured: the server runs on its defaults for the rest.
    pods = kube.live_pods(NS, server_selector(RELEASE))
    assert pods, "no server pods"
    pod = pods[0]
    log = kube.logs(pod.metadata.name, NS, "server")
    assert pg.password not in log, "the database password appears in the server log"
    if app_imgs.double:  # the double's startup line names its configuration
        start = next((ln for ln in log.splitlines() if "starting clockwork" in ln), "")
        assert start, f"no startup line in the server log:\n{log[-1500:]}"
        for expected in ("env=development", "port=8080", "migrations_dir=server/migrations",
                         "static_dir=client/dist"):
            assert expected in start, f"server did not start on defaults ({expected} missing): {start}"
        m = re.search(r'database_url="?postgres://[^@]+@([^:/"]+)', start)
        assert m and m.group(1) == pg.ip, (
            f"server does not use the external PostgreSQL at {pg.ip} from existing-secret: {start}")

    # Migrations (Job or initContainer, as values-dev.yaml says) went to the external database,
    # from the default MIGRATIONS_DIR.
    log = migration_log(kube, NS, RELEASE, pods)
    assert_migrated_once(goose_versions(lambda sql: pg.psql("clockwork_b", sql)), "the external database",
                         at_least=2 if app_imgs.double else 1)
    if app_imgs.double:
        assert_goose_applied(log, "the chart's migration")

    # The API writes to and reads from the external database.
    name = f"external-{uuid.uuid4().hex[:8]}"
    with kubectl.port_forward(f"service/{N['service']}", NS, 80, 8080) as pf:
        get_ok(pf.url, "/api/health")
        assert get_ok(pf.url, "/").body.strip(), "/ (STATIC_DIR default) answered 200 with an empty body"
        r = http.post(pf.url + "/api/projects", {"name": name})
        assert r.status == 201, f"POST /api/projects -> {r.status}: {r.body}"
        assert pg.psql("clockwork_b", f"SELECT count(*) FROM projects WHERE name = '{name}'") == "1", (
            "the project created through the API is not in the external database")
        pg.psql("clockwork_b", "INSERT INTO projects (name) VALUES ('written-by-psql')")
        listed = [p["name"] for p in get_ok(pf.url, "/api/projects").json()]
        assert "written-by-psql" in listed and name in listed, f"GET /api/projects: {listed}"

    # helm uninstall clockwork-test -n clockwork-test: the existing resources stay.
    rel.uninstall(timeout="2m")
    releases.made.remove(rel)
    for ref in (ObjRef("ConfigMap", "existing-config", NS), ObjRef("Secret", "existing-secret", NS),
                ObjRef("Namespace", NS)):
        assert kube.exists(ref), f"helm uninstall removed {ref}, which the chart does not own"
