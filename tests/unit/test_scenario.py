"""Scenario loading (errors name file and key), matrices (pairwise covers every pair) and
render-once caching with a fake Helm."""

from __future__ import annotations

import itertools
import json
import random
import threading
from pathlib import Path

import pytest

from chartgate.render import Renderer
from chartgate.render_args import TemplateArgs
from chartgate.scenario import (
    AssertionSpec,
    Defaults,
    ScenarioError,
    Selector,
    axis_pairs,
    load_dir,
    load_file,
    pairwise,
)
from chartgate.tools.helm import HelmError


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    c = tmp_path / "chart"
    (c / "templates").mkdir(parents=True)
    (c / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (c / "values.yaml").write_text("replicas: 1\n")
    (c / "values-prod.yaml").write_text("replicas: 3\n")
    (c / "templates" / "cm.yaml").write_text("kind: ConfigMap\n")
    return c


@pytest.fixture
def scen(tmp_path: Path) -> Path:
    d = tmp_path / "scenarios"
    d.mkdir()
    return d


def write(d: Path, name: str, text: str) -> Path:
    f = d / name
    f.write_text(text)
    return f


# --- loading -----------------------------------------------------------------------------
def test_a_scenario_file_loads_with_defaults_and_overrides(chart: Path, scen: Path) -> None:
    f = write(scen, "prod.yaml", """
description: production values
values: [values-prod.yaml]
set: {ingress.enabled: true, "labels.app\\\\.kubernetes\\\\.io/part-of": clockwork}
kubeVersion: "1.33.0"
apiVersions: [monitoring.coreos.com/v1]
stages: [render, assertions]
expect:
  present: [Deployment/clockwork-server]
  count: {Deployment: 1}
  assertions:
    - equal: {path: spec.replicas, value: 3}
      select: {kind: Deployment}
    - hasDocuments: 2
    - exists: {path: spec}
      not: true
""")
    (s,) = load_file(f, Defaults(chart=chart))
    assert s.name == "prod" and s.description == "production values" and s.chart == chart
    assert s.args.values_files == (str(chart / "values-prod.yaml"),)
    assert s.args.kube_version == "1.33.0" and s.args.api_versions == ("monitoring.coreos.com/v1",)
    # no release or namespace named, no _defaults.yaml: what `helm template` uses
    assert (s.args.release, s.args.namespace) == ("release-name", "default")
    assert dict(s.args.set_json) == {"ingress.enabled": "true",
                                     "labels.app\\.kubernetes\\.io/part-of": '"clockwork"'}
    assert s.values == {"ingress": {"enabled": True}, "labels": {"app.kubernetes.io/part-of": "clockwork"}}
    assert s.wants("assertions") and not s.wants("snapshot")
    a0, a1, a2 = s.expect.assertions
    assert a0 == AssertionSpec("equal", {"path": "spec.replicas", "value": 3}, Selector(kind="Deployment"))
    assert a1.args == {"value": 2} and a2.negate


def test_failing_render_scenario_runs_only_the_render_stage(chart: Path, scen: Path) -> None:
    f = write(scen, "broken.yaml", "expect: {renders: false, error: 'database.url is required'}\n")
    (s,) = load_file(f, Defaults(chart=chart))
    assert s.stages == ("render",) and not s.expect.renders and not s.expect.snapshot


@pytest.mark.parametrize(("text", "where"), [
    ("expect:\n  present: [clockwork-server]\n", "expect.present.0"),
    ("expect:\n  assertions:\n    - equals: {path: a, value: 1}\n", "expect.assertions.0"),
    ("expect:\n  count: {Deployment: -1}\n", "expect.count.Deployment"),
    ("releas: x\n", "(top level)"),
    ("release: Not_Valid\n", "release"),
    ("stages: [render, lint]\n", "stages.1"),
    ("expect:\n  assertions:\n    - equal: {path: a, value: 1}\n      select: {kinds: Deployment}\n",
     "expect.assertions.0.select"),
])
def test_schema_errors_name_file_and_key(chart: Path, scen: Path, text: str, where: str) -> None:
    f = write(scen, "bad.yaml", text)
    with pytest.raises(ScenarioError) as info:
        load_file(f, Defaults(chart=chart))
    msg = str(info.value)
    assert msg.startswith(f"{f}: invalid scenario file")
    assert f"  {where}: " in msg


def test_other_loading_errors_name_the_file(chart: Path, scen: Path) -> None:
    f = write(scen, "a.yaml", "key: [unclosed\n")
    with pytest.raises(ScenarioError, match=r"a\.yaml: not valid YAML"):
        load_file(f, Defaults(chart=chart))
    f = write(scen, "b.yaml", "- a list\n")
    with pytest.raises(ScenarioError, match=r"b\.yaml: expected a mapping"):
        load_file(f, Defaults(chart=chart))
    f = write(scen, "c.yaml", "values: [values-missing.yaml]\n")
    with pytest.raises(ScenarioError, match=r"c\.yaml: values file .*values-missing\.yaml does not exist"):
        load_file(f, Defaults(chart=chart))


def test_assertion_spec_needs_exactly_one_type() -> None:
    with pytest.raises(ScenarioError, match="exactly one type key"):
        AssertionSpec.parse({"equal": {}, "exists": {}})


def test_load_dir_skips_underscore_files_and_rejects_duplicate_names(chart: Path, scen: Path) -> None:
    write(scen, "a.yaml", "name: same\n")
    write(scen, "_defaults.yaml", "not: a scenario\n")
    (sub := scen / "sub").mkdir()
    write(sub, "b.yaml", "description: b\n")
    assert [s.name for s in load_dir(scen, Defaults(chart=chart))] == ["same", "b"]
    write(sub, "c.yaml", "name: same\n")
    with pytest.raises(ScenarioError, match="duplicate scenario names: same"):
        load_dir(scen, Defaults(chart=chart))


# --- matrices ----------------------------------------------------------------------------
def all_pairs(axes: dict[str, list[str]]) -> set[tuple[str, str, str, str]]:
    return {(a, va, b, vb) for a, b in itertools.combinations(sorted(axes), 2)
            for va in axes[a] for vb in axes[b]}


def covered(rows: list[dict[str, str]]) -> set[tuple[str, str, str, str]]:
    out = set()
    for row in rows:
        for a, b in itertools.combinations(sorted(row), 2):
            out.add((a, row[a], b, row[b]))
    return out


@pytest.mark.parametrize("shape", [[2, 2], [3, 3, 3], [2, 3, 4, 2], [5, 2, 2, 2, 2, 3], [4, 4, 4, 4, 4]])
def test_pairwise_covers_every_pair_with_fewer_rows(shape: list[int]) -> None:
    axes = {f"ax{i}": [f"v{j}" for j in range(n)] for i, n in enumerate(shape)}
    rows = pairwise(axes)
    assert all_pairs(axes) <= covered(rows)
    assert all(set(r) == set(axes) and all(r[a] in axes[a] for a in axes) for r in rows)
    full = 1
    for n in shape:
        full *= n
    assert len(rows) <= full
    if len(shape) > 2:
        assert len(rows) < full
    assert pairwise(axes) == rows  # deterministic


def test_pairwise_random_shapes_cover_every_pair() -> None:
    rng = random.Random(7)
    for _ in range(25):
        axes = {f"a{i}": [str(j) for j in range(rng.randint(1, 4))] for i in range(rng.randint(2, 6))}
        assert all_pairs(axes) <= covered(pairwise(axes))


def test_single_axis_is_just_its_values() -> None:
    assert pairwise({"a": ["1", "2"]}) == [{"a": "1"}, {"a": "2"}]


MATRIX = """
name: mx
generate: {mode}
set: {{replicas: 1}}
axes:
  db:
    internal: {{set: {{postgres.enabled: true}}}}
    external: {{set: {{postgres.enabled: false, database.url: "postgres://x"}}}}
  ingress:
    on: {{set: {{ingress.enabled: true}}}}
    off: {{set: {{ingress.enabled: false}}}}
  size:
    small: {{}}
    ha: {{values: [values-prod.yaml]}}
rules:
  - when: {{ingress: on}}
    expect: {{present: [Ingress/clockwork]}}
  - when: {{ingress: off}}
    expect: {{absent: [Ingress/clockwork]}}
  - when: {{db: external, size: ha}}
    stages: [render, assertions]
"""


def test_matrix_expands_with_rules(chart: Path, scen: Path) -> None:
    f = write(scen, "mx.yaml", MATRIX.format(mode="cartesian"))
    scenarios = load_file(f, Defaults(chart=chart))
    assert len(scenarios) == 8
    by = {s.name: s for s in scenarios}
    s = by["mx[db=external,ingress=on,size=ha]"]
    assert s.combination == {"db": "external", "ingress": "on", "size": "ha"}
    assert s.matrix == "mx"
    assert s.values == {"replicas": 1, "postgres": {"enabled": False}, "database": {"url": "postgres://x"},
                        "ingress": {"enabled": True}}
    assert s.args.values_files == (str(chart / "values-prod.yaml"),)
    assert s.expect.present == ("Ingress/clockwork",) and s.expect.absent == ()
    assert s.stages == ("render", "assertions")
    off = by["mx[db=internal,ingress=off,size=small]"]
    assert off.expect.absent == ("Ingress/clockwork",) and off.wants("snapshot")
    assert json.loads(dict(off.args.set_json)["ingress.enabled"]) is False


def test_pairwise_matrix_covers_every_pair_of_axis_values(chart: Path, scen: Path) -> None:
    f = write(scen, "mx.yaml", MATRIX.format(mode="pairwise"))
    scenarios = load_file(f, Defaults(chart=chart))
    axes = {"db": ["internal", "external"], "ingress": ["on", "off"], "size": ["small", "ha"]}
    assert axis_pairs(scenarios) == all_pairs(axes)
    assert len(scenarios) < 8


def test_matrix_rule_naming_an_unknown_axis_value_is_an_error(chart: Path, scen: Path) -> None:
    text = MATRIX.format(mode="pairwise").replace("when: {db: external", "when: {db: extrnal")
    f = write(scen, "mx.yaml", text)
    with pytest.raises(ScenarioError, match=r"mx\.yaml: rules\[2\]\.when\.db"):
        load_file(f, Defaults(chart=chart))


# --- render once, cached -----------------------------------------------------------------
class FakeHelm:
    """Just what Renderer needs: ``version`` and ``template(chart, args)``."""

    def __init__(self, version: str = "v4.1.0") -> None:
        self.version = version
        self.calls: list[TemplateArgs] = []
        self._lock = threading.Lock()

    def template(self, chart: Path, args: TemplateArgs) -> str:
        with self._lock:
            self.calls.append(args)
        if any(k == "fail" for k, _ in args.set_json):
            raise HelmError("template", "template: c/templates/cm.yaml:3: boom")
        data = json.dumps(dict(args.set_json), sort_keys=True)
        return (f"---\n# Source: c/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\n"
                f"metadata: {{name: {args.release}}}\ndata: {{set: '{data}'}}\n")


def scenarios(chart: Path, scen: Path, n: int = 3) -> list:
    for i in range(n):
        write(scen, f"s{i}.yaml", f"set: {{replicas: {i}}}\n")
    write(scen, "same-as-s0.yaml", "set: {replicas: 0}\n")
    return load_dir(scen, Defaults(chart=chart))


def test_each_distinct_input_renders_once_per_run(chart: Path, scen: Path, tmp_path: Path) -> None:
    helm = FakeHelm()
    r = Renderer(helm=helm, cache_dir=tmp_path / "cache", workers=4)  # type: ignore[arg-type]
    out = r.render_all(scenarios(chart, scen))
    assert set(out) == {"s0", "s1", "s2", "same-as-s0"}
    assert r.renders == 3 and len(helm.calls) == 3  # same-as-s0 shares s0's render
    assert out["s1"].manifests is not None and out["s1"].manifests.get("ConfigMap", "release-name")
    assert out["same-as-s0"].scenario.name == "same-as-s0"  # result carries its own scenario
    again = r.render(out["s1"].scenario)
    assert again.cache_hit and r.renders == 3


def test_disk_cache_hits_across_runs_and_misses_on_change(chart: Path, scen: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = Renderer(helm=FakeHelm(), cache_dir=cache)  # type: ignore[arg-type]
    res = first.render_all(scenarios(chart, scen))
    # s0 and same-as-s0 share inputs: whichever thread came second got the first's render
    assert not res["s1"].cache_hit and not res["s2"].cache_hit
    assert sorted([res["s0"].cache_hit, res["same-as-s0"].cache_hit]) == [False, True]

    second = Renderer(helm=FakeHelm(), cache_dir=cache)  # type: ignore[arg-type]
    res2 = second.render_all(load_dir(scen, Defaults(chart=chart)))
    assert second.renders == 0 and all(r.cache_hit for r in res2.values())
    assert res2["s1"].manifests is not None and res2["s1"].manifests.raw == res["s1"].manifests.raw  # type: ignore[union-attr]

    # a changed template file, a changed values file, another helm version: misses
    (chart / "templates" / "cm.yaml").write_text("kind: ConfigMap # changed\n")
    third = Renderer(helm=FakeHelm(), cache_dir=cache)  # type: ignore[arg-type]
    third.render_all(load_dir(scen, Defaults(chart=chart)))
    assert third.renders == 3
    other_helm = Renderer(helm=FakeHelm("v3.19.0"), cache_dir=cache)  # type: ignore[arg-type]
    other_helm.render_all(load_dir(scen, Defaults(chart=chart)))
    assert other_helm.renders == 3
    (tmp_path / "extra.yaml").write_text("replicas: 3\n")  # a values file outside the chart
    write(scen, "prod.yaml", "values: [../extra.yaml]\n")
    r4 = Renderer(helm=FakeHelm(), cache_dir=cache)  # type: ignore[arg-type]
    r4.render_all(load_dir(scen, Defaults(chart=chart)))
    assert r4.renders == 1
    (tmp_path / "extra.yaml").write_text("replicas: 4\n")  # same path, new content: a miss
    r5 = Renderer(helm=FakeHelm(), cache_dir=cache)  # type: ignore[arg-type]
    r5.render_all(load_dir(scen, Defaults(chart=chart)))
    assert r5.renders == 1


def test_helm_unittest_suites_do_not_change_the_cache_key(chart: Path, tmp_path: Path) -> None:
    r = Renderer(helm=FakeHelm(), cache_dir=tmp_path / "cache")  # type: ignore[arg-type]
    before = r.key(chart, TemplateArgs())
    (chart / "tests").mkdir()
    (chart / "tests" / "a_test.yaml").write_text("suite: a\n")
    assert Renderer(helm=FakeHelm(), cache_dir=tmp_path / "cache").key(chart, TemplateArgs()) == before  # type: ignore[arg-type]


def test_helm_errors_are_cached_too(chart: Path, scen: Path, tmp_path: Path) -> None:
    write(scen, "bad.yaml", "set: {fail: 1}\n")
    (s,) = load_dir(scen, Defaults(chart=chart))
    r = Renderer(helm=FakeHelm(), cache_dir=tmp_path / "cache")  # type: ignore[arg-type]
    res = r.render(s)
    assert not res.ok and res.manifests is None and "boom" in (res.error or "")
    r2 = Renderer(helm=FakeHelm(), cache_dir=tmp_path / "cache")  # type: ignore[arg-type]
    res2 = r2.render(s)
    assert res2.cache_hit and res2.error == res.error and r2.renders == 0


def test_without_cache_nothing_is_written(chart: Path, scen: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    r = Renderer(helm=FakeHelm(), cache_dir=cache, use_cache=False)  # type: ignore[arg-type]
    r.render_all(scenarios(chart, scen))
    assert r.renders == 3 and list(cache.iterdir()) == []


def test_a_scenario_directory_defaults_file_applies_everywhere(chart: Path, scen: Path) -> None:
    """``_defaults.yaml`` is read in one place (scenario.dir_overrides) and used by the gate
    as by the plugin and ``chartgate check``: a scenario naming nothing gets its release,
    namespace and Kubernetes version, and its API versions besides its own."""
    import dataclasses

    from chartgate.pipeline import Gate, GateConfig
    from chartgate.scenario import dir_overrides

    write(scen, "_defaults.yaml", "release: rel\nnamespace: ns\nkubeVersion: 1.33.0\napiVersions: [x/v1]\n")
    write(scen, "s.yaml", "apiVersions: [y/v1]\n")
    d = Gate(GateConfig(chart=chart, scenarios=scen)).defaults()
    assert (d.release, d.namespace, d.kube_version, d.api_versions) == ("rel", "ns", "1.33.0", ("x/v1",))
    (s,) = load_dir(scen, dataclasses.replace(Defaults(chart=chart), **dir_overrides(scen)))
    assert (s.args.release, s.args.namespace, s.args.kube_version) == ("rel", "ns", "1.33.0")
    assert s.args.api_versions == ("y/v1", "x/v1")
    write(scen, "_defaults.yaml", "relase: typo\n")
    with pytest.raises(ScenarioError, match=r"_defaults.yaml: unknown key\(s\) relase"):
        dir_overrides(scen)


def test_a_warm_run_reads_one_pack_with_shared_documents(chart: Path, scen: Path, tmp_path: Path) -> None:
    """After a run, its renders are packed into one file: the next run with the same inputs
    reads only that (no per-scenario files), gets identical documents as one object, and
    their digests without hashing again."""
    from chartgate import results_cache

    cache = tmp_path / "cache"
    first = Renderer(helm=FakeHelm(), cache_dir=cache)  # type: ignore[arg-type]
    res = first.render_all(scenarios(chart, scen))
    (pack,) = (cache / "packs").iterdir()
    for f in cache.glob("*.yaml"):  # the per-scenario files are not read any more
        f.unlink()
    for f in cache.glob("*.pickle"):
        f.unlink()
    second = Renderer(helm=FakeHelm(), cache_dir=cache)  # type: ignore[arg-type]
    res2 = second.render_all(load_dir(scen, Defaults(chart=chart)))
    assert second.renders == 0 and all(r.cache_hit for r in res2.values())
    assert {n: r.manifests.raw for n, r in res2.items()} == {  # type: ignore[union-attr]
        n: r.manifests.raw for n, r in res.items()}  # type: ignore[union-attr]
    s0, same = res2["s0"].manifests, res2["same-as-s0"].manifests
    assert s0 is not None and same is not None and s0.documents[0].body is same.documents[0].body
    assert res2["same-as-s0"].scenario.name == "same-as-s0"
    body = s0.documents[0].body
    assert results_cache._BODY_KEYS[id(body)][0] is body  # remembered from the pack
    # another set of inputs (one scenario more) is another pack; the old one still serves its set
    write(scen, "s9.yaml", "set: {replicas: 9}\n")
    third = Renderer(helm=FakeHelm(), cache_dir=cache)  # type: ignore[arg-type]
    third.render_all(load_dir(scen, Defaults(chart=chart)))
    assert third.renders == 4  # s9, and the others' files are gone: rendered again
    assert pack.exists() and len(list((cache / "packs").iterdir())) == 2


def test_a_missing_values_file_fails_its_render_not_the_pack(chart: Path, scen: Path, tmp_path: Path) -> None:
    (tmp_path / "gone.yaml").write_text("replicas: 3\n")
    write(scen, "s.yaml", "values: [../gone.yaml]\n")
    (s,) = load_dir(scen, Defaults(chart=chart))
    (tmp_path / "gone.yaml").unlink()
    r = Renderer(helm=FakeHelm(), cache_dir=tmp_path / "cache")  # type: ignore[arg-type]
    futures = r.submit_all([s])  # the pack's key cannot be made: no pack, the render reports it
    with pytest.raises(FileNotFoundError, match=r"gone\.yaml"):
        futures["s"].result()
