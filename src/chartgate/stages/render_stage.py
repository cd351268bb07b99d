"""The render stage: did the scenario render (or fail) as it expects?

A failure is traced to the template file and values keys Helm's message names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from chartgate.render import Rendered
from chartgate.report.model import Finding

_TEMPLATE_REF = re.compile(
    r"(?:template: )?[^/\s\"]+/(templates/[^:\s\"]+?)(?::(\d+)(?::(\d+))?)?(?=[:\s\"]|$)")
_SCHEMA_KEY = re.compile(r"^\s*-\s*(?:at\s+)?'?/?([A-Za-z0-9_./\[\]-]+)'?\s*:", re.MULTILINE)
_VALUES_REF = re.compile(r"\.Values\.([A-Za-z0-9_.]+)")


def trace(message: str) -> tuple[str, tuple[str, ...]]:
    """(template file, values keys) mentioned by a Helm error message."""
    tm = _TEMPLATE_REF.search(message)
    template = tm.group(1) if tm else ""
    if tm and tm.group(2):
        template += f":{tm.group(2)}"
    keys = [k.replace("/", ".") for k in _SCHEMA_KEY.findall(message)]
    keys += _VALUES_REF.findall(message)
    seen: dict[str, None] = {}
    for k in keys:
        if k and k not in ("(root)",):
            seen.setdefault(k.strip("."), None)
    return template, tuple(seen)


class RenderStage:
    name = "render"

    def prepare(self, rendered: Mapping[str, Rendered]) -> None:
        return None

    def check(self, rendered: Rendered) -> list[Finding]:
        sc = rendered.scenario
        exp = sc.expect
        if rendered.error is not None:
            template, keys = trace(rendered.error)
            if exp.renders:
                return [Finding("render", "renders", f"helm template failed: {rendered.error}",
                                scenario=sc.name, template=template, values_keys=keys)]
            if exp.error and not re.search(exp.error, rendered.error):
                return [Finding("render", "failedTemplate",
                                "helm failed as expected, but its error does not match the pattern",
                                scenario=sc.name, template=template, values_keys=keys,
                                expected=exp.error, actual=rendered.error)]
            return []
        if not exp.renders:
            return [Finding("render", "failedTemplate",
                            "expected helm template to fail, but it rendered "
                            f"{len(rendered.manifests or ())} documents",
                            scenario=sc.name, expected=exp.error or "an error", actual="success")]
        return []
