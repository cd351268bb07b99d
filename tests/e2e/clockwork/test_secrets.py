"""Journeys d and f — the app Secret (``DATABASE_URL``) made by the chart, and named but
missing.

d. **Created Secret** (deploy/README.md, "Existing PostgreSQL": let the chart build the
   Secret from the host), the documented command

       helm install clockwork ./deploy/helm/clockwork -n clockwork --create-namespace \
           --set secret.create=true --set postgresql.host=db.example.com --set postgresql.password=CHANGE_ME \
           --set postgresql.sslmode=require

   with the parts pointing at a real PostgreSQL outside the cluster (testcontainers on
   kind's docker network): later ``--set``s give its host, a role of its own
   (``postgresql.username``) with a password of its own, its database and
   ``sslmode=disable`` (the container has no TLS). Namespace ``clockwork-secret-created``.
   The migration Job (a ``pre-install`` hook) reads the Secret's hook copy
   ``clockwork-secrets-migration``, the server the release's ``clockwork-secrets``: both
   must reach that database — goose's schema is in it, and rows written through the API
   land in it.
f. **Missing named Secret**: the development install naming a Secret that does not exist
   (``--set secret.name=existing-secret-typo``, the misspelling an operator makes) must
   fail within the helm timeout with a message naming the Secret — not succeed and quietly
   run on the in-cluster database. Namespace ``clockwork-secret-missing``.
"""

from __future__ import annotations

import base64
import secrets
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from contract import CHART_PATH, assert_goose_applied, migration_log, names, server_selector
from external_db import ExternalPostgres

from chartgate.e2e import http
from chartgate.e2e.docs import HelmCommand, documented_helm
from chartgate.e2e.http import get_ok
from chartgate.e2e.release import ReleaseError, Releases
from chartgate.tools.helm import HelmError
from chartgate.tools.kube import Kube, ObjRef, pod_ready
from chartgate.tools.kubectl import Kubectl

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_seconds(27)]  # xdist hands out long files first

N = names("clockwork")
CREATED_NS = "clockwork-secret-created"
MISSING_NS = "clockwork-secret-missing"
CREATE_CMD = ("helm install clockwork ./deploy/helm/clockwork -n clockwork --create-namespace "
              "--set secret.create=true")
DEV_INSTALL = ("helm install clockwork ./deploy/helm/clockwork -f deploy/helm/clockwork/values-dev.yaml "
               "-n clockwork")
TYPO = "existing-secret-typo"
MISSING_TIMEOUT, MISSING_SECONDS = "2m", 120  # the helm timeout the missing-Secret install must fail within


def _documented(root: Path, prefix: str) -> HelmCommand:
    return documented_helm([root / "deploy" / "README.md"], prefix, CHART_PATH)


def _env_from(containers: list) -> list[tuple[str, str, bool]]:
    out = []
    for c in containers:
        for e in c.env_from or []:
            if e.secret_ref:
                out.append(("secret", e.secret_ref.name, bool(e.secret_ref.optional)))
            elif e.config_map_ref:
                out.append(("configmap", e.config_map_ref.name, bool(e.config_map_ref.optional)))
    return out


def test_d_created_secret(request: pytest.FixtureRequest, releases: Releases, watch: Releases, kube: Kube,
                          kubectl: Kubectl, external_postgres: ExternalPostgres) -> None:
    pg = external_postgres
    role, db = "clockwork_d", "clockwork_d"
    password = f"pw.{secrets.token_hex(8)}~x-y_z"  # the schema allows URL-unreserved characters only
    pg.psql("postgres", f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    pg.psql("postgres", f'CREATE DATABASE "{db}" OWNER {role}')
    pg.databases.append(db)

    cmd = _documented(Path(str(request.config.rootpath)), CREATE_CMD)
    rel = releases.new(cmd.release, CREATED_NS, cmd.values_files)
    rel.install(create_namespace=cmd.create_namespace, extra=cmd.set_args(
        f"postgresql.host={pg.ip}", f"postgresql.port={pg.port}", f"postgresql.username={role}",
        f"postgresql.password={password}", f"postgresql.database={db}", "postgresql.sslmode=disable"))

    # The chart's Secret holds the URL composed from the parts.
    sec = kube.get(ObjRef("Secret", N["secret"], CREATED_NS))
    assert (sec.metadata.labels or {}).get("app.kubernetes.io/managed-by") == "Helm", (
        f"Secret {N['secret']} is not the release's: labels {sec.metadata.labels}")
    url = urlsplit(base64.b64decode(sec.data["DATABASE_URL"]).decode())
    got = (url.scheme, unquote(url.username or ""), unquote(url.password or ""), url.hostname, url.port,
           url.path, parse_qs(url.query).get("sslmode"))
    assert got == ("postgres", role, password, pg.ip, pg.port, f"/{db}", ["disable"]), (
        f"DATABASE_URL of Secret {N['secret']} is not composed from the postgresql.* parts: "
        f"{(got[0], got[1], '***', *got[3:])}")

    # The migration Job read the hook copy and migrated the external database; the copy is
    # deleted once the hook succeeded.
    job = kube.get(ObjRef("Job", N["job"], CREATED_NS))
    hook = (job.metadata.annotations or {}).get("helm.sh/hook", "")
    assert "pre-install" in hook, f"job/{N['job']} hook events: {hook!r}"
    job_secrets = {name for kind, name, _ in _env_from(job.spec.template.spec.containers) if kind == "secret"}
    assert job_secrets == {f"{N['secret']}-migration"}, (
        f"job/{N['job']} should read the Secret's hook copy {N['secret']}-migration, reads {job_secrets}")
    kube.wait_gone(ObjRef("Secret", f"{N['secret']}-migration", CREATED_NS), timeout=30)
    assert_goose_applied(migration_log(kube, CREATED_NS, cmd.release, []), "the migration Job")
    assert pg.psql(db, "SELECT max(version_id) FROM goose_db_version") == "2", (
        f"goose did not migrate database {db} on {pg.ip}")

    # The server reads the release's Secret (not optional) and serves from the same database.
    kube.wait_deployment_available(N["deployment"], CREATED_NS, timeout=120)
    dep = kube.get(ObjRef("Deployment", N["deployment"], CREATED_NS))
    refs = _env_from(dep.spec.template.spec.containers)
    assert ("secret", N["secret"], False) in refs, f"server envFrom: {refs}"
    name = f"created-secret-{uuid.uuid4().hex[:8]}"
    with kubectl.port_forward(f"service/{N['service']}", CREATED_NS, 80, 8080) as pf:
        health = get_ok(pf.url, "/api/health").json()
        assert health.get("database") == "ok", f"/api/health: {health}"
        r = http.post(pf.url + "/api/projects", {"name": name})
        assert r.status == 201, f"POST /api/projects -> {r.status}: {r.body}"
    assert pg.psql(db, f"SELECT count(*) FROM projects WHERE name = '{name}'") == "1", (
        f"the project written through the API is not in database {db} on {pg.ip}")
    print(f"helm operations: {rel.timings()}")


def test_f_missing_named_secret(request: pytest.FixtureRequest, releases: Releases, watch: Releases,
                                kube: Kube) -> None:
    cmd = _documented(Path(str(request.config.rootpath)), DEV_INSTALL)
    rel = releases.new(cmd.release, MISSING_NS, cmd.values_files)
    t0 = time.monotonic()
    try:
        rel.install(create_namespace=cmd.create_namespace, timeout=MISSING_TIMEOUT,
                    extra=cmd.set_args(f"secret.name={TYPO}"))
    except ReleaseError as exc:
        failure = exc
    else:
        pods = kube.live_pods(MISSING_NS, server_selector(cmd.release))
        ready = [p.metadata.name for p in pods if pod_ready(p)]
        dep = kube.get(ObjRef("Deployment", N["deployment"], MISSING_NS))
        pytest.fail(f"helm install naming the missing Secret {TYPO} succeeded in "
                    f"{time.monotonic() - t0:.0f}s: Ready server pods {ready}, server envFrom "
                    f"{_env_from(dep.spec.template.spec.containers)} — the server runs on another "
                    f"database instead of stopping the rollout", pytrace=False)
    elapsed = time.monotonic() - t0
    cause = failure.__cause__
    helm_said = cause.message if isinstance(cause, HelmError) else failure.message
    print(f"install failed after {elapsed:.0f}s; helm: {helm_said[:600]}")
    assert elapsed < MISSING_SECONDS + 30, (
        f"the install took {elapsed:.0f}s to fail (helm timeout {MISSING_TIMEOUT})")
    assert TYPO in str(failure), f"the install failure does not name the Secret {TYPO}:\n{failure}"
    pods = kube.live_pods(MISSING_NS, server_selector(cmd.release))
    serving = [p.metadata.name for p in pods if pod_ready(p)]
    assert not serving, f"server pods became Ready without Secret {TYPO}: {serving}"
