"""Fixtures of the clockwork scenarios, on top of :mod:`chartgate.e2e.fixtures` (loaded
with ``pytest_plugins`` in ``tests/conftest.py``): the chart (``deploy/helm/clockwork``
unless ``CHARTGATE_E2E_CHART``), the server images (the contract double from
``tests/e2e/app``, or ``CLOCKWORK_E2E_IMAGE`` + ``CLOCKWORK_E2E_IMAGE_NEXT``) and the
PostgreSQL image set on every release, the chart's ``namespace.name`` value, what a failed
helm command explains (the server Deployment's diagnostics), and an external PostgreSQL.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from contract import names
from double import AppImages, RealImages, app_images
from external_db import ExternalPostgres, Shared

from chartgate import cache
from chartgate.e2e.fixtures import LocalImages
from chartgate.e2e.release import ReleaseOptions
from chartgate.e2e.settings import Settings, missing
from chartgate.tools.kube import Kube, ObjRef

CHART = Path(__file__).resolve().parents[3] / "deploy" / "helm" / "clockwork"


@pytest.fixture(scope="session")
def chart_dir(e2e_settings: Settings) -> Path:
    path = e2e_settings.chart or CHART
    if not (path / "Chart.yaml").exists():
        missing(f"no chart at {path}")
    return path


@pytest.fixture(scope="session")
def app_imgs(local_images: LocalImages) -> AppImages:
    """The server images (contract double v1/v2, or CLOCKWORK_E2E_IMAGE + _NEXT), loaded into kind."""
    real = RealImages.from_env()
    problem = real.problem()  # the real-image mode needs two different images
    if problem:
        missing(problem)
    return local_images.provide("clockwork server images", lambda: app_images(real), lambda imgs: imgs.all)


@pytest.fixture(scope="session")
def postgres_image(local_images: LocalImages) -> str:
    """The air-gapped PostgreSQL image (preloaded in the air-gapped node image; loaded
    into a cluster from another node image)."""
    from chartgate.airgap import images

    return local_images.provide("PostgreSQL image", images.postgres_tag, lambda tag: [tag])


@pytest.fixture(scope="session")
def env_values(app_imgs: AppImages, postgres_image: str) -> dict[str, Any]:
    """What every release of the stage sets on top of the docs' values files: the local
    images. PostgreSQL runs as the chart's default non-root uid (the air-gapped image
    supports an arbitrary uid through nss_wrapper, like the official image)."""
    repo, tag = AppImages.split(app_imgs.v1)
    pg_repo, pg_tag = AppImages.split(postgres_image)
    return {
        "deployment": {"image": {"repository": repo, "tag": tag, "pullPolicy": "IfNotPresent"}},
        "postgresql": {"image": {"repository": pg_repo, "tag": pg_tag, "pullPolicy": "IfNotPresent"}},
    }


def _explain(kube: Kube, release: str, namespace: str) -> str:
    return kube.diagnose(ObjRef("Deployment", names(release)["deployment"], namespace))


@pytest.fixture(scope="session")
def release_options(env_values: dict[str, Any]) -> ReleaseOptions:
    # the chart puts objects in namespace.name ("use the same value as helm -n")
    return ReleaseOptions(values=env_values, namespace_values=lambda ns: {"namespace": {"name": ns}},
                          explain=_explain)


def _start_postgres(image: str, name: str) -> ExternalPostgres:
    """A testcontainers PostgreSQL (the air-gapped image, Ryuk disabled — it would come
    from Docker Hub) named ``name`` on kind's docker network, once it accepts connections."""
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:
        from testcontainers.postgres import PostgresContainer
    password = secrets.token_hex(12)
    pg = PostgresContainer(image, username="clockwork", password=password, dbname="postgres", driver=None)
    pg.with_name(name).with_kwargs(network="kind")
    try:
        pg.start()
    except Exception as exc:
        with contextlib.suppress(Exception):
            pg.stop()
        missing(f"cannot start the external PostgreSQL container: {exc}")
        raise
    wrapped = pg.get_wrapped_container()
    wrapped.reload()
    ip = wrapped.attrs["NetworkSettings"]["Networks"]["kind"]["IPAddress"]
    return ExternalPostgres(name, ip, "clockwork", password)


@pytest.fixture(scope="session")
def external_postgres(request: pytest.FixtureRequest, e2e_kubeconfig: str,
                      postgres_image: str) -> Iterator[ExternalPostgres]:
    """PostgreSQL outside the cluster, on kind's docker network, reached by pods at its IP
    there: one container per pytest session, shared by its xdist workers (each scenario makes
    databases of its own; see :class:`external_db.Shared`), removed by the last worker."""
    workerinput = getattr(request.config, "workerinput", {})
    session = str(workerinput.get("testrunuid") or secrets.token_hex(6))[:12]
    worker = str(workerinput.get("workerid") or "main")
    name = f"chartgate-e2e-pg-{session}"
    shared = Shared(cache.subdir("e2e", "external-postgres") / f"{session}.json")
    with cache.locked(f"external-postgres-{session}"):
        pg = shared.join(worker, lambda: _start_postgres(postgres_image, name))
    try:
        yield pg
    finally:
        with cache.locked(f"external-postgres-{session}"):
            shared.leave(worker)
