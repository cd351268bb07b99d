"""The result model every stage produces and every writer reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"  # fails the gate
    WARNING = "warning"  # reported; fails only with fail-on-warn
    NOTE = "note"  # informational (e.g. an honoured policy exemption)


@dataclass(frozen=True)
class Finding:
    """One problem, traced to the scenario, object, template file and values keys."""

    stage: str  # "assertions", "k8s-schema", "values-schema", "policy", "snapshot", "render", ...
    rule: str  # assertion type, schema keyword, policy id (CLK-SEC-001), ...
    message: str
    severity: Severity = Severity.ERROR
    scenario: str = ""
    object: str = ""  # Kind/name
    template: str = ""  # chart-relative template file, e.g. templates/deployment.yaml
    path: str = ""  # field path inside the object (or values key for values-schema)
    values_keys: tuple[str, ...] = ()  # values keys likely responsible
    expected: Any = None
    actual: Any = None

    def location(self) -> str:
        parts = [p for p in (self.object, self.template and f"({self.template})", self.path) if p]
        return " ".join(parts)

    def render(self) -> str:
        lines = [f"[{self.stage}] {self.rule}: {self.message}"]
        if self.location():
            lines.append(f"  at {self.location()}")
        if self.values_keys:
            lines.append(f"  values: {', '.join(self.values_keys)}")
        if self.expected is not None or self.actual is not None:
            lines.append(f"  expected: {self.expected!r}")
            lines.append(f"  actual:   {self.actual!r}")
        return "\n".join(lines)


@dataclass
class StageResult:
    """The outcome of one stage on one scenario (one pytest item, one JUnit testcase)."""

    stage: str
    scenario: str
    findings: list[Finding] = field(default_factory=list)
    duration: float = 0.0
    skipped: str = ""  # reason, when the stage does not apply to this scenario

    @property
    def failed(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def status(self) -> str:
        if self.skipped:
            return "skipped"
        return "failed" if self.failed else "passed"


@dataclass
class Report:
    """All stage results of one gate run."""

    results: list[StageResult] = field(default_factory=list)
    duration: float = 0.0

    @property
    def failed(self) -> bool:
        return any(r.failed for r in self.results)

    def counts(self) -> dict[str, int]:
        out = {"passed": 0, "failed": 0, "skipped": 0}
        for r in self.results:
            out[r.status] += 1
        return out

    def findings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings]
