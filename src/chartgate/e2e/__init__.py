"""End-to-end tests of a Helm chart on a real kind cluster, as a pytest library.

Any chart's tests load the fixtures with ``pytest_plugins = ["chartgate.e2e.fixtures"]``
in their top-level ``conftest.py`` (see :mod:`.fixtures` for the list): a kind cluster
from the air-gapped or the stock node image, or an existing kubeconfig; a Helm release
per test in its own namespace (:mod:`.release`); wall-clock waits (:mod:`.waits`, and
:class:`chartgate.tools.kube.Kube`'s); diagnostics of every watched namespace on failure
(:mod:`.diagnostics`); and the bounded in-cluster request loop as a reusable Job
(:mod:`.loadgen`). Also: loopback HTTP checks (:mod:`.http`), helm commands read from a
chart's docs (:mod:`.docs`), the chart at its last release for upgrade journeys
(:mod:`.history`), per-stage timings (:mod:`.timings`). What is particular to one chart
(this repository's clockwork contract double, its checks) lives with that chart's tests
(``tests/e2e/clockwork``).

Environment:
  CHARTGATE_E2E_KUBECONFIG   use this running cluster instead of creating one.
  CHARTGATE_E2E_REUSE=1      `chartgate cluster up --name $CHARTGATE_CLUSTER` (idempotent) instead of
                             a fresh cluster per session; the cluster is kept afterwards.
  CHARTGATE_CLUSTER          kind cluster name (default chartgate-e2e).
  CHARTGATE_KIND_NODE_IMAGE  `stock` for kind's published node image (needs a registry);
                             default: the air-gapped node image (`chartgate airgap build`).
  CHARTGATE_E2E_KEEP=1       keep a cluster the session created.
  CHARTGATE_E2E_CHART        the chart releases install unless a test names another.
  CHARTGATE_E2E_HELM_TIMEOUT helm --wait timeout of installs/upgrades/rollbacks (default 4m).
  CHARTGATE_E2E_UPGRADE_FROM git ref of the chart an upgrade journey installs first
                             (default: the newest commit whose Chart.yaml version differs
                             from the working tree's, see chartgate.e2e.history).
  CHARTGATE_E2E_ARTIFACTS    where failure diagnostics go (default: <rootdir>/.e2e-artifacts).
  CI=true                    a missing prerequisite fails instead of skipping.
"""
