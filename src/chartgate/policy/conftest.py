"""conftest's semantics, as chartgate applies them to OPA's answers.

* ``deny*`` and ``violation*`` rules fail, ``warn*`` rules warn (:data:`FAILURE_RULE`,
  :data:`WARNING_RULE`);
* a rule's policy id is its metadata ``id``, else derived from its name (:func:`rule_id`);
* ``exception`` switches rules off by their name without the prefix (:func:`rule_suffix`);
  an exemption in force is reported, not hidden (:class:`Exemption`);
* package ``main`` is evaluated once per document, package ``combine`` once per set of
  documents, presented as conftest's ``--combine`` input (``[{path, contents}]``).

The batch driver (:func:`driver`) evaluates those rules for a whole batch of inputs inside
OPA; :func:`evaluation` reads one input's row of its answer.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FAILURE_RULE = re.compile(r"^(deny|violation)(_[a-zA-Z0-9]+)*$")
WARNING_RULE = re.compile(r"^warn(_[a-zA-Z0-9]+)*$")

DRIVER_ID = "chartgate/batch.rego"
DRIVER_PACKAGE = "chartgate.batch"
DRIVER_RULE = "out"


@dataclass(frozen=True)
class RuleResult:
    """One result of one rule for one input (or an honoured exemption)."""

    rule: str  # Rego rule name: deny_clk_sec_001, warn, violation_x, ...
    id: str  # policy id (metadata ``id``), else derived from the rule name
    message: str
    resource: str = ""  # Kind/name (metadata ``resource``), when the rule says
    path: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        """``deny`` (deny/violation rules) or ``warn``."""
        return "deny" if FAILURE_RULE.match(self.rule) else "warn"


@dataclass(frozen=True)
class Exemption:
    """A rule that conftest's ``exception`` switched off for an input."""

    rule: str  # rule suffix as in ``exception``: clk_sec_012
    id: str  # CLK-SEC-012
    reason: str = ""
    expires: str = ""
    source: str = ""
    suppressed: int = 0  # how many results the exemption hid


@dataclass(frozen=True)
class Evaluation:
    """What one input produced: failures + warnings, and honoured exemptions."""

    results: tuple[RuleResult, ...] = ()
    exemptions: tuple[Exemption, ...] = ()


def rule_id(rule: str) -> str:
    """``deny_clk_sec_001`` → ``CLK-SEC-001``; ``deny`` stays ``deny``."""
    for prefix in ("violation_", "deny_", "warn_"):
        if rule.startswith(prefix):
            return rule[len(prefix):].upper().replace("_", "-")
    return rule


def rule_suffix(rule: str) -> str:
    """conftest's ``removeRulePrefix``: the name ``exception`` refers to."""
    if rule in ("deny", "warn", "violation"):
        return ""
    for prefix in ("violation_", "deny_", "warn_"):
        if rule.startswith(prefix):
            return rule[len(prefix):]
    return rule


def policy_files(policy_dir: Path) -> list[Path]:
    """The policies to load: every ``*.rego`` except ``*_test.rego``."""
    return sorted(p for p in policy_dir.rglob("*.rego") if not p.name.endswith("_test.rego"))


def package_of(text: str) -> str | None:
    """The ``package`` a Rego module declares."""
    m = re.search(r"^package\s+([A-Za-z0-9_.]+)", text, re.MULTILINE)
    return m.group(1) if m else None


def packages(files: Iterable[Path]) -> set[str]:
    """Every package the modules declare."""
    return {p for p in (package_of(f.read_text()) for f in files) if p}


def jsonable(value: Any) -> Any:
    """YAML may carry dates/timestamps; OPA (like conftest) sees them as strings."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    return value


def driver(namespaces: Iterable[str]) -> str:
    """The Rego that evaluates whole batches: ``data.chartgate.batch.out``.

    Its input is ``{"docs": {namespace: [document, ...]}}`` or ``{"sets": {namespace:
    [{"input": [{path, contents}, ...], "external": ["Kind/name", ...]}, ...]}}``; a set's
    ``external`` objects are added to ``data.chartgate.external_objects`` while it is
    evaluated (what a conftest ``--data`` file listing them gives). The answer has one row
    per input (:func:`evaluation`)."""
    lines = [
        f"package {DRIVER_PACKAGE}",
        "",
        "import rego.v1",
        "",
        "is_rule(name) if regex.match(`^(deny|violation)(_[a-zA-Z0-9]+)*$`, name)",
        "",
        "is_rule(name) if regex.match(`^warn(_[a-zA-Z0-9]+)*$`, name)",
        "",
        "default declared_external := []",
        "",
        "declared_external := data.chartgate.external_objects if is_array(data.chartgate.external_objects)",
        "",
        f"{DRIVER_RULE} := {{",
    ]
    # One input's result: its non-empty deny/warn/violation rules, the rule names its
    # `exception` switches off (conftest semantics) and the exemptions in force.
    row = ('{"rules": {name: values | some name, values in p; is_rule(name); count(values) > 0}, '
           '"exception": {x | some k, excs in p; k == "exception"; some exc in excs; some x in exc}, '
           '"exemptions": {e | some k, v in p; k == "exemptions_in_force"; some e in v}}')
    for name in namespaces:
        key = json.dumps(name)
        lines.append(f"\t{key}: {{")
        lines.append(f'\t\t"docs": [{row} | some doc in object.get(input, ["docs", {key}], []); '
                     f"p := data.{name} with input as doc],")
        lines.append(f'\t\t"sets": [{row} | some cfg in object.get(input, ["sets", {key}], []); '
                     "external := array.concat(declared_external, cfg.external); "
                     f"p := data.{name} with input as cfg.input "
                     "with data.chartgate.external_objects as external],")
        lines.append("\t},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def evaluation(row: Mapping[str, Any]) -> Evaluation:
    """One input's row of the driver's answer: results, minus what ``exception`` switched
    off (reported as exemptions, with the reason and expiry the pack's data gives)."""
    excepted = set(row.get("exception") or ())
    in_force = {e.get("id"): e for e in row.get("exemptions") or () if isinstance(e, Mapping)}
    results: list[RuleResult] = []
    exemptions: list[Exemption] = []
    for rule in sorted(row.get("rules") or {}):
        values = row["rules"][rule]
        suffix = rule_suffix(rule)
        parsed = [_result(rule, v) for v in values]
        if suffix and suffix in excepted:
            rid = parsed[0].id if parsed else rule_id(rule)
            info = in_force.get(rid, {})
            exemptions.append(Exemption(rule=suffix, id=rid, reason=info.get("reason", ""),
                                        expires=info.get("expires", ""),
                                        source=info.get("source", ""), suppressed=len(parsed)))
            continue
        results.extend(parsed)
    return Evaluation(results=tuple(results), exemptions=tuple(exemptions))


def _result(rule: str, value: Any) -> RuleResult:
    if isinstance(value, str):
        return RuleResult(rule=rule, id=rule_id(rule), message=value)
    if isinstance(value, Mapping):
        meta = {k: v for k, v in value.items() if k not in ("msg", "_loc")}
        return RuleResult(rule=rule, id=str(meta.get("id") or rule_id(rule)),
                          message=str(value.get("msg", "")), resource=str(meta.get("resource", "")),
                          path=str(meta.get("path", "")), metadata=meta)
    return RuleResult(rule=rule, id=rule_id(rule), message=json.dumps(value))
