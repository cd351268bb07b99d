"""The assertions stage: a scenario's ``expect`` (present / absent / count and the
assertion list) judged on its rendered manifests."""

from __future__ import annotations

from collections.abc import Mapping

from chartgate.assertions import ELSEWHERE, AssertionArgsError, evaluate, failed_template
from chartgate.render import Rendered
from chartgate.report.model import Finding, Severity
from chartgate.stages.common import render_failed


class AssertionsStage:
    name = "assertions"

    def prepare(self, rendered: Mapping[str, Rendered]) -> None:
        """Nothing to batch."""

    def check(self, rendered: Rendered) -> list[Finding]:
        scenario = rendered.scenario
        expect = scenario.expect
        findings: list[Finding] = []
        # failedTemplate judges the render itself, so it runs even when rendering failed.
        for spec in expect.assertions:
            if spec.type == "failedTemplate":
                findings += [f.to_finding(scenario.name)
                             for f in failed_template.check(rendered.error, spec.args, spec.negate)]
        if rendered.manifests is None:
            if any(s.type == "failedTemplate" for s in expect.assertions):
                return findings
            return render_failed(self.name, rendered)
        m = rendered.manifests
        have = set(m.refs())
        listing = ", ".join(sorted(have)) or "nothing"
        for ref in expect.present:
            if ref not in have:
                findings.append(Finding(stage=self.name, rule="present", scenario=scenario.name, object=ref,
                                        message=f"{ref} was expected but not rendered (rendered: {listing})"))
        for ref in expect.absent:
            if ref in have:
                doc = m.get(*ref.split("/", 1))
                findings.append(Finding(stage=self.name, rule="absent", scenario=scenario.name, object=ref,
                                        template=doc.template,
                                        message=f"{ref} must not be rendered, but {doc.template} did"))
        for kind, want in expect.count.items():
            got = len(m.by_kind(kind))
            if got != want:
                findings.append(Finding(stage=self.name, rule="count", scenario=scenario.name, object=kind,
                                        message=f"expected {want} {kind} document(s), got {got}",
                                        expected=want, actual=got))
        for i, spec in enumerate(expect.assertions):
            if spec.type == "failedTemplate":
                continue
            if spec.type in ELSEWHERE:
                findings.append(Finding(stage=self.name, rule=spec.type, scenario=scenario.name,
                                        severity=Severity.NOTE,
                                        message=f"assertions[{i}]: {spec.type} is checked by the "
                                                f"{ELSEWHERE[spec.type]} stage"))
                continue
            try:
                failures = evaluate(spec, m)
            except AssertionArgsError as exc:
                findings.append(Finding(stage=self.name, rule=spec.type, scenario=scenario.name,
                                        message=f"assertions[{i}] in {scenario.file.name}: {exc}"))
                continue
            findings += [f.to_finding(scenario.name) for f in failures]
        return findings
