"""Assertion types, their failure messages, negation, selection and the Python API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chartgate.assertions import AssertionArgsError, evaluate, evaluate_all, expect
from chartgate.assertions.registry import REGISTRY, get
from chartgate.manifests import parse
from chartgate.render import Rendered
from chartgate.report.model import Severity
from chartgate.scenario import AssertionSpec, Expectations, Scenario, Selector
from chartgate.stages.assertions import AssertionsStage

MANIFESTS = parse("""---
# Source: clockwork/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: clockwork-server
  labels: {app.kubernetes.io/name: clockwork, tier: web}
  annotations: {checksum/config: abc}
spec:
  replicas: 2
  template:
    spec:
      tolerations: []
      containers:
        - name: server
          image: registry.local/clockwork:1.4.2
          env:
            - {name: PORT, value: "8080"}
            - {name: ENV, value: production}
          resources:
            limits: {cpu: 500m, memory: 256Mi}
---
# Source: clockwork/templates/service.yaml
apiVersion: v1
kind: Service
metadata: {name: clockwork-server, labels: {app.kubernetes.io/name: clockwork}}
spec:
  type: ClusterIP
  ports: [{port: 80, targetPort: http, name: http}]
---
# Source: clockwork/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata: {name: clockwork-db}
data:
  DATABASE_URL: cG9zdGdyZXM6Ly91QGRiOjU0MzIvY2xvY2t3b3Jr
  nothing: null
""")

DEPLOY = Selector(kind="Deployment", name="clockwork-server")
IMAGE = "spec.template.spec.containers[0].image"
ENV = "spec.template.spec.containers[0].env"


def run(type_: str, args: dict[str, Any], select: Selector = DEPLOY, negate: bool = False) -> list[Any]:
    return evaluate(AssertionSpec(type=type_, args=args, select=select, negate=negate), MANIFESTS)


# --- every type: one passing and one failing case ---------------------------------------
CASES: list[tuple[str, dict[str, Any], Selector, bool]] = [
    ("equal", {"path": "spec.replicas", "value": 2}, DEPLOY, True),
    ("equal", {"path": "spec.replicas", "value": 3}, DEPLOY, False),
    ("notEqual", {"path": "spec.replicas", "value": 3}, DEPLOY, True),
    ("notEqual", {"path": "spec.replicas", "value": 2}, DEPLOY, False),
    ("matchRegex", {"path": IMAGE, "pattern": r":1\.4\."}, DEPLOY, True),
    ("matchRegex", {"path": IMAGE, "pattern": r":latest$"}, DEPLOY, False),
    ("notMatchRegex", {"path": IMAGE, "pattern": ":latest$"}, DEPLOY, True),
    ("notMatchRegex", {"path": IMAGE, "pattern": "clockwork"}, DEPLOY, False),
    ("contains", {"path": "spec.template.spec.containers[name=server].env",
                  "content": {"name": "PORT", "value": "8080"}}, DEPLOY, True),
    ("contains", {"path": ENV, "content": {"name": "PORT"}}, DEPLOY, False),
    ("contains", {"path": "spec.template.spec.containers[0].env", "content": {"name": "PORT"},
                  "any": True}, DEPLOY, True),
    ("contains", {"path": "spec.template.spec.containers[0].env", "content": {"name": "PORT"},
                  "any": True, "count": 2}, DEPLOY, False),
    ("notContains", {"path": "spec.template.spec.containers[0].env",
                     "content": {"name": "DEBUG", "value": "1"}}, DEPLOY, True),
    ("notContains", {"path": "spec.template.spec.containers[0].env",
                     "content": {"name": "ENV", "value": "production"}}, DEPLOY, False),
    ("exists", {"path": 'metadata.labels["app.kubernetes.io/name"]'}, DEPLOY, True),
    ("exists", {"path": "spec.template.spec.securityContext"}, DEPLOY, False),
    ("exists", {"value": "spec.replicas"}, DEPLOY, True),  # shorthand: `exists: spec.replicas`
    ("notExists", {"path": "spec.template.spec.securityContext"}, DEPLOY, True),
    ("notExists", {"path": "spec.replicas"}, DEPLOY, False),
    ("isKind", {"of": "Deployment"}, DEPLOY, True),
    ("isKind", {"of": "StatefulSet"}, DEPLOY, False),
    ("isAPIVersion", {"of": "apps/v1"}, DEPLOY, True),
    ("isAPIVersion", {"of": "apps/v1beta1"}, DEPLOY, False),
    ("hasDocuments", {"count": 3}, Selector(), True),
    ("hasDocuments", {"count": 1}, Selector(kind="Service"), True),
    ("hasDocuments", {"count": 0}, Selector(kind="Ingress"), True),
    ("hasDocuments", {"count": 2}, Selector(kind="Service"), False),
    ("lengthEqual", {"path": "spec.template.spec.containers[0].env", "count": 2}, DEPLOY, True),
    ("lengthEqual", {"paths": ["spec.template.spec.containers", "spec.template.spec.containers[0].env"],
                     "count": 1}, DEPLOY, False),
    ("isSubset", {"path": "metadata.labels", "content": {"tier": "web"}}, DEPLOY, True),
    ("isSubset", {"path": "metadata.labels", "content": {"tier": "db"}}, DEPLOY, False),
    ("isNotSubset", {"path": "metadata.labels", "content": {"tier": "db"}}, DEPLOY, True),
    ("isNotSubset", {"path": "metadata.labels", "content": {"tier": "web"}}, DEPLOY, False),
    ("isNull", {"path": "data.nothing"}, Selector(kind="Secret"), True),
    ("isNull", {"path": "data.absent"}, Selector(kind="Secret"), True),
    ("isNull", {"path": "data.DATABASE_URL"}, Selector(kind="Secret"), False),
    ("isNotNull", {"path": "data.DATABASE_URL"}, Selector(kind="Secret"), True),
    ("isNotNull", {"path": "data.nothing"}, Selector(kind="Secret"), False),
    ("isEmpty", {"path": "spec.template.spec.tolerations"}, DEPLOY, True),
    ("isEmpty", {"path": "spec.template.spec.containers"}, DEPLOY, False),
    ("isNotEmpty", {"path": "spec.template.spec.containers"}, DEPLOY, True),
    ("isNotEmpty", {"path": "spec.template.spec.tolerations"}, DEPLOY, False),
    ("isType", {"path": "spec.replicas", "type": "int"}, DEPLOY, True),
    ("isType", {"path": "metadata.labels", "type": "map"}, DEPLOY, True),
    ("isType", {"path": "spec.replicas", "type": "string"}, DEPLOY, False),
    ("greaterOrEqual", {"path": "spec.replicas", "value": 2}, DEPLOY, True),
    ("greaterOrEqual", {"path": "spec.template.spec.containers[0].resources.limits.memory",
                        "value": "128Mi"}, DEPLOY, True),
    ("greaterOrEqual", {"path": "spec.template.spec.containers[0].resources.limits.cpu",
                        "value": 1}, DEPLOY, False),
    ("lessOrEqual", {"path": "spec.template.spec.containers[0].resources.limits.memory",
                     "value": "1Gi"}, DEPLOY, True),
    ("lessOrEqual", {"path": "spec.replicas", "value": 1}, DEPLOY, False),
]


@pytest.mark.parametrize(("type_", "args", "select", "passes"), CASES,
                         ids=[f"{c[0]}-{'pass' if c[3] else 'fail'}-{i}" for i, c in enumerate(CASES)])
def test_assertion_type(type_: str, args: dict[str, Any], select: Selector, passes: bool) -> None:
    failures = run(type_, args, select)
    assert (not failures) == passes, [f.to_finding().render() for f in failures]
    # `not: true` inverts every one of these (none of them is an argument error)
    negated = run(type_, args, select, negate=True)
    assert (not negated) == (not passes), [f.to_finding().render() for f in negated]


def test_every_schema_type_is_registered_or_handled_elsewhere() -> None:
    import json
    from importlib import resources

    from chartgate.assertions.registry import ELSEWHERE

    schema = json.loads(resources.files("chartgate").joinpath("schemas/scenario.schema.json").read_text())
    names = set(schema["definitions"]["assertion"]["propertyNames"]["enum"]) - {"select", "not"}
    assert names == set(REGISTRY) | set(ELSEWHERE)
    assert all(get(n).name == n for n in REGISTRY)


# --- failure messages --------------------------------------------------------------------
def test_failure_names_document_template_path_expected_and_actual() -> None:
    (failure,) = run("equal", {"path": "spec.replicas", "value": 3})
    text = failure.to_finding("prod").render()
    assert "Deployment/clockwork-server" in text
    assert "templates/deployment.yaml" in text
    assert "spec.replicas" in text
    assert "expected: 3" in text
    assert "actual:   2" in text
    f = failure.to_finding("prod")
    assert (f.stage, f.rule, f.object, f.template, f.path, f.expected, f.actual, f.scenario) == (
        "assertions", "equal", "Deployment/clockwork-server", "templates/deployment.yaml",
        "spec.replicas", 3, 2, "prod")


def test_missing_path_is_a_failure_that_negation_does_not_hide() -> None:
    for negate in (False, True):
        (failure,) = run("equal", {"path": "spec.replicaz", "value": 2}, negate=negate)
        assert "path not found" in failure.message
        assert "replicaz" in failure.message
    (failure,) = run("matchRegex", {"path": "spec.replicas", "pattern": "2"})
    assert "not a string" in failure.message


def test_no_matching_document_lists_what_rendered() -> None:
    (failure,) = run("exists", {"path": "spec"}, Selector(kind="Ingress"))
    assert "no document matches {kind=Ingress}" in failure.message
    assert "Deployment/clockwork-server" in failure.message


def test_no_match_by_template_shows_where_that_kind_came_from() -> None:
    (failure,) = run("exists", {"path": "spec"}, Selector(kind="Service", template="templates/svc.yaml"))
    assert "(rendered: Service/clockwork-server (from templates/service.yaml))" in failure.message


def test_selection_by_template_and_api_version() -> None:
    assert not run("isKind", {"of": "Service"}, Selector(template="templates/service.yaml"))
    assert not run("hasDocuments", {"count": 2}, Selector(api_version="v1"))


def test_decode_base64_regex() -> None:
    sel = Selector(kind="Secret")
    assert not run("matchRegex", {"path": "data.DATABASE_URL", "pattern": "^postgres://",
                                  "decodeBase64": True}, sel)
    assert run("matchRegex", {"path": "data.DATABASE_URL", "pattern": "^postgres://"}, sel)


@pytest.mark.parametrize(("type_", "args", "message"), [
    ("equal", {"path": "spec.replicas"}, "missing argument 'value'"),
    ("matchRegex", {"path": "metadata.name", "pattern": "("}, "bad regex"),
    ("isType", {"path": "spec.replicas", "type": "complex"}, "unknown type"),
    ("hasDocuments", {"count": "two"}, "needs `count: <int>`"),
    ("isKind", {}, "needs `of"),
    ("lengthEqual", {"path": "spec"}, "needs `path`"),
    ("isNull", {}, "isNull: missing argument 'path'"),
    ("bogus", {}, "unknown assertion type 'bogus'"),
    ("equal", {"path": "spec[", "value": 1}, "bad path"),
])
def test_argument_errors(type_: str, args: dict[str, Any], message: str) -> None:
    with pytest.raises(AssertionArgsError, match=message.replace("[", r"\[").replace("(", r"\(")):
        run(type_, args)


def test_quantities_and_uncomparable_values() -> None:
    assert not run("lessOrEqual", {"path": "spec.template.spec.containers[0].resources.limits.cpu",
                                   "value": "0.5"})
    (failure,) = run("greaterOrEqual", {"path": "metadata.labels", "value": 1})
    assert "cannot compare" in failure.message


# --- Python API --------------------------------------------------------------------------
def test_python_api_passes_and_chains() -> None:
    (expect(MANIFESTS).doc("Deployment", "clockwork-server")
     .equal("spec.replicas", 2)
     .not_.equal("spec.replicas", 5)
     .match_regex("spec.template.spec.containers[0].image", "clockwork")
     .contains("spec.template.spec.containers[0].env", {"name": "ENV"}, any=True)
     .isSubset("metadata.labels", {"tier": "web"}))
    expect(MANIFESTS).has_documents(3)
    expect(MANIFESTS).kind("Service").is_kind("Service")
    expect(MANIFESTS).select(kind="Service").not_.exists("spec.clusterIP")


def test_python_api_raises_the_same_message_as_the_finding() -> None:
    spec = AssertionSpec(type="equal", args={"path": "spec.replicas", "value": 3}, select=DEPLOY)
    (failure,) = evaluate(spec, MANIFESTS)
    with pytest.raises(AssertionError) as info:
        expect(MANIFESTS).doc("Deployment", "clockwork-server").equal("spec.replicas", 3)
    assert str(info.value) == failure.to_finding().render()
    assert "Deployment/clockwork-server (templates/deployment.yaml) spec.replicas" in str(info.value)


def test_python_api_negation_applies_to_one_assertion_only() -> None:
    e = expect(MANIFESTS).doc("Deployment")
    with pytest.raises(AssertionError, match="anything but 2"):
        e.not_.equal("spec.replicas", 2)
    chained = e.not_.equal("spec.replicas", 9)
    chained.equal("spec.replicas", 2)  # not negated any more
    with pytest.raises(AssertionError):
        chained.equal("spec.replicas", 9)


def test_python_api_rejects_unknown_names_and_extra_positionals() -> None:
    with pytest.raises(AttributeError):
        expect(MANIFESTS).nonsense  # noqa: B018
    with pytest.raises(AssertionArgsError, match="at most 2 positional"):
        expect(MANIFESTS).doc("Deployment").equal("a", 1, 2)


# --- the stage ---------------------------------------------------------------------------
def _rendered(expect_: Expectations, manifests: Any = MANIFESTS, error: str | None = None) -> Rendered:
    sc = Scenario(name="s1", file=Path("tests/scenarios/s1.yaml"), chart=Path("chart"), expect=expect_)
    return Rendered(sc, manifests, error, 0.0, False)


def test_stage_present_absent_count_and_assertions() -> None:
    ex = Expectations(
        present=("Deployment/clockwork-server", "Ingress/clockwork"),
        absent=("Service/clockwork-server", "HorizontalPodAutoscaler/clockwork"),
        count={"Deployment": 1, "Secret": 2},
        assertions=(AssertionSpec.parse({"equal": {"path": "spec.replicas", "value": 3},
                                         "select": {"kind": "Deployment"}}),
                    AssertionSpec.parse({"isKind": {"of": "Secret"}, "select": {"kind": "Secret"}}),
                    AssertionSpec.parse({"matchSnapshot": {}}),
                    AssertionSpec.parse({"equal": {"path": "x"}, "select": {"kind": "Secret"}})),
    )
    findings = AssertionsStage().check(_rendered(ex))
    by_rule = {f.rule: f for f in findings}
    assert set(by_rule) == {"present", "absent", "count", "equal", "matchSnapshot"}
    assert by_rule["present"].object == "Ingress/clockwork"
    assert by_rule["absent"].template == "templates/service.yaml"
    assert (by_rule["count"].expected, by_rule["count"].actual) == (2, 1)
    assert by_rule["matchSnapshot"].severity is Severity.NOTE
    equal = [f for f in findings if f.rule == "equal"]
    assert len(equal) == 2
    assert equal[0].scenario == "s1" and equal[0].actual == 2
    assert "assertions[3] in s1.yaml" in equal[1].message


def test_stage_passes_clean_expectations() -> None:
    ex = Expectations(present=("Service/clockwork-server",), absent=("Ingress/clockwork",),
                      count={"Deployment": 1},
                      assertions=(AssertionSpec.parse({"hasDocuments": 3}),))
    assert AssertionsStage().check(_rendered(ex)) == []


def test_stage_reports_a_failed_render_unless_failed_template_expects_it() -> None:
    (f,) = AssertionsStage().check(_rendered(Expectations(), None, "template: boom"))
    assert f.rule == "render" and "boom" in f.message
    ft = Expectations(assertions=(AssertionSpec.parse({"failedTemplate": {"errorPattern": "bo+m"}}),))
    assert AssertionsStage().check(_rendered(ft, None, "template: boom")) == []
    (f,) = AssertionsStage().check(_rendered(ft, None, "template: bang"))
    assert f.rule == "failedTemplate" and "errorPattern" in f.message
    (f,) = AssertionsStage().check(_rendered(ft))
    assert "rendered, but a failure was expected" in f.message


def test_failed_template_error_message_and_negation() -> None:
    from chartgate.assertions import failed_template

    assert failed_template.check("x: must set db", {"errorMessage": "must set db"}) == []
    (f,) = failed_template.check("x: other", {"errorMessage": "must set db"})
    assert "errorMessage" in f.message
    assert failed_template.check(None, {}, negate=True) == []
    (f,) = failed_template.check("x: boom", {}, negate=True)
    assert f.title == "not failedTemplate"


def test_expect_accepts_rendered_and_raw_text() -> None:
    ok = _rendered(Expectations())
    expect(ok).has_documents(3)
    expect(MANIFESTS.raw).doc("Service").equal("spec.type", "ClusterIP")
    with pytest.raises(AssertionError, match="did not render: boom"):
        expect(_rendered(Expectations(), None, "boom"))
    with pytest.raises(TypeError):
        expect(42)


def test_evaluate_all_collects_failures_of_every_spec() -> None:
    specs = [AssertionSpec("equal", {"path": "spec.replicas", "value": 9}, DEPLOY),
             AssertionSpec("hasDocuments", {"count": 3}),
             AssertionSpec("isKind", {"of": "Pod"}, Selector(kind="Service"))]
    assert [f.rule for f in evaluate_all(specs, MANIFESTS)] == ["equal", "isKind"]
