"""The clockwork end-to-end stage on a real (air-gapped) kind cluster.

Building blocks for ``tests/e2e/clockwork``: the contract-double and load-generator
images (:mod:`.images`), Helm releases driven through :mod:`chartgate.tools.helm`
(:mod:`.release`), the bounded in-cluster request loop (:mod:`.loadgen`), failure
diagnostics and artifacts (:mod:`.diagnostics`), and the pytest fixtures tying them to
the session's cluster (:mod:`.fixtures`).

Environment:
  CLOCKWORK_E2E_IMAGE        run the stage against this (real) clockwork image instead of
                             the contract double built from tests/e2e/app (repo:tag).
  CLOCKWORK_E2E_IMAGE_NEXT   required with CLOCKWORK_E2E_IMAGE: a second, different image
                             (the rolling update, `kubectl set image` and rollback go
                             between the two); missing or equal: fails under CI=true,
                             skips elsewhere.
  CHARTGATE_E2E_KUBECONFIG   use this running cluster (e.g. from `chartgate cluster up`)
                             instead of the session cluster fixture — reuse between runs.
  CHARTGATE_E2E_REUSE=1      `chartgate cluster up --name $CHARTGATE_CLUSTER` (idempotent) instead of
                             the session fixture's fresh cluster; the cluster is kept afterwards.
  CHARTGATE_CLUSTER          kind cluster name to load images into (default chartgate-e2e).
  CHARTGATE_E2E_CHART        test this chart directory instead of deploy/helm/clockwork.
  CHARTGATE_E2E_HELM_TIMEOUT helm --wait timeout of installs/upgrades/rollbacks (default 4m).
  CHARTGATE_E2E_UPGRADE_FROM git ref of the chart the upgrade journey installs first
                             (default: the newest commit whose Chart.yaml version differs
                             from the working tree's, see chartgate.e2e.history).
  CHARTGATE_E2E_ARTIFACTS    where failure diagnostics go (default: <rootdir>/.e2e-artifacts).
  CI=true                    a missing prerequisite fails instead of skipping.
"""
