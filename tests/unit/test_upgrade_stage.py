"""The upgrade stage: base/head fixture chart pairs (one per rule class, and a pair that
upgrades cleanly) rendered through the real pipeline and pinned helm; pairing, SemVer,
acknowledgements, the three kinds of ``--base``; and the acceptance case — ``chartgate gate
--base HEAD~1`` on a commit that changes the clockwork Deployment's selector with a patch
bump fails, naming the object, field and template (built in a temporary clone)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
import textwrap
from pathlib import Path

import pytest

from chartgate import cache, semver
from chartgate.cli import main
from chartgate.manifests import parse
from chartgate.pipeline import Gate, GateConfig
from chartgate.report.model import Report, Severity
from chartgate.scenario import Defaults, ScenarioError, load_file
from chartgate.stages import upgrade

FIXTURES = Path(__file__).parent / "fixtures" / "upgrade"
REPO = Path(__file__).resolve().parents[2]
REAL_CACHE = str(cache.root())
pytest_plugins = ["pytester"]

# What each fixture pair must produce as errors: (rule, object, field path). Nothing else.
EXPECTED: dict[str, set[tuple[str, str, str]]] = {
    "deployment-selector": {("immutable-field", "Deployment/demo-web", "spec.selector")},
    "statefulset-volumeclaimtemplates": {
        ("immutable-field", "StatefulSet/demo-db", "spec.volumeClaimTemplates")},
    "job-template": {("immutable-field", "Job/demo-migrate", "spec.template")},
    "service-clusterip": {("immutable-field", "Service/demo-web", "spec.clusterIP")},
    "pvc-spec": {("immutable-field", "PersistentVolumeClaim/demo-files", "spec.accessModes[0]")},
    "pvc-rename": {("data-loss", "PersistentVolumeClaim/demo-files", "")},
    "configmap-immutable": {("immutable-field", "ConfigMap/demo-settings", "data.LEVEL")},
    "storageclass-parameters": {("immutable-field", "StorageClass/demo-fast", "parameters")},
    "rolebinding-roleref": {("immutable-field", "RoleBinding/demo-reader", "roleRef")},
    "secret-generated-rename": {("data-loss", "Secret/demo-db-credentials", "")},
    "keep-dropped": {("data-loss", "PersistentVolumeClaim/demo-files",
                      'metadata.annotations["helm.sh/resource-policy"]')},
    "service-selector": {("service-selector", "Service/demo-web", "spec.selector")},
    "service-headless": {("immutable-field", "Service/demo-web", "spec.clusterIP")},
    "statefulset-servicename": {("immutable-field", "StatefulSet/demo-db", "spec.serviceName")},
    "pvc-shrink": {
        ("immutable-field", "PersistentVolumeClaim/demo-files", "spec.resources.requests.storage")},
    "removed-api": {("removed-api", "HorizontalPodAutoscaler/demo-web", "apiVersion")},
    # pairs the API accepts: nothing may be flagged
    "clean": set(),
    "job-suspended-scheduling": set(),  # a suspended Job's scheduling directives may change
    "service-externalname": set(),  # unchanged cluster IPs are dropped on the way to ExternalName
}


def _scenarios(tmp_path: Path, text: str = "") -> Path:
    d = tmp_path / "scenarios"
    d.mkdir(exist_ok=True)
    (d / "default.yaml").write_text(textwrap.dedent(text) or "description: defaults\n")
    return d


def _run(head: Path, base: Path | str, tmp_path: Path, scenario: str = "") -> Report:
    config = GateConfig(chart=head, scenarios=_scenarios(tmp_path, scenario),
                        stages=("render", "upgrade"), base=str(base), release="demo", namespace="demo")
    return Gate(config).run()


def _errors(report: Report) -> set[tuple[str, str, str]]:
    return {(f.rule, f.object, f.path) for f in report.findings() if f.severity is Severity.ERROR}


def _copy(case: str, tmp_path: Path, version: str | None = None) -> Path:
    head = tmp_path / "head"
    shutil.copytree(FIXTURES / case / "head", head)
    if version is not None:
        chart = head / "Chart.yaml"
        chart.write_text(re.sub(r"(?m)^version: .*$", f"version: {version}", chart.read_text()))
    return head


def test_every_rule_class_has_a_fixture_pair() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_fixture_pair_flags_exactly_its_rule(case: str, tmp_path: Path) -> None:
    report = _run(FIXTURES / case / "head", FIXTURES / case / "base", tmp_path)
    assert _errors(report) == EXPECTED[case], "\n".join(f.render() for f in report.findings())
    assert report.failed is bool(EXPECTED[case])
    for f in report.findings():
        if f.severity is Severity.ERROR and f.object:
            assert f.stage == "upgrade" and f.scenario == "default" and f.template.startswith("templates/")


def test_findings_cite_the_api_rule_and_show_base_and_head(tmp_path: Path) -> None:
    report = _run(FIXTURES / "deployment-selector" / "head", FIXTURES / "deployment-selector" / "base",
                  tmp_path)
    [f] = [f for f in report.findings() if f.severity is Severity.ERROR]
    assert "apps/v1 Deployment: spec.selector is immutable (field is immutable)" in f.message
    assert f.template == "templates/deployment.yaml"
    assert f.expected == {"matchLabels": {"app": "web"}}
    assert f.actual == {"matchLabels": {"app": "web-server"}}
    assert "1.0.0 → 1.0.1 is not a major bump" in f.message

    sts = _run(FIXTURES / "statefulset-volumeclaimtemplates" / "head",
               FIXTURES / "statefulset-volumeclaimtemplates" / "base", tmp_path)
    [g] = [f for f in sts.findings() if f.severity is Severity.ERROR]
    assert "updates to statefulset spec for fields other than 'replicas', 'ordinals'" in g.message
    assert "spec.volumeClaimTemplates[0].spec.resources.requests.storage" in g.message


def test_clean_pair_reports_hook_recreation_and_expansion_as_notes(tmp_path: Path) -> None:
    report = _run(FIXTURES / "clean" / "head", FIXTURES / "clean" / "base", tmp_path)
    notes = {(f.rule, f.object) for f in report.findings() if f.severity is Severity.NOTE}
    assert ("hook-recreated", "Job/demo-migrate") in notes
    assert ("volume-expansion", "PersistentVolumeClaim/demo-files") in notes
    assert not [f for f in report.findings() if f.severity is not Severity.NOTE]


def test_a_major_bump_turns_breaking_findings_into_warnings(tmp_path: Path) -> None:
    head = _copy("deployment-selector", tmp_path, "2.0.0")
    report = _run(head, FIXTURES / "deployment-selector" / "base", tmp_path)
    assert not report.failed
    [f] = [f for f in report.findings() if f.rule == "immutable-field"]
    assert f.severity is Severity.WARNING and "breaking-change bump" in f.message


@pytest.mark.parametrize(("old", "new", "breaking"), [
    ("1.0.0", "2.0.0", True), ("1.0.0", "1.1.0", False), ("1.0.0", "1.0.1", False),
    ("0.1.0", "0.2.0", True), ("0.1.0", "0.1.1", False), ("2.0.0", "1.9.0", False),
])
def test_breaking_bump(old: str, new: str, breaking: bool) -> None:
    assert semver.breaking_bump(old, new) is breaking


def test_a_change_without_a_version_bump_fails_the_run(tmp_path: Path) -> None:
    head = _copy("clean", tmp_path, "1.0.0")
    report = _run(head, FIXTURES / "clean" / "base", tmp_path)
    [f] = [f for f in report.findings() if f.severity is Severity.ERROR]
    assert (f.rule, f.template) == ("semver", "Chart.yaml")
    assert "not greater than 1.0.0" in f.message


def test_acknowledged_finding_is_a_warning_with_its_reason(tmp_path: Path) -> None:
    scenario = """
        upgrade:
          acknowledge:
            - object: Deployment/demo-web
              path: spec.selector
              reason: release notes tell users to delete the Deployment first
            - object: Service/demo-nothing
              reason: left over from an earlier release
    """
    report = _run(FIXTURES / "deployment-selector" / "head", FIXTURES / "deployment-selector" / "base",
                  tmp_path, scenario)
    assert not report.failed
    by_rule = {f.rule: f for f in report.findings()}
    ack = by_rule["immutable-field"]
    assert ack.severity is Severity.WARNING
    assert "acknowledged in default.yaml: release notes tell users" in ack.message
    stale = by_rule["acknowledgement"]
    assert stale.severity is Severity.WARNING and "matches no finding" in stale.message


def test_removed_and_deprecated_apis_for_the_target_kubernetes(tmp_path: Path) -> None:
    case = FIXTURES / "removed-api"
    report = _run(case / "head", case / "base", tmp_path)
    by_rule = {f.rule: f for f in report.findings() if f.rule.endswith("-api")}
    removed, deprecated = by_rule["removed-api"], by_rule["deprecated-api"]
    assert removed.severity is Severity.ERROR and removed.template == "templates/hpa.yaml"
    assert ("autoscaling/v2beta2 HorizontalPodAutoscaler is no longer served as of Kubernetes v1.26"
            in removed.message)
    assert "use autoscaling/v2 HorizontalPodAutoscaler" in removed.message
    assert (deprecated.severity, deprecated.object) == (Severity.WARNING, "Endpoints/demo-external-db")
    # the same chart for a cluster that still serves v2beta2 (deprecated since 1.23): a warning
    (tmp_path / "older").mkdir()
    older = _run(case / "head", case / "base", tmp_path / "older", 'kubeVersion: "1.24.0"\n')
    assert not older.failed
    [f] = [f for f in older.findings() if f.object == "HorizontalPodAutoscaler/demo-web"]
    assert f.rule == "deprecated-api" and "removed in v1.26" in f.message
    assert not [f for f in older.findings() if f.object == "Endpoints/demo-external-db"]


@pytest.mark.parametrize(("api_version", "kind", "kube", "expected"), [
    ("policy/v1beta1", "PodDisruptionBudget", "1.20", None),
    ("policy/v1beta1", "PodDisruptionBudget", "1.21.3", "deprecated"),
    ("policy/v1beta1", "PodDisruptionBudget", "v1.25.0", "removed"),
    ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", "1.32", "removed"),
    ("extensions/v1beta1", "Ingress", "1.34.0", "removed"),
    ("networking.k8s.io/v1", "Ingress", "1.34.0", None),
    ("v1", "Endpoints", "1.34", "deprecated"),
])
def test_api_lifecycle_table(api_version: str, kind: str, kube: str, expected: str | None) -> None:
    from chartgate import api_lifecycle

    found = api_lifecycle.status(api_version, kind, kube)
    assert (found[0] if found else None) == expected


def test_acknowledgement_needs_a_reason(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("upgrade:\n  acknowledge:\n    - object: Deployment/x\n      path: spec.selector\n")
    with pytest.raises(ScenarioError, match="reason"):
        load_file(f, Defaults(chart=tmp_path))


def test_base_as_packaged_chart(tmp_path: Path) -> None:
    pkg = tmp_path / "fx-1.0.0.tgz"
    with tarfile.open(pkg, "w:gz") as tar:
        tar.add(FIXTURES / "deployment-selector" / "base", arcname="fx")
    report = _run(FIXTURES / "deployment-selector" / "head", pkg, tmp_path)
    assert _errors(report) == EXPECTED["deployment-selector"]


def test_base_that_names_nothing_is_an_actionable_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no chart at .* in git ref 'no-such-ref'"):
        _run(REPO / "deploy" / "helm" / "clockwork", "no-such-ref", tmp_path)


def test_pairing_is_by_group_kind_namespace_name() -> None:
    base = parse(textwrap.dedent("""
        apiVersion: autoscaling/v2beta2
        kind: HorizontalPodAutoscaler
        metadata: {name: web}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: a, namespace: other}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: gone}
    """))
    head = parse(textwrap.dedent("""
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: web, namespace: demo}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: a}
    """))
    p = upgrade.pair(base, head, "demo")
    assert [(b.api_version, h.api_version) for b, h in p.pairs] == [("autoscaling/v2beta2", "autoscaling/v2")]
    assert sorted(d.name for d in p.removed) == ["a", "gone"]
    assert [(d.kind, d.name) for d in p.added] == [("ConfigMap", "a")]


def test_rule_details_without_helm() -> None:
    def one(base: str, head: str) -> list[upgrade.Change]:
        return upgrade.changes(parse(textwrap.dedent(base)), parse(textwrap.dedent(head)), "demo")

    # an Indexed Job may change completions together with parallelism
    job = """
        apiVersion: batch/v1
        kind: Job
        metadata: {name: j}
        spec: {completionMode: Indexed, completions: %d, parallelism: %d, template: {spec: {}}}
    """
    assert one(job % (2, 2), job % (4, 4)) == []
    assert [c.path for c in one(job % (2, 2), job % (4, 2))] == ["spec.completions"]
    # a suspended Job may change its scheduling directives, not its containers; defaults the API
    # fills in are no change; completionMode left out is NonIndexed
    susp = """
        apiVersion: batch/v1
        kind: Job
        metadata: {name: j}
        spec: {suspend: %s, %s template: {spec: {nodeSelector: {pool: %s},
                                                  containers: [{name: c, image: %s}]}}}
    """
    assert one(susp % ("true", "", "a", "x:1"), susp % ("true", "", "b", "x:1")) == []
    assert [c.path for c in one(susp % ("false", "", "a", "x:1"), susp % ("false", "", "b", "x:1"))] == [
        "spec.template"]
    [c] = one(susp % ("true", "", "a", "x:1"), susp % ("true", "", "a", "x:2"))
    assert c.path == "spec.template" and "the base Job is suspended" in c.message
    assert one(susp % ("false", "", "a", "x:1"),
               (susp % ("false", "completionMode: NonIndexed,", "a", "x:1")).replace(
                   "image: x:1", "image: x:1, imagePullPolicy: IfNotPresent")) == []
    # a StatefulSet's podManagementPolicy left out is the default OrderedReady
    sts = """
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: s}
        spec: {serviceName: s, %s replicas: %d, selector: {matchLabels: {a: b}}}
    """
    assert one(sts % ("", 1), sts % ("podManagementPolicy: OrderedReady,", 3)) == []
    assert [c.path for c in one(sts % ("", 1), sts % ("podManagementPolicy: Parallel,", 1))] == [
        "spec.podManagementPolicy"]
    # a PVC storage request may grow, not shrink
    pvc = """
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: p}
        spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: %s}}}
    """
    assert [(c.rule, c.breaking) for c in one(pvc % "1Gi", pvc % "1500Mi")] == [("volume-expansion", False)]
    assert [(c.rule, c.breaking) for c in one(pvc % "2Gi", pvc % "1Gi")] == [("immutable-field", True)]
    [c] = one(pvc % "2Gi", pvc % "1Gi")
    assert "field can not be less than status.capacity" in c.message
    # only the storage request may change; other requests and limits are frozen
    limits = pvc.replace("requests: {storage: %s}", "requests: {storage: 1Gi}, limits: {storage: %s}")
    assert [c.path for c in one(limits % "1Gi", limits % "2Gi")] == ["spec.resources.limits.storage"]
    # Service: headless dropped from the manifest -> the API keeps "None" (a warning, not breaking)
    svc = """
        apiVersion: v1
        kind: Service
        metadata: {name: s}
        spec: {%s selector: {a: b}, ports: [{port: 80}]}
    """
    [c] = one(svc % "clusterIP: None,", svc % "")
    assert (c.path, c.breaking, c.severity) == ("spec.clusterIP", False, Severity.WARNING)
    # ClusterIP -> ExternalName with a new clusterIP is refused; the same one is dropped by the API
    [c] = one(svc % "", svc % "type: ExternalName, externalName: x.example, clusterIP: 10.0.0.1,")
    assert c.path == "spec.clusterIP" and "may not be set for ExternalName services" in c.message
    assert one(svc % "clusterIP: 10.0.0.1,",
               svc % "type: ExternalName, externalName: x.example, clusterIP: 10.0.0.1,") == []
    # an empty clusterIP is the same as none; a new address is refused as the API says it
    assert one(svc % "", svc % 'clusterIP: "",') == []
    [c] = one(svc % "clusterIP: 10.0.0.1,", svc % "clusterIP: 10.0.0.2,")
    assert "spec.clusterIPs[0]: Invalid value: may not change once set" in c.message
    # headless Services may change IP families; others may not
    fam = 'ipFamilies: [%s],'
    assert one(svc % ("clusterIP: None," + fam % "IPv4"), svc % ("clusterIP: None," + fam % "IPv6")) == []
    assert [c.path for c in one(svc % fam % "IPv4", svc % fam % "IPv6")] == ["spec.ipFamilies[0]"]
    # a LoadBalancer's class is frozen
    lb = "type: LoadBalancer, loadBalancerClass: %s,"
    assert [c.path for c in one(svc % lb % "a/b", svc % lb % "a/c")] == ["spec.loadBalancerClass"]
    # Secret type is immutable; immutable data compares stringData with data
    sec = """
        apiVersion: v1
        kind: Secret
        metadata: {name: s}
        immutable: true
        %s
    """
    assert one(sec % "stringData: {a: x}", sec % "data: {a: eA==}") == []
    [c] = one(sec % "stringData: {a: x}", sec % "stringData: {a: y}")
    assert c.path == "data.a" and "data: Forbidden: field is immutable when `immutable` is set" in c.message
    # PriorityClass: value and preemptionPolicy (default PreemptLowerPriority) are frozen
    pc = """
        apiVersion: scheduling.k8s.io/v1
        kind: PriorityClass
        metadata: {name: p}
        value: 10
        %s
    """
    assert one(pc % "", pc % "preemptionPolicy: PreemptLowerPriority") == []
    assert [c.path for c in one(pc % "", pc % "preemptionPolicy: Never")] == ["preemptionPolicy"]
    # a selector with an empty matchExpressions is the same selector (apiequality.Semantic)
    dep = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: d}
        spec: {selector: {matchLabels: {a: b} %s}}
    """
    assert one(dep % "", dep % ", matchExpressions: []") == []


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t",
                           *args], check=True, capture_output=True, text=True).stdout


def test_gate_base_head_1_fails_a_selector_change_with_a_patch_bump(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(REPO), str(clone)], check=True)
    chart = clone / "deploy" / "helm" / "clockwork"
    dep = chart / "templates" / "deployment.yaml"
    text = dep.read_text()
    selector = '{{- include "clockwork.componentSelectorLabels" (list . "server") | nindent 6 }}'
    pod = '{{- include "clockwork.podLabels" (list . "server") | nindent 8 }}'
    assert selector in text and pod in text, "the clockwork Deployment template changed; update this test"
    text = text.replace(selector, selector + "\n      tier: web")
    dep.write_text(text.replace(pod, pod + "\n        tier: web"))
    chart_yaml = chart / "Chart.yaml"
    old = re.search(r"(?m)^version: (\d+)\.(\d+)\.(\d+)", chart_yaml.read_text())
    assert old
    patch = f"{old[1]}.{old[2]}.{int(old[3]) + 1}"
    chart_yaml.write_text(re.sub(r"(?m)^version: .*$", f"version: {patch}", chart_yaml.read_text()))
    _git(clone, "commit", "-qam", "selector change, patch bump")
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    shutil.copy(clone / "tests" / "scenarios" / "default.yaml", scenarios)
    shutil.copy(REPO / "tests" / "scenarios" / "_defaults.yaml", scenarios)  # release clockwork

    code = main(["gate", str(chart), "--base", "HEAD~1", "--scenarios", str(scenarios), "--stages", "render"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert f"Chart.yaml version bumped {old[1]}.{old[2]}.{old[3]} → {patch}" in out
    assert "Deployment/clockwork-server (templates/deployment.yaml) spec.selector" in out
    assert "apps/v1 Deployment: spec.selector is immutable (field is immutable)" in out


def test_findings_reach_every_report_format(tmp_path: Path) -> None:
    from chartgate.report import json_out, junit, sarif, text

    report = _run(FIXTURES / "pvc-rename" / "head", FIXTURES / "pvc-rename" / "base", tmp_path)
    assert "== default :: upgrade (failed)" in text.render_text(report)
    [f] = [f for r in json_out.to_dict(report)["results"] if r["stage"] == "upgrade" for f in r["findings"]]
    assert (f["rule"], f["object"], f["template"]) == ("data-loss", "PersistentVolumeClaim/demo-files",
                                                       "templates/pvc.yaml")
    assert "renamed to PersistentVolumeClaim/demo-uploads" in f["message"]
    assert 'classname="upgrade" name="default"' in junit.to_junit_xml(report)
    [res] = sarif.to_sarif(report, base_dir="fx")["runs"][0]["results"]
    assert res["ruleId"] == "data-loss" and res["properties"]["stage"] == "upgrade"
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "fx/templates/pvc.yaml"


def _fixture_repo(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A git repository holding the deployment-selector base chart at 1.0.0 on main."""
    repo = tmp_path / "repo"
    chart = repo / "chart"
    shutil.copytree(FIXTURES / "deployment-selector" / "base", chart)
    scenarios = repo / "scenarios"
    scenarios.mkdir()
    (scenarios / "default.yaml").write_text("description: defaults\nrelease: demo\nnamespace: demo\n")
    _git(tmp_path, "init", "-q", "-b", "main", str(repo))
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "chart 1.0.0")
    return repo, chart, scenarios


def _set(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path} no longer holds {old!r}"
    path.write_text(text.replace(old, new))


def test_gate_compares_with_the_merge_base_not_the_tip_of_base(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo, chart, scenarios = _fixture_repo(tmp_path)
    _git(repo, "checkout", "-qb", "feature")
    _set(chart / "templates" / "deployment.yaml", "image: web:1.0", "image: web:1.1")
    _set(chart / "Chart.yaml", "version: 1.0.0", "version: 1.0.1")
    _git(repo, "commit", "-qam", "feature: new image, patch bump")
    # main moves on after the branch forked: a breaking selector change with a minor bump
    _git(repo, "checkout", "-q", "main")
    dep = chart / "templates" / "deployment.yaml"
    dep.write_text(dep.read_text().replace("app: web", "app: web-server"))
    _set(chart / "Chart.yaml", "version: 1.0.0", "version: 2.0.0")
    _git(repo, "commit", "-qam", "main: selector change, major bump")
    _git(repo, "checkout", "-q", "feature")

    code = main(["gate", str(chart), "--base", "main", "--scenarios", str(scenarios), "--stages", "render"])
    out = capsys.readouterr().out
    fork = _git(repo, "merge-base", "main", "HEAD").strip()
    assert f"base {fork[:12]}, the merge base of main and HEAD" in out
    assert "Chart.yaml version bumped 1.0.0 → 1.0.1" in out
    assert "spec.selector" not in out
    assert code == 0, out


def test_plugin_base_option_runs_the_upgrade_stage(pytester: pytest.Pytester,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARTGATE_CACHE", REAL_CACHE)  # pytester moves HOME
    pytester.makeini(textwrap.dedent(f"""
        [pytest]
        chartgate_chart = {FIXTURES / "deployment-selector" / "head"}
        chartgate_scenarios = scenarios
        chartgate_stages = render
    """))
    (pytester.mkdir("scenarios") / "default.yaml").write_text(
        "description: defaults\nrelease: demo\nnamespace: demo\n")
    result = pytester.runpytest("-p", "no:cacheprovider",
                                f"--chartgate-base={FIXTURES / 'deployment-selector' / 'base'}")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*scenario 'default' failed stage 'upgrade'*",
                                 "*Deployment/demo-web (templates/deployment.yaml) spec.selector*"])
    clean = pytester.runpytest("-p", "no:cacheprovider", f"--chartgate-base={FIXTURES / 'clean' / 'base'}",
                               f"--chartgate-chart={FIXTURES / 'clean' / 'head'}")
    clean.assert_outcomes(passed=2)
