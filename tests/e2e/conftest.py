"""e2e fixtures: the air-gapped kind cluster.

Under ``CI=true`` a missing prerequisite (docker engine, node image, kind) FAILS the run;
elsewhere it skips. Images come from ``chartgate airgap build`` (tox -e e2e runs it first).
``CHARTGATE_E2E_KEEP=1`` keeps the shared cluster after the session (local debugging).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chartgate.airgap import cluster, images
from chartgate.airgap.config import node_image, selected_node_image
from chartgate.e2e.timings import (  # noqa: F401  (hooks: stage timings, also under xdist)
    pytest_sessionfinish,
    pytest_terminal_summary,
    pytest_testnodedown,
)
from chartgate.util.ci import in_ci

IN_CI = in_ci()


def missing_prerequisite(reason: str) -> None:
    """Fail under CI (a missing prerequisite is a broken pipeline), skip elsewhere."""
    if IN_CI:
        pytest.fail(f"e2e prerequisite missing under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


def check_prerequisites() -> None:
    from chartgate.tools import bootstrap, docker

    try:
        if not docker.engine_running():
            missing_prerequisite("no docker engine answers (run `chartgate airgap build`)")
    except docker.DockerUnavailable as exc:
        missing_prerequisite(str(exc))
    image = selected_node_image()
    if image == node_image() and not docker.image_exists(image):
        missing_prerequisite(f"node image {image} not built (run `chartgate airgap build`)")
    try:
        bootstrap.binary("kind")
    except bootstrap.ToolMissing as exc:
        missing_prerequisite(str(exc))


def start_cluster(name: str, load: list[str]) -> Path:
    check_prerequisites()
    return cluster.up(name, load=load, recreate=True)


def stop_cluster(name: str) -> dict[str, list[str]]:
    return cluster.down(name)


@pytest.fixture(scope="session")
def kind_cluster() -> Iterator[Path]:
    """A shared cluster (name ``$CHARTGATE_CLUSTER`` or ``chartgate-e2e``) with the
    PostgreSQL image loaded; deleted at the end of the session, and the session errors if
    that leaves containers, volumes or networks behind."""
    name = os.environ.get("CHARTGATE_CLUSTER", "chartgate-e2e")
    kubeconfig = start_cluster(name, [images.postgres_tag()])
    yield kubeconfig
    if os.environ.get("CHARTGATE_E2E_KEEP") == "1":
        return
    left = {k: v for k, v in stop_cluster(name).items() if v}
    assert not left, f"cluster down left behind {left}"


@pytest.fixture(scope="session")
def smoke_image() -> str:
    """busybox (httpd/wget) on the local Debian base, built with build_image_from_dir."""
    check_prerequisites()
    return images.build_image_from_dir(Path(__file__).parent / "smoke-image",
                                       "chartgate.local/smoke-http:1")
