"""Values schema stage: the values a scenario renders with — the chart's ``values.yaml``
deep-merged with the scenario's values files, then its ``set`` mapping — validated
against the chart's ``values.schema.json`` (draft picked from ``$schema``).

Each error names the values key (``deployment.replicas: -1 is less than the minimum of
0``) and the file that set it (the scenario's ``set`` counts as the scenario file).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from chartgate.render import Rendered
from chartgate.report.model import Finding, Severity
from chartgate.scenario import Scenario
from chartgate.stages.k8s_schema import did_you_mean

STAGE = "values-schema"


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's coalescing: maps merge recursively, anything else replaces, ``null`` deletes."""
    out = dict(base)
    for k, v in override.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _load_yaml(file: Path) -> dict[str, Any]:
    data = yaml.safe_load(file.read_text()) if file.is_file() else None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"{file}: values must be a mapping, got {type(data).__name__}")
    return data


def value_sources(scenario: Scenario) -> list[tuple[str, Mapping[str, Any]]]:
    """``(label, values)`` in merge order: chart defaults, values files, the scenario's ``set``."""
    chart_values = scenario.chart / "values.yaml"
    sources: list[tuple[str, Mapping[str, Any]]] = [("values.yaml", _load_yaml(chart_values))]
    for vf in scenario.args.values_files:
        sources.append((_label(Path(vf), scenario.chart), _load_yaml(Path(vf))))
    if scenario.values:
        sources.append((str(scenario.file), scenario.values))  # the scenario's `set:`
    return sources


def merged_values(scenario: Scenario) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for _, values in value_sources(scenario):
        out = deep_merge(out, values)
    return out


def _label(file: Path, chart: Path) -> str:
    try:
        return file.resolve().relative_to(chart.resolve()).as_posix()
    except ValueError:
        return str(file)


def key_path(parts: Iterable[Any]) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif re.fullmatch(r"[A-Za-z0-9_-]+", str(p)):
            out += f".{p}" if out else str(p)
        else:
            out += f'["{p}"]'
    return out


def _has(values: Any, parts: Sequence[Any]) -> bool:
    cur = values
    for p in parts:
        if isinstance(p, int):
            if not isinstance(cur, list) or not -len(cur) <= p < len(cur):
                return False
        elif not isinstance(cur, Mapping) or p not in cur:
            return False
        cur = cur[p]
    return True


def origin(sources: Sequence[tuple[str, Mapping[str, Any]]], parts: Sequence[Any]) -> str:
    """The last source that sets the key at ``parts`` (or its nearest set parent)."""
    for n in range(len(parts), -1, -1):
        for label, values in reversed(sources):
            if n and _has(values, parts[:n]):
                return label
    return sources[0][0] if sources else ""


def load_schema(chart: Path) -> dict[str, Any] | None:
    file = chart / "values.schema.json"
    if not file.is_file():
        return None
    return dict(json.loads(file.read_text()))


def validate_values(values: Mapping[str, Any], schema: Mapping[str, Any]) -> list[tuple[list[Any], str, str]]:
    """``(key parts, keyword, message)`` for each error; the message starts with the key."""
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    out = []
    for e in sorted(validator.iter_errors(values), key=lambda e: [str(p) for p in e.absolute_path]):
        parts = list(e.absolute_path)
        if e.validator == "additionalProperties" and isinstance(e.instance, Mapping):
            allowed = set(e.schema.get("properties", {})) if isinstance(e.schema, Mapping) else set()
            patterns = list(e.schema.get("patternProperties", {})) if isinstance(e.schema, Mapping) else []
            extra = [k for k in e.instance if k not in allowed and not any(re.search(p, k) for p in patterns)]
            for k in extra or ["?"]:
                key = key_path([*parts, k])
                hint = did_you_mean(k, allowed)
                out.append(([*parts, k], "additionalProperties",
                            f"{key}: unknown key (not in values.schema.json){hint}"))
            continue
        if (e.validator == "required" and isinstance(e.validator_value, list)
                and isinstance(e.instance, Mapping)):
            for k in e.validator_value:
                if k not in e.instance:
                    out.append(([*parts, k], "required", f"{key_path([*parts, k])}: required but not set"))
            continue
        out.append((parts, str(e.validator), f"{key_path(parts) or '(root)'}: {e.message}"))
    return out


class ValuesSchemaStage:
    name = STAGE

    def __init__(self) -> None:
        self._schemas: dict[Path, dict[str, Any] | None] = {}

    def prepare(self, rendered: Mapping[str, Rendered]) -> None:
        """Nothing to batch."""

    def check(self, rendered: Rendered) -> list[Finding]:
        return self.check_scenario(rendered.scenario)

    def check_scenario(self, scenario: Scenario) -> list[Finding]:
        """Values validation needs no render: it works on the scenario alone."""
        if scenario.chart not in self._schemas:
            self._schemas[scenario.chart] = load_schema(scenario.chart)
        schema = self._schemas[scenario.chart]
        if schema is None:
            return [Finding(stage=self.name, rule="no-schema", severity=Severity.WARNING,
                            scenario=scenario.name, template="values.schema.json",
                            message=f"{scenario.chart.name} has no values.schema.json: values not validated")]
        try:
            sources = value_sources(scenario)
        except (ValueError, yaml.YAMLError) as exc:
            return [Finding(stage=self.name, rule="values-file", scenario=scenario.name, message=str(exc))]
        merged: dict[str, Any] = {}
        for _, values in sources:
            merged = deep_merge(merged, values)
        findings = []
        for parts, rule, message in validate_values(merged, schema):
            key = key_path(parts)
            where = origin(sources, parts)
            findings.append(Finding(stage=self.name, rule=rule, message=f"{message} (from {where})",
                                    scenario=scenario.name, template=where, path=key,
                                    values_keys=(key,) if key else ()))
        return findings
