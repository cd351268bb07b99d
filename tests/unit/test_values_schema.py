"""values.schema.json validation of the merged values (chart → values files → set)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chartgate.render import Rendered
from chartgate.render_args import TemplateArgs
from chartgate.report.model import Severity
from chartgate.scenario import Scenario
from chartgate.stages.values_schema import (
    ValuesSchemaStage,
    coalesce,
    merged_values,
    origin,
    validate_values,
)

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["deployment"],
    "properties": {
        "deployment": {
            "type": "object",
            "additionalProperties": False,
            "required": ["replicas"],
            "properties": {"replicas": {"type": "integer", "minimum": 0},
                           "image": {"type": "string", "pattern": "^[^:]+:[^:]+$"}},
        },
        "ingress": {"type": "object", "properties": {
            "enabled": {"type": "boolean"},
            "hosts": {"type": "array", "items": {"type": "string", "pattern": "^[a-z0-9.-]+$"}},
            "loadBalancerIP": {"type": "string", "format": "ipv4"}}},
        "env": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    c = tmp_path / "chart"
    c.mkdir()
    (c / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (c / "values.yaml").write_text("deployment:\n  replicas: 1\n  image: app:1\ningress:\n  enabled: false\n")
    (c / "values.schema.json").write_text(json.dumps(SCHEMA))
    return c


def scenario(chart: Path, files: tuple[str, ...] = (), values: dict[str, Any] | None = None) -> Scenario:
    return Scenario(name="s", file=chart.parent / "scenarios" / "s.yaml", chart=chart,
                    args=TemplateArgs(values_files=files), values=values or {})


def check(sc: Scenario) -> list[Any]:
    return ValuesSchemaStage().check(Rendered(sc, None, None, 0.0, False))


def test_defaults_pass(chart: Path) -> None:
    assert check(scenario(chart)) == []


def test_error_names_the_key_and_the_file_that_set_it(chart: Path) -> None:
    prod = chart / "values-prod.yaml"
    prod.write_text("deployment:\n  replicas: -1\n")
    (f,) = check(scenario(chart, (str(prod),)))
    assert f.message.startswith("deployment.replicas: -1 is less than the minimum of 0")
    assert (f.path, f.values_keys, f.rule, f.template) == (
        "deployment.replicas", ("deployment.replicas",), "minimum", "values-prod.yaml")
    assert f.stage == "values-schema" and f.severity is Severity.ERROR


def test_set_overrides_files_and_is_blamed(chart: Path) -> None:
    prod = chart / "values-prod.yaml"
    prod.write_text("deployment:\n  replicas: -1\n")
    sc = scenario(chart, (str(prod),), {"deployment": {"replicas": 3}})
    assert check(sc) == []
    (f,) = check(scenario(chart, (), {"deployment": {"image": "no-tag"}}))
    assert f.path == "deployment.image" and f.template == str(sc.file)


def test_unknown_and_missing_keys_are_named(chart: Path) -> None:
    findings = check(scenario(chart, (), {"deploymnet": {"replicas": 2}, "deployment": {"replicas": None}}))
    got = {(f.rule, f.path) for f in findings}
    assert got == {("additionalProperties", "deploymnet"), ("required", "deployment.replicas")}
    msgs = " | ".join(f.message for f in findings)
    assert "deploymnet: unknown key (not in values.schema.json) (did you mean 'deployment'?)" in msgs
    assert "deployment.replicas: required but not set" in msgs


def test_list_items_format_and_additional_properties_types(chart: Path) -> None:
    findings = check(scenario(chart, (), {"ingress": {"hosts": ["ok.example", "not a host!"],
                                                      "loadBalancerIP": "10.0.0.300"},
                                          "env": {"A": "1", "B": 2}}))
    assert sorted(f.path for f in findings) == ["env.B", "ingress.hosts[1]", "ingress.loadBalancerIP"]


def test_no_schema_is_a_warning_not_a_silent_pass(chart: Path) -> None:
    (chart / "values.schema.json").unlink()
    (f,) = check(scenario(chart))
    assert f.severity is Severity.WARNING and "no values.schema.json" in f.message


def test_bad_values_file_is_reported(chart: Path) -> None:
    bad = chart / "bad.yaml"
    bad.write_text("- a\n- b\n")
    (f,) = check(scenario(chart, (str(bad),)))
    assert f.rule == "values-file" and "must be a mapping" in f.message


def test_draft_is_taken_from_dollar_schema() -> None:
    # draft-04: exclusiveMinimum is a boolean modifier; 2020-12 would reject the schema's meaning
    d4 = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
          "properties": {"n": {"type": "number", "minimum": 0, "exclusiveMinimum": True}}}
    assert [m for _, _, m in validate_values({"n": 0}, d4)] == [
        "n: 0 is less than or equal to the minimum of 0"]
    assert validate_values({"n": 1}, d4) == []


def test_coalesce_like_helm() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1, "gone": {"x": 1}}
    out = coalesce(base, {"a": {"c": [3]}, "gone": None, "e": {"f": 1}})
    assert out == {"a": {"b": 1, "c": [3]}, "d": 1, "e": {"f": 1}}
    assert base["gone"] == {"x": 1}  # inputs untouched


def test_merged_values_and_origin(chart: Path) -> None:
    f = chart / "v.yaml"
    f.write_text("ingress:\n  enabled: true\n")
    sc = scenario(chart, (str(f),), {"deployment": {"replicas": 5}})
    merged = merged_values(sc)
    assert merged["ingress"]["enabled"] is True and merged["deployment"] == {"replicas": 5, "image": "app:1"}
    sources = [("values.yaml", {"a": {"b": 1}}), ("v.yaml", {"a": {"c": 1}})]
    assert origin(sources, ["a", "c"]) == "v.yaml"
    assert origin(sources, ["a", "b"]) == "values.yaml"
    assert origin(sources, ["a", "zz"]) == "v.yaml"  # nearest parent set last


def test_a_successful_render_is_not_validated_again(chart: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Helm validated the values of every render that succeeded; without ``format`` in the
    schema this validator would find nothing more, so it does not run at all."""
    from chartgate.manifests import parse
    from chartgate.stages import values_schema

    calls: list[Any] = []
    monkeypatch.setattr(values_schema, "validate_values", lambda *a: calls.append(a) or [])
    schema = {k: v for k, v in SCHEMA.items()}
    schema["properties"] = {k: v for k, v in SCHEMA["properties"].items() if k != "ingress"}
    (chart / "values.schema.json").write_text(json.dumps(schema))
    (chart / "values.yaml").write_text("deployment:\n  replicas: 1\n")
    ok = Rendered(scenario(chart), parse("kind: ConfigMap\n"), None, 0.0, False)
    stage = ValuesSchemaStage()
    stage.prepare({"s": ok})
    assert stage.check(ok) == [] and calls == []
    # a failed render is validated (to name the key and the file)
    stage.check(Rendered(scenario(chart), None, "values don't meet the schema", 0.0, False))
    assert len(calls) == 1


def test_a_schema_with_format_is_still_validated(chart: Path) -> None:
    from chartgate.manifests import parse

    bad = scenario(chart, values={"ingress": {"loadBalancerIP": "not-an-ip"}})
    (f,) = ValuesSchemaStage().check(Rendered(bad, parse("kind: ConfigMap\n"), None, 0.0, False))
    assert f.path == "ingress.loadBalancerIP"
