"""The k8s-schema stage agrees with ``kubeconform -strict`` (the tool most charts use for
this job, built from its pinned Go module; schemas generated offline from the same
kubernetes-validate tree by :func:`chartgate.tools.kubeconform.local_schemas`).

Both validators see every document of every scenario that renders, and a set of
hand-made documents with known defects; their verdicts must match document by document.
A difference means one of them validates something the other does not — the stage's
claim "strict, like kubeconform, without the network" would no longer hold.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import yaml

from chartgate import manifests
from chartgate.k8s_schemas import resolve_version
from chartgate.render import Renderer
from chartgate.scenario import Defaults, load_dir
from chartgate.stages.k8s_schema import K8sSchemaStage
from chartgate.tools.kubeconform import Kubeconform, local_schemas

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "clockwork"
KUBE = "1.34.0"

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "ok"},
    "spec": {"selector": {"matchLabels": {"app": "x"}},
             "template": {"metadata": {"labels": {"app": "x"}},
                          "spec": {"containers": [{"name": "c", "image": "x:1"}]}}},
}


def _with(path: list[str | int], value: object, name: str) -> dict:
    doc = yaml.safe_load(yaml.safe_dump(DEPLOYMENT))
    doc["metadata"]["name"] = name
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


_DELETE = object()
CONTAINER = ["spec", "template", "spec", "containers", 0]
HANDMADE: dict[str, tuple[dict, bool]] = {  # name -> (document, valid)
    "ok": (DEPLOYMENT, True),
    "unknown-field": (_with([*CONTAINER, "imagePullPolicyy"], "Always", "unknown-field"), False),
    "wrong-type": (_with(["spec", "replicas"], "three", "wrong-type"), False),
    "missing-required": (_with(["spec", "template", "spec", "containers"], _DELETE, "missing-required"),
                         False),
    "bad-enum-like-int": (_with([*CONTAINER, "ports"], [{"containerPort": "http"}], "bad-enum-like-int"),
                          False),
    "unknown-top-level": (_with(["spec", "strategyy"], {}, "unknown-top-level"), False),
}


def _kubeconform_verdicts(kc: Kubeconform, files: list[Path]) -> dict[tuple[str, str, str], str]:
    return {(Path(r.filename).name, r.kind, r.name): r.status for r in kc.validate(files)}


def test_handmade_documents_get_the_same_verdict(tmp_path: Path) -> None:
    stage = K8sSchemaStage(schema_dir=None)
    version = resolve_version(KUBE)
    kinds = {("apps/v1", "Deployment")}
    # generated here, not taken from the cache: the standalone-schema generation is under test too
    kc = Kubeconform(local_schemas(KUBE, kinds, dest=tmp_path / "schemas"), KUBE, verbose=True)
    files = []
    for name, (doc, _) in HANDMADE.items():
        f = tmp_path / f"{name}.yaml"
        f.write_text(yaml.safe_dump(doc))
        files.append(f)
    theirs = _kubeconform_verdicts(kc, files)
    for name, (doc, valid) in HANDMADE.items():
        ours = stage.validate(manifests.parse(yaml.safe_dump(doc)).documents[0], version, name)
        assert (not ours) is valid, f"{name}: chartgate says {[f.message for f in ours] or 'valid'}"
        status = theirs[(f"{name}.yaml", "Deployment", name)]
        assert (status == "statusValid") is valid, f"{name}: kubeconform says {status}"


def test_unknown_kind_is_an_error_for_both(tmp_path: Path) -> None:
    doc = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {}}
    f = tmp_path / "widget.yaml"
    f.write_text(yaml.safe_dump(doc))
    kc = Kubeconform(local_schemas(KUBE, {("apps/v1", "Deployment")}), KUBE)
    [result] = kc.validate([f])
    assert result.status == "statusError" and "could not find schema" in result.msg, result
    ours = K8sSchemaStage().validate(manifests.parse(yaml.safe_dump(doc)).documents[0],
                                     resolve_version(KUBE), "widget")
    assert [f.rule for f in ours] == ["unknown-kind"], ours


def test_every_rendered_document_gets_the_same_verdict(tmp_path: Path) -> None:
    scenarios = load_dir(ROOT / "tests" / "scenarios", Defaults(chart=CHART.resolve()))
    rendered = Renderer().render_all(scenarios)
    stage = K8sSchemaStage()
    by_version: dict[str, list[tuple[Path, list]]] = defaultdict(list)
    for i, (_, r) in enumerate(sorted(rendered.items())):
        if r.manifests is None or not r.manifests.documents:
            continue
        kube = r.scenario.args.kube_version or KUBE
        f = tmp_path / f"s{i:03d}.yaml"
        f.write_text(r.manifests.raw)
        by_version[kube].append((f, list(r.manifests.documents)))
    compared = 0
    for kube, items in by_version.items():
        version = resolve_version(kube)
        kinds = {(d.api_version, d.kind) for _, docs in items for d in docs}
        kc = Kubeconform(local_schemas(kube, kinds), kube, verbose=True)
        theirs = _kubeconform_verdicts(kc, [f for f, _ in items])
        for f, docs in items:
            for doc in docs:
                ours = stage.validate(doc, version, f.name)
                status = theirs.get((f.name, doc.kind, doc.name), "missing")
                assert (status == "statusValid") == (not ours), (
                    f"{f.name} {doc.kind}/{doc.name} (Kubernetes {kube}): kubeconform {status}, "
                    f"chartgate {[x.message for x in ours] or 'valid'}")
                compared += 1
    assert compared >= 500, f"only {compared} documents compared"
