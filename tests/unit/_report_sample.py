"""A small Report shared by the report-writer tests."""

from __future__ import annotations

from chartgate.report.model import Finding, Report, Severity, StageResult


def sample_report() -> Report:
    eq = Finding(stage="assertions", rule="equal", message="expected 3, got 2", scenario="prod",
                 object="Deployment/clockwork-server", template="templates/deployment.yaml",
                 path="spec.replicas", expected=3, actual=2)
    unknown = Finding(stage="k8s-schema", rule="additionalProperties", message="unknown field 'resource'",
                      scenario="prod", object="Deployment/clockwork-server",
                      template="templates/deployment.yaml", path="spec.template.spec.containers[0].resource")
    warn = Finding(stage="values-schema", rule="no-schema", message="no values.schema.json",
                   severity=Severity.WARNING, scenario="dev")
    note = Finding(stage="snapshot", rule="written", message="snapshot written", severity=Severity.NOTE,
                   scenario="dev", template="/repo/tests/snapshots/dev.yaml")
    return Report(results=[
        StageResult("assertions", "prod", [eq], 0.01),
        StageResult("k8s-schema", "prod", [unknown], 0.02),
        StageResult("assertions", "dev", [], 0.01),
        StageResult("values-schema", "dev", [warn], 0.0),
        StageResult("snapshot", "dev", [note], 0.0),
        StageResult("k8s-schema", "dev", [], 0.0, skipped="scenario does not run k8s-schema"),
    ], duration=1.5)
