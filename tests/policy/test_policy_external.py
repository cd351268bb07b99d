"""External objects: what a scenario (and its directory's ``_defaults.yaml``) declares as
provided by the cluster reaches the pack as ``data.chartgate.external_objects`` for that
scenario only, so CLK-REF-001 accepts references to them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import corpus
import pytest

from chartgate.policy.engine import PolicyEngine
from chartgate.render import Rendered
from chartgate.scenario import Defaults, ScenarioError, dir_overrides, load_dir
from chartgate.stages.policy import PolicyStage


def _scenarios(directory: Path) -> dict[str, tuple[str, ...]]:
    defaults = dataclasses.replace(Defaults(chart=corpus.CHART), **dir_overrides(directory))
    return {s.name: s.external_objects for s in load_dir(directory, defaults)}


def test_scenario_defaults_and_matrix_fragments_declare_external_objects(tmp_path: Path) -> None:
    (tmp_path / "_defaults.yaml").write_text("externalObjects: [Secret/app]\n")
    (tmp_path / "own.yaml").write_text("externalObjects: [ServiceAccount/runner]\n")
    (tmp_path / "plain.yaml").write_text("set: {a: 1}\n")
    (tmp_path / "m.yaml").write_text(
        "name: m\naxes:\n  pull:\n    on: {externalObjects: [Secret/regcred]}\n    off: {}\n"
    )
    assert _scenarios(tmp_path) == {
        "own": ("ServiceAccount/runner", "Secret/app"),
        "plain": ("Secret/app",),
        "m[pull=on]": ("Secret/regcred", "Secret/app"),
        "m[pull=off]": ("Secret/app",),
    }


@pytest.mark.parametrize(
    ("file", "text", "match"),
    [
        ("_defaults.yaml", "externalObjects: [app-secret]\n", r"_defaults.yaml: externalObjects: .*app"),
        ("s.yaml", "externalObjects: [Secret/a/b]\n", r"s.yaml: invalid scenario file:\n  externalObjects.0"),
    ],
)
def test_malformed_external_objects_name_the_file(tmp_path: Path, file: str, text: str, match: str) -> None:
    (tmp_path / file).write_text(text)
    with pytest.raises(ScenarioError, match=match):
        _scenarios(tmp_path)


def test_policy_stage_gives_each_scenario_its_own_external_objects(opa_binary: Path, tmp_path: Path) -> None:
    """Two scenarios with the same render: only the one declaring the Secret passes, in one
    batch (the declaration of one must not leak into the other, nor into the results cache)."""
    (tmp_path / "declared.yaml").write_text("externalObjects: [Secret/rel-clockwork-db]\n")
    (tmp_path / "undeclared.yaml").write_text("set: {}\n")
    scenarios = load_dir(tmp_path, Defaults(chart=corpus.CHART))
    fixture = corpus.load_fixture(corpus.FIXTURES / "ref-001-secret-not-rendered.yaml")
    rendered = {s.name: Rendered(s, fixture.manifests, None, 0.0, False) for s in scenarios}
    with PolicyStage(engine=PolicyEngine(corpus.POLICIES, [corpus.DATA])) as stage:
        stage.prepare(rendered)
        got = {name: stage.results[name].ids("deny") for name in rendered}
    assert got == {"declared": set(), "undeclared": {"CLK-REF-001"}}
