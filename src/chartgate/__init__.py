"""chartgate: render a Helm chart once per scenario, then gate it (assertions,
Kubernetes schemas, values schema, policies, snapshots, helm-unittest, kind e2e)."""

__version__ = "0.1.0"
