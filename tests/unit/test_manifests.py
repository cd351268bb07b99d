"""The rendered-set model: parsing, path queries, lookup, label selectors."""

from __future__ import annotations

import pytest

from chartgate import manifests
from chartgate.manifests import (
    ManifestSet,
    PathError,
    duplicate_keys,
    parse,
    parse_path,
    pod_labels,
    resolve,
    selector_matches,
)

RENDERED = """---
# Source: clockwork/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: clockwork
---
# Source: clockwork/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: clockwork-server
  namespace: prod
  labels: {app.kubernetes.io/name: clockwork}
spec:
  selector: {app.kubernetes.io/name: clockwork, app.kubernetes.io/component: server}
---
# Source: clockwork/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: clockwork-server
  labels: {app.kubernetes.io/name: clockwork, helm.sh/chart: clockwork-0.1.0}
  annotations: {checksum/config: abc}
spec:
  template:
    metadata:
      labels: {app.kubernetes.io/name: clockwork, app.kubernetes.io/component: server}
    spec:
      containers:
        - name: server
          image: clockwork:1
          ports: [{name: http, containerPort: 8080}]
        - name: sidecar
          image: proxy:2
---
# Source: clockwork/templates/migrate-job.yaml
apiVersion: batch/v1
kind: Job
metadata: {name: clockwork-migrate}
spec:
  template:
    metadata: {labels: {app.kubernetes.io/component: migrate}}
    spec: {containers: [{name: goose, image: goose:3}]}
---
# a comment-only chunk renders nothing
---
"""


@pytest.fixture(scope="module")
def ms() -> ManifestSet:
    return parse(RENDERED, notes="NOTES here")


def test_parse_keeps_order_source_and_skips_empty_chunks(ms: ManifestSet) -> None:
    assert ms.refs() == ["ServiceAccount/clockwork", "Service/clockwork-server",
                         "Deployment/clockwork-server", "Job/clockwork-migrate"]
    assert [d.index for d in ms] == [0, 1, 2, 3]
    dep = ms.get("Deployment", "clockwork-server")
    assert dep.source == "clockwork/templates/deployment.yaml"
    assert dep.template == "templates/deployment.yaml"
    assert dep.describe() == "Deployment/clockwork-server (from templates/deployment.yaml)"
    assert ms.notes == "NOTES here" and len(ms) == 4 and ms.raw == RENDERED


def test_document_properties(ms: ManifestSet) -> None:
    svc = ms.get("Service", "clockwork-server")
    assert (svc.kind, svc.api_version, svc.name, svc.namespace) == (
        "Service", "v1", "clockwork-server", "prod")
    sa = ms.get("ServiceAccount", "clockwork")
    assert sa.namespace == "" and sa.labels == {} and sa.annotations == {}
    assert ms.get("Deployment", "clockwork-server").annotations == {"checksum/config": "abc"}


@pytest.mark.parametrize(("path", "value"), [
    ("spec.template.spec.containers[0].image", "clockwork:1"),
    ("spec.template.spec.containers[-1].name", "sidecar"),
    ("spec.template.spec.containers[name=sidecar].image", "proxy:2"),
    ("spec.template.spec.containers[name='server'].ports[name=http].containerPort", 8080),
    ('metadata.labels["helm.sh/chart"]', "clockwork-0.1.0"),
    ("metadata.annotations['checksum/config']", "abc"),
    ("kind", "Deployment"),
])
def test_path_queries(ms: ManifestSet, path: str, value: object) -> None:
    doc = ms.get("Deployment", "clockwork-server")
    assert doc.get(path) == value
    assert doc.has(path)


def test_whole_document_path(ms: ManifestSet) -> None:
    doc = ms.get("ServiceAccount", "clockwork")
    assert doc.get(".") is doc.body and doc.get("") is doc.body


@pytest.mark.parametrize(("path", "message"), [
    ("spec.replicas", "spec: no key 'replicas'"),
    ("spec.template.spec.containers[5]", "spec.template.spec.containers: no index [5]"),
    ("spec.template.spec.containers[name=db]", "no item with name=db"),
    ("metadata.name[0]", "metadata.name: no index [0]"),
    ("metadata[name=x]", "metadata: not a list"),
])
def test_missing_paths_explain_where_they_stopped(ms: ManifestSet, path: str, message: str) -> None:
    doc = ms.get("Deployment", "clockwork-server")
    with pytest.raises(PathError, match=message.replace("[", r"\[")):
        doc.get(path)
    assert doc.get(path, None) is None
    assert not doc.has(path)


def test_parse_path_tokens_and_errors() -> None:
    assert parse_path('a.b[0]["c.d/e"][k=v]') == ["a", "b", 0, "c.d/e", ("k", "v")]
    with pytest.raises(PathError, match="bad path"):
        parse_path("a..b[")
    assert resolve({"a": [{"b": 1}]}, "a[0].b") == 1


def test_find_by_kind_name_template_api_version(ms: ManifestSet) -> None:
    assert [d.ref for d in ms.find(kind="Service")] == ["Service/clockwork-server"]
    assert [d.kind for d in ms.find(name="clockwork-server")] == ["Service", "Deployment"]
    assert [d.ref for d in ms.find(template="migrate-job.yaml")] == ["Job/clockwork-migrate"]
    assert [d.kind for d in ms.find(api_version="v1")] == ["ServiceAccount", "Service"]
    assert ms.find(kind="Service", name="nope") == []
    assert ms.kinds() == ["ServiceAccount", "Service", "Deployment", "Job"]
    assert len(ms.by_kind("Deployment")) == 1
    with pytest.raises(KeyError, match="no Ingress/x rendered; have: ServiceAccount/clockwork"):
        ms.get("Ingress", "x")


def test_service_selector_selects_pod_templates(ms: ManifestSet) -> None:
    svc = ms.get("Service", "clockwork-server")
    hits = ms.select(svc.body["spec"]["selector"])
    assert [d.ref for d in hits] == ["Deployment/clockwork-server"]
    migrate = {"matchLabels": {"app.kubernetes.io/component": "migrate"}}
    assert ms.select(migrate, kinds=["Job"])[0].kind == "Job"
    assert ms.select(migrate, kinds=["Deployment"]) == []
    # non-workloads match on their own labels
    assert [d.ref for d in ms.select({"app.kubernetes.io/name": "clockwork"}, kinds=["Service"])] == [
        "Service/clockwork-server"]
    assert pod_labels(ms.get("ServiceAccount", "clockwork")) == {}


@pytest.mark.parametrize(("selector", "labels", "matches"), [
    ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
    ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
    ({"a": "1"}, {"a": "1"}, True),  # Service-style plain map
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]}, {"a": "2"}, True),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1"]}]}, {}, False),
    ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {"a": "1"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {}, True),
    ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"a": ""}, True),
    ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {}, False),
    ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"a": "x"}, False),
    ({"matchLabels": {"a": "1"}, "matchExpressions": [{"key": "b", "operator": "DoesNotExist"}]},
     {"a": "1"}, True),
    ({}, {"a": "1"}, False),  # an empty selector selects nothing here (never everything by accident)
    (None, {"a": "1"}, False),
])
def test_selector_semantics(selector: dict | None, labels: dict, matches: bool) -> None:
    assert selector_matches(selector, labels) is matches


DUPLICATES = """---
# Source: c/templates/a.yaml
base: &b {x: 1, y: 2}
kind: A
a:
  <<: *b
  x: 3
  x: 4
list:
  - name: a
    name: b
  - [1, {k: 1, k: 2}]
"a.b/c": {q: 1, q: 2}
---
just a string
---
kind: B
m: {<<: {y: 0}, y: 9, y: 10}
"""


def test_duplicate_keys_path_line_and_index_of_parse() -> None:
    ms = parse(DUPLICATES)
    assert [d.body["kind"] for d in ms] == ["A", "B"]
    assert ms.documents[0].body["a"] == {"x": 4, "y": 2}  # YAML keeps the last value
    # a merge key (<<) is not a repeat: the keys are read before merges are resolved
    assert duplicate_keys(DUPLICATES) == [
        (0, "a.x", 8), (0, "list[0].name", 11), (0, "list[1][1].k", 12), (0, '["a.b/c"].q', 13),
        (1, "m.y", 3)]


def test_duplicate_keys_reuse_the_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    text = DUPLICATES.replace("kind: B", "kind: C")  # texts no other test parsed
    parse(text)
    composed: list[str] = []

    class Counting(manifests.SafeLoader):  # type: ignore[misc,valid-type]
        def __init__(self, stream: str) -> None:
            composed.append(stream)
            super().__init__(stream)

    monkeypatch.setattr(manifests, "SafeLoader", Counting)
    assert duplicate_keys(text)[-1] == (1, "m.y", 3)
    assert composed == []
