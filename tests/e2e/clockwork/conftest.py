"""The clockwork e2e scenarios (issue 6, part 3): fixtures and failure diagnostics come
from :mod:`chartgate.e2e.fixtures`; the cluster from ``tests/e2e/conftest.py``
(``kind_cluster``), from ``CHARTGATE_E2E_REUSE=1`` (a cluster created beforehand, shared by
pytest-xdist workers) or from ``CHARTGATE_E2E_KUBECONFIG``."""

from chartgate.e2e.fixtures import *  # noqa: F403
