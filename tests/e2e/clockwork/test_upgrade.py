"""Journey b — upgrade from the last release, as an operator does it:

    kubectl create secret generic clockwork-db --from-literal=DATABASE_URL='…' -n clockwork-upgrade
    helm install clockwork <last release's chart> -f values-dev.yaml -n clockwork-upgrade \
        --set postgresql.enabled=false --set secret.name=clockwork-db
    … the application writes data …
    helm upgrade clockwork ./deploy/helm/clockwork -f deploy/helm/clockwork/values-dev.yaml \
        -n clockwork-upgrade --set postgresql.enabled=false --set secret.name=clockwork-db

The last release is the chart at the newest commit whose ``Chart.yaml`` ``version``
differs from the working tree's (:mod:`chartgate.e2e.history`, extracted from git);
``CHARTGATE_E2E_UPGRADE_FROM=REF`` chooses another ref. Each chart is used with its own
``values-dev.yaml`` (the file the operator's command names at that version) and the same
overrides; the image does not change — the chart does. What chart-testing's ``ct install
--upgrade`` does, plus traffic and data:

* the upgrade runs under the request loop (:mod:`chartgate.e2e.loadgen`: kept-alive
  connections, a share of POST writes) from before the ``helm upgrade`` until every
  server pod of the old release is gone: 0 failed requests of ≥ 500 inside that window,
  and every row the loop wrote read back afterwards;
* a project and category written through the API before the upgrade are still readable;
* migrations ran once: goose's version table records every version exactly once, the
  same versions as before the upgrade (the pre-upgrade migration Job found nothing to do).

The database is PostgreSQL outside the cluster, named by the operator's Secret — the
production topology (values-prod.yaml uses an existing Secret too). Overrides, and why:
``postgresql.enabled=false`` + ``secret.name`` (an external database instead of the
development-only in-cluster one: a single PostgreSQL pod whose template changes between
chart versions restarts during the upgrade, and no client can be served while it does —
chart 0.1.0 → 0.2.0 is such a change, documented in deploy/README.md "Upgrade"; it was
this journey that found it), ``deployment.replicas=2`` (a rolling update needs a pod to
keep serving), the readiness probe checking every second from the start (the journey is not
about probe timings: the rollout is the same, without idle seconds between probes; the loop
runs at 100 requests/s so the shorter window still holds ≥ 500), the stage's images.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from contract import (
    assert_migrated_once,
    assert_project_readable,
    goose_versions,
    names,
    server_selector,
    write_project,
)
from double import AppImages
from external_db import ExternalPostgres
from rollouts import FAST_READINESS, LOOP_RATE

from chartgate.e2e import history
from chartgate.e2e.loadgen import RequestLoop, assert_clean_rollout, cover_rollout
from chartgate.e2e.release import Releases
from chartgate.e2e.settings import Settings
from chartgate.tools.kube import Kube
from chartgate.tools.kubectl import Kubectl
from chartgate.util.merge import deep_merge

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_seconds(65)]  # xdist hands out long files first

NS = "clockwork-upgrade"
RELEASE = "clockwork"
N = names(RELEASE)
VALUES_FILE = "values-dev.yaml"
MIN_REQUESTS = 500  # inside the rollout window
SERVICE = f"http://{N['service']}.{NS}.svc"
SECRET = "clockwork-db"
DATABASE = "clockwork_upgrade"
OVERRIDES = ["--set", "postgresql.enabled=false", "--set", f"secret.name={SECRET}"]


def test_b_upgrade_from_last_release(releases: Releases, watch: Releases, kube: Kube, kubectl: Kubectl,
                                     chart_dir: Path, e2e_settings: Settings, app_imgs: AppImages,
                                     loadgen_image: str, external_postgres: ExternalPostgres) -> None:
    prev = history.previous_chart(chart_dir, e2e_settings.upgrade_from)
    current = history.chart_version(chart_dir)
    print(f"upgrade from {prev.how}: chart {prev.version} ({prev.chart}) → {current} ({chart_dir})")
    for chart in (prev.chart, chart_dir):
        assert (chart / VALUES_FILE).is_file(), f"{chart} has no {VALUES_FILE} to install it with"

    pg = external_postgres
    db_url = pg.create_database(DATABASE)
    values = deep_merge(FAST_READINESS, {"deployment": {"replicas": 2}})
    rel = releases.new(RELEASE, NS, (VALUES_FILE,), values)
    rel.chart, rel.values_files = prev.chart, [str(prev.chart / VALUES_FILE)]
    kubectl.create_namespace(NS)
    kubectl.create_secret_generic(SECRET, NS, {"DATABASE_URL": db_url})
    rel.install(create_namespace=False, extra=OVERRIDES)
    kube.wait_deployment_available(N["deployment"], NS, timeout=180)

    def query(sql: str) -> str:
        return pg.psql(DATABASE, sql)

    before = goose_versions(query)
    assert_migrated_once(before, f"after installing chart {prev.version}",
                         at_least=2 if app_imgs.double else 1)
    with kubectl.port_forward(f"service/{N['service']}", NS, 80, 8080) as pf:
        project, category = write_project(pf.url, "before-upgrade", "written before the upgrade")

    # helm upgrade clockwork ./deploy/helm/clockwork -f deploy/helm/clockwork/values-dev.yaml, under traffic
    rel.chart, rel.values_files = chart_dir, [str(chart_dir / VALUES_FILE)]
    old_pods = {p.metadata.name for p in kube.live_pods(NS, server_selector(RELEASE))}
    loop = RequestLoop(kube, NS, loadgen_image, f"{SERVICE}/api/health", write_url=f"{SERVICE}/api/projects",
                       name="upgrade", rate=LOOP_RATE)
    with loop:
        res, rollout = cover_rollout(loop, kube, N["deployment"], NS, server_selector(RELEASE),
                                     lambda: rel.upgrade(extra=OVERRIDES))
    new_pods = {p.metadata.name for p in kube.live_pods(NS, server_selector(RELEASE))}
    assert not old_pods & new_pods, (
        f"the upgrade from {prev.how} rolled no server pod (still {sorted(old_pods & new_pods)}): "
        f"nothing was proven under traffic; choose a ref with another chart (CHARTGATE_E2E_UPGRADE_FROM)")
    assert_clean_rollout(res, rollout, f"helm upgrade {prev.version} → {current}", MIN_REQUESTS)

    with kubectl.port_forward(f"service/{N['service']}", NS, 80, 8080) as pf:
        assert_project_readable(pf.url, project, category, "after the upgrade")
    after = goose_versions(query)
    assert_migrated_once(after, "after the upgrade", at_least=max(before, default=1), before=before)
    deployed = [h for h in rel.history() if h["status"] == "deployed"]
    assert deployed and deployed[-1].get("chart") == f"clockwork-{current}", (
        f"helm history after the upgrade: {rel.history()}")
