"""This repository's e2e fixtures beyond :mod:`chartgate.e2e.fixtures` (registered with
``pytest_plugins`` in ``tests/conftest.py``): the cluster smoke test's workload image.

The cluster itself comes from the library (``e2e_kubeconfig``): under ``CI=true`` a
missing prerequisite (docker engine, node image, kind) FAILS the run; elsewhere it skips.
Images come from ``chartgate airgap build`` (tox -e e2e runs it first).
``CHARTGATE_E2E_KEEP=1`` keeps a cluster the session created.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chartgate.e2e.fixtures import LocalImages

SMOKE_IMAGE = Path(__file__).parent / "smoke-image"


@pytest.fixture(scope="session")
def smoke_image(local_images: LocalImages) -> str:
    """busybox (httpd/wget) on the local Debian base, loaded into the cluster."""
    return local_images.build(SMOKE_IMAGE, "chartgate.local/smoke-http:1")
