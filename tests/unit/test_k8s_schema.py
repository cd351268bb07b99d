"""Strict offline Kubernetes schema validation."""

from __future__ import annotations

import datetime
import json
import time
from pathlib import Path
from typing import Any

import pytest

from chartgate.k8s_schemas import resolve_version
from chartgate.manifests import ManifestSet, parse
from chartgate.render import Rendered
from chartgate.render_args import TemplateArgs
from chartgate.report.model import Severity
from chartgate.scenario import Scenario
from chartgate.stages import k8s_schema
from chartgate.stages.k8s_schema import K8sSchemaStage, builtin_validator, strictify

GOOD = """---
# Source: c/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}, annotations: {checksum/config: abc}}
    spec:
      containers:
        - name: server
          image: x:1
          ports: [{containerPort: 8080, name: http}]
          env: [{name: PORT, value: "8080"}]
          resources: {limits: {memory: 256Mi, cpu: 500m}}
          livenessProbe: {httpGet: {path: /healthz, port: http}}
---
# Source: c/templates/service.yaml
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80, targetPort: http}], selector: {app: web}}
---
# Source: c/templates/ingress.yaml
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
    - host: a.example
      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}]}
"""

BAD = """---
# Source: c/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: "two"
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: server
          image: x:1
          imagePullPolicy: Always
          ports: [{containerPort: 8080}]
          resource: {limits: {memory: 256Mi}}
"""

WIDGET = """---
# Source: c/templates/widget.yaml
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec: {size: 3}
"""

CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer, minimum: 1}
"""


def rendered(text: str, kube: str | None = "1.34.0") -> Rendered:
    sc = Scenario(name="s", file=Path("s.yaml"), chart=Path("c"), args=TemplateArgs(kube_version=kube))
    return Rendered(sc, parse(text), None, 0.0, False)


def test_valid_documents_have_no_findings() -> None:
    assert K8sSchemaStage().check(rendered(GOOD)) == []


def test_errors_carry_json_path_object_and_template() -> None:
    findings = K8sSchemaStage().check(rendered(BAD))
    by_path = {f.path: f for f in findings}
    assert set(by_path) == {"spec.replicas", "spec.template.spec.containers[0].resource"}
    unknown = by_path["spec.template.spec.containers[0].resource"]
    assert unknown.rule == "additionalProperties"
    assert "unknown field 'resource' (did you mean 'resources'?)" in unknown.message
    assert "Kubernetes 1.34.0 Deployment schema" in unknown.message
    assert (unknown.object, unknown.template, unknown.stage) == (
        "Deployment/web", "templates/deployment.yaml", "k8s-schema")
    assert by_path["spec.replicas"].rule == "type"
    assert all(f.severity is Severity.ERROR for f in findings)


def test_unknown_fields_fail_at_every_level() -> None:
    doc = parse(GOOD).documents[1]
    body = json.loads(json.dumps(doc.body))
    body["spec"]["ports"][0]["targetport"] = 8080
    body["metadata"]["label"] = {"a": "b"}
    body["extra"] = 1
    bad = ManifestSet(documents=(type(doc)(body=body, source=doc.source),))
    findings = K8sSchemaStage().check(Rendered(rendered(GOOD).scenario, bad, None, 0, False))
    assert sorted(f.path for f in findings) == ["extra", "metadata.label", "spec.ports[0].targetport"]


def test_unknown_kind_is_an_explicit_error_never_a_skip() -> None:
    (f,) = K8sSchemaStage().check(rendered(WIDGET))
    assert f.rule == "unknown-kind" and f.severity is Severity.ERROR
    assert "example.com/v1 Widget" in f.message and "CRD" in f.message
    # same file-name convention, other group: must not borrow networking.k8s.io's Ingress schema
    (f,) = K8sSchemaStage().check(rendered(
        "apiVersion: networking.example.com/v1\nkind: Ingress\nmetadata: {name: x}\n"))
    assert f.rule == "unknown-kind"
    (f,) = K8sSchemaStage().check(rendered("metadata: {name: x}\n"))
    assert "no apiVersion or kind" in f.message


def test_crd_schema_dir_supplies_custom_kinds_strictly(tmp_path: Path) -> None:
    (tmp_path / "widget-crd.yaml").write_text(CRD)
    stage = K8sSchemaStage(crd_schema_dir=tmp_path)
    assert stage.check(rendered(WIDGET)) == []
    findings = stage.check(rendered(WIDGET.replace("size: 3", "size: 0, colour: red")))
    assert sorted((f.path, f.rule) for f in findings) == [("spec.colour", "additionalProperties"),
                                                         ("spec.size", "minimum")]


def test_crd_json_schema_files(tmp_path: Path) -> None:
    (tmp_path / "example.com").mkdir()
    schema = {"type": "object", "properties": {"apiVersion": {}, "kind": {}, "metadata": {},
                                               "spec": {"type": "object", "additionalProperties": False,
                                                        "properties": {"size": {"type": "integer"}}}}}
    (tmp_path / "example.com" / "widget_v1.json").write_text(json.dumps(schema))
    stage = K8sSchemaStage(crd_schema_dir=tmp_path)
    assert stage.check(rendered(WIDGET)) == []
    (f,) = stage.check(rendered(WIDGET.replace("size: 3", "size: big")))
    assert f.path == "spec.size"
    # a kind still unknown says where it looked
    (f,) = stage.check(rendered(WIDGET.replace("kind: Widget", "kind: Gadget")))
    assert f.rule == "unknown-kind" and str(tmp_path) in f.message


def test_crds_rendered_by_the_chart_are_used() -> None:
    text = "---\n" + CRD + WIDGET
    assert K8sSchemaStage().check(rendered(text)) == []


def test_strictify_respects_preserve_unknown_fields() -> None:
    out = strictify({"type": "object", "properties": {
        "a": {"type": "object", "properties": {"b": {}}},
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {"c": {}}}}})
    assert out["additionalProperties"] is False
    assert out["properties"]["a"]["additionalProperties"] is False
    assert "additionalProperties" not in out["properties"]["free"]


def test_version_resolution_and_note() -> None:
    assert resolve_version("1.34.0").version == "1.34.0"
    assert resolve_version("v1.34.7").exact
    newest = resolve_version("1.99.0")
    assert not newest.exact and "nearest" in newest.note()
    assert resolve_version("1.10.0").version == resolve_version("1.25").version  # oldest shipped
    findings = K8sSchemaStage().check(rendered(GOOD, kube="1.99.0"))
    (note,) = findings
    assert note.severity is Severity.NOTE and "1.99.0" in note.message
    (note,) = K8sSchemaStage().check(rendered(GOOD, kube=None))
    assert "newest" in note.message


def test_stage_override_version_and_failed_render() -> None:
    stage = K8sSchemaStage(kube_version="1.30.0")
    assert stage.check(rendered(GOOD, kube="1.99.0")) == []
    sc = rendered(GOOD).scenario
    (f,) = stage.check(Rendered(sc, None, "boom", 0.0, False))
    assert f.rule == "render"


def test_one_validator_per_kind_is_reused_and_identical_documents_validate_once() -> None:
    directory = resolve_version("1.34.0").directory
    first = builtin_validator(directory, "apps/v1", "Deployment")
    assert first is not None and builtin_validator(directory, "apps/v1", "Deployment") is first
    k8s_schema.forget_results()
    stage = K8sSchemaStage()
    stage.check(rendered(GOOD))
    stage.check(rendered(GOOD))
    assert stage.validated == 3


def test_throughput_is_far_above_per_call_kubernetes_validate() -> None:
    """The reason for caching validators: kubernetes_validate.validate reloads and resolves
    the schemas on every call (~150 docs/s on an idle 2-core machine). Measured against it
    in the same process, so machine load affects both sides alike."""
    import kubernetes_validate

    base = parse(GOOD)
    docs = []
    for i in range(100):  # distinct documents, so the identical-document cache does not help
        for d in base:
            body = json.loads(json.dumps(d.body))
            body["metadata"]["name"] = f"web-{i}"
            docs.append(type(d)(body=body, source=d.source, index=len(docs)))
    ms = ManifestSet(documents=tuple(docs))
    stage = K8sSchemaStage()
    stage.check(rendered(GOOD))  # warm: build the validators once
    t0 = time.perf_counter()
    findings = stage.check(Rendered(rendered(GOOD).scenario, ms, None, 0, False))
    ours = len(docs) / (time.perf_counter() - t0)
    assert findings == []
    assert stage.validated >= len(docs)
    sample = [dict(d.body) for d in base] * 3
    t0 = time.perf_counter()
    for body in sample:
        kubernetes_validate.validate(body, "1.34.0", strict=True)
    theirs = len(sample) / (time.perf_counter() - t0)
    assert ours > 5 * theirs, f"{ours:.0f} docs/s vs kubernetes_validate {theirs:.0f} docs/s"


@pytest.mark.parametrize(("kind", "api"), [
    ("ConfigMap", "v1"), ("Secret", "v1"), ("ServiceAccount", "v1"), ("Job", "batch/v1"),
    ("HorizontalPodAutoscaler", "autoscaling/v2"), ("PodDisruptionBudget", "policy/v1"),
    ("NetworkPolicy", "networking.k8s.io/v1"), ("Role", "rbac.authorization.k8s.io/v1")])
def test_common_chart_kinds_have_schemas(kind: str, api: str) -> None:
    assert builtin_validator(resolve_version("1.34.0").directory, api, kind) is not None


def test_duplicate_keys_are_reported_with_path_and_line() -> None:
    text = GOOD.replace("          image: x:1\n", "          image: x:1\n          image: x:2\n", 1)
    text = text.replace("spec: {ports:", "metadata: {name: web2}\nspec: {ports:", 1)
    findings = K8sSchemaStage().check(rendered(text))
    dups = sorted((f.object, f.path, f.rule) for f in findings)
    assert dups == [("Deployment/web", "spec.template.spec.containers[0].image", "duplicate-key"),
                    ("Service/web2", "metadata", "duplicate-key")]
    dep = next(f for f in findings if f.object == "Deployment/web")
    assert "line 15 of the rendered document" in dep.message and dep.template == "templates/deployment.yaml"
    assert k8s_schema.duplicate_keys(text) == k8s_schema.duplicate_keys(text)  # cached


def _set(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(body))
    node = out
    *parents, last = path.split(".")
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return out


_DELETE = object()


@pytest.mark.parametrize(("path", "value"), [
    ("spec.replicas", "2"),  # type
    ("spec.replicas", 2.5),  # integer
    ("spec.replicas", 2.0),  # still an integer (JSON Schema)
    ("spec.replicas", None),  # null
    ("spec.template.spec.containers.0.imagePullPolicy", "Sometimes"),  # enum
    ("spec.template.spec.containers.0.ports.0.containerPort", "8080"),
    ("spec.template.spec.containers.0.livenessProbe.httpGet.port", 8080),  # int-or-string
    ("spec.template.spec.containers.0.livenessProbe.httpGet.port", [1]),
    ("spec.template.spec.containers.0.resources.limits.memory", 1),
    ("spec.template.spec.containers.0.resources.limits.memory", True),
    ("spec.template.spec.containers.0.imagee", "x"),  # unknown field
    ("spec.template.metadata.annotations.checksum/config", 1),  # map of strings
    ("spec.template.spec.containers.0.name", _DELETE),  # required
    ("spec.selector", _DELETE),
    ("metadata.creationTimestamp", datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)),  # a YAML timestamp
])
def test_fast_validity_check_agrees_with_jsonschema(path: str, value: Any) -> None:
    """The compiled check decides "valid" alone, so it must never pass a document Python
    jsonschema rejects (nor reject one it passes)."""
    (deployment, *_) = parse(GOOD)
    validator = builtin_validator(resolve_version("1.34.0").directory, "apps/v1", "Deployment")
    assert validator is not None and validator.is_valid(deployment.body)
    body = _set(dict(deployment.body), path, value) if not isinstance(value, datetime.datetime) else {
        **deployment.body, "metadata": {**deployment.body["metadata"], "creationTimestamp": value}}
    expected = not list(validator.full.iter_errors(body))
    assert validator.is_valid(body) is expected
    assert (k8s_schema._errors(validator, body) == []) is expected
