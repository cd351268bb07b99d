"""Values schema stage: the values a scenario renders with — the chart's ``values.yaml``
deep-merged with the scenario's values files, then its ``set`` mapping — validated
against the chart's ``values.schema.json`` (draft picked from ``$schema``).

Each error names the values key (``deployment.replicas: -1 is less than the minimum of
0``) and the file that set it (the scenario's ``set`` counts as the scenario file).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from chartgate.manifests import format_path
from chartgate.render import Rendered
from chartgate.report.model import Finding, Severity
from chartgate.results_cache import ResultCache, body_key, digest
from chartgate.results_cache import enabled as results_enabled
from chartgate.scenario import Scenario
from chartgate.stages.common import did_you_mean
from chartgate.util.merge import deep_merge
from chartgate.util.yamlload import safe_load

STAGE = "values-schema"


def coalesce(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's coalescing: maps merge recursively, anything else replaces, ``null`` deletes."""
    return deep_merge(base, override, null_deletes=True)


_YAML_CACHE: dict[tuple[str, int, int], Any] = {}
_VALIDATORS: dict[int, tuple[Any, Any]] = {}  # id(schema) -> (schema, validator)


def _load_yaml(file: Path) -> dict[str, Any]:
    """A values file, parsed once per content (callers never mutate the result)."""
    try:
        st = file.stat()
    except OSError:
        return {}
    if not file.is_file():
        return {}
    key = (str(file), st.st_mtime_ns, st.st_size)
    if key not in _YAML_CACHE:
        if len(_YAML_CACHE) > 256:
            _YAML_CACHE.clear()
        _YAML_CACHE[key] = safe_load(file.read_text())
    data = _YAML_CACHE[key]
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
        out = coalesce(out, values)
    return out


def _label(file: Path, chart: Path) -> str:
    try:
        return file.resolve().relative_to(chart.resolve()).as_posix()
    except ValueError:
        return str(file)


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


def jsonschema_version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("jsonschema")
    except importlib.metadata.PackageNotFoundError:
        return "?"


def load_schema(chart: Path) -> dict[str, Any] | None:
    file = chart / "values.schema.json"
    if not file.is_file():
        return None
    return dict(json.loads(file.read_text()))


def validate_values(values: Mapping[str, Any], schema: Mapping[str, Any]) -> list[tuple[list[Any], str, str]]:
    """``(key parts, keyword, message)`` for each error; the message starts with the key."""
    # one validator per schema (its content), reused for every scenario
    entry = _VALIDATORS.get(id(schema))
    if entry is None or entry[0] is not schema:
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
        if len(_VALIDATORS) > 64:
            _VALIDATORS.clear()
        entry = _VALIDATORS[id(schema)] = (schema, cls(schema, format_checker=cls.FORMAT_CHECKER))
    validator = entry[1]
    out = []
    for e in sorted(validator.iter_errors(values), key=lambda e: [str(p) for p in e.absolute_path]):
        parts = list(e.absolute_path)
        if e.validator == "additionalProperties" and isinstance(e.instance, Mapping):
            allowed = set(e.schema.get("properties", {})) if isinstance(e.schema, Mapping) else set()
            patterns = list(e.schema.get("patternProperties", {})) if isinstance(e.schema, Mapping) else []
            extra = [k for k in e.instance if k not in allowed and not any(re.search(p, k) for p in patterns)]
            for k in extra or ["?"]:
                key = format_path([*parts, k])
                hint = did_you_mean(k, allowed)
                out.append(([*parts, k], "additionalProperties",
                            f"{key}: unknown key (not in values.schema.json){hint}"))
            continue
        if (e.validator == "required" and isinstance(e.validator_value, list)
                and isinstance(e.instance, Mapping)):
            for k in e.validator_value:
                if k not in e.instance:
                    out.append(([*parts, k], "required", f"{format_path([*parts, k])}: required but not set"))
            continue
        out.append((parts, str(e.validator), f"{format_path(parts) or '(root)'}: {e.message}"))
    return out


RESULTS_VERSION = "values-schema/1"  # bump when validate_values() changes what it reports


class ValuesSchemaStage:
    name = STAGE

    def __init__(self, result_cache: bool = False) -> None:
        self._schemas: dict[Path, dict[str, Any] | None] = {}
        self._formats: dict[Path, bool] = {}  # chart → its schema uses `format`
        self.result_cache = result_cache  # the gate turns it on (CHARTGATE_RESULT_CACHE=0: off)
        self._disk: dict[Path, ResultCache] = {}

    def _disk_cache(self, chart: Path, schema: Mapping[str, Any]) -> ResultCache:
        if chart not in self._disk:
            salt = digest(RESULTS_VERSION, json.dumps(schema, sort_keys=True, default=str),
                          jsonschema_version())
            self._disk[chart] = ResultCache(
                STAGE, salt, enabled_=bool(self.result_cache) and results_enabled())
        return self._disk[chart]

    def prepare(self, rendered: Mapping[str, Rendered]) -> None:
        """Validate every scenario's values now (earlier runs' results come from disk)
        and persist new results; ``check`` then reads them."""
        for r in rendered.values():
            if r.ok and r.scenario.wants(self.name) and not self.helm_validated(r):
                self.check_scenario(r.scenario)
        for disk in self._disk.values():
            disk.save()

    def check(self, rendered: Rendered) -> list[Finding]:
        if self.helm_validated(rendered):
            return []
        return self.check_scenario(rendered.scenario)

    def helm_validated(self, rendered: Rendered) -> bool:
        """The render succeeded, so Helm has validated exactly these merged values against
        this schema already (it refuses to render otherwise): nothing to find. Only when
        the schema uses ``format`` does this validator check more than Helm's (it asserts
        formats), so then the values are validated here too."""
        if not rendered.ok or rendered.manifests is None:
            return False
        chart = rendered.scenario.chart
        if chart not in self._schemas:
            self._schemas[chart] = load_schema(chart)
        schema = self._schemas[chart]
        if schema is None:
            return False  # check_scenario reports the missing schema
        if chart not in self._formats:
            self._formats[chart] = '"format"' in json.dumps(schema)
        return not self._formats[chart]

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
            merged = coalesce(merged, values)
        findings = []
        disk = self._disk_cache(scenario.chart, schema)
        key = body_key(merged)
        errors = disk.get(key)
        if errors is None:
            errors = validate_values(merged, schema)
            disk.put(key, errors)
        for parts, rule, message in errors:
            key = format_path(parts)
            where = origin(sources, parts)
            findings.append(Finding(stage=self.name, rule=rule, message=f"{message} (from {where})",
                                    scenario=scenario.name, template=where, path=key,
                                    values_keys=(key,) if key else ()))
        return findings
