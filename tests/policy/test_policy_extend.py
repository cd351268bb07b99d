"""Which policies run: the built-in pack by default, extended by a chart's own
``policies/`` directory or by ``--extra-policies``, replaced by ``--policies`` — with the
same verdicts from chartgate and from conftest given the same directories."""

from __future__ import annotations

import shutil
from pathlib import Path

import corpus
import pytest

from chartgate.cli import main
from chartgate.pipeline import GateConfig, make_stage
from chartgate.policy.engine import PolicyEngine, builtin_policy_dir, policy_dirs
from chartgate.tools.conftest import Conftest

EXTENSION = Path(__file__).resolve().parent / "extension"


def _chart_with_policies(tmp_path: Path) -> Path:
    chart = tmp_path / "chart"
    (chart / "policies").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    shutil.copytree(EXTENSION, chart / "policies", dirs_exist_ok=True)
    return chart


def test_builtin_pack_is_the_default_and_ships_in_the_package() -> None:
    assert builtin_policy_dir() == corpus.POLICIES
    assert policy_dirs() == [builtin_policy_dir()]
    assert PolicyEngine().policy_dirs == [builtin_policy_dir()]


def test_chart_policies_extend_and_an_explicit_directory_replaces(tmp_path: Path) -> None:
    chart = _chart_with_policies(tmp_path)
    assert policy_dirs(chart=chart) == [builtin_policy_dir(), chart / "policies"]
    assert policy_dirs(extra=[EXTENSION]) == [builtin_policy_dir(), EXTENSION]
    assert policy_dirs(EXTENSION, chart=chart) == [EXTENSION], "--policies replaces the pack"
    empty = tmp_path / "plain"
    (empty / "policies").mkdir(parents=True)
    assert policy_dirs(chart=empty) == [builtin_policy_dir()], "a policies/ without rules adds nothing"
    stage = make_stage("policy", GateConfig(chart=chart, scenarios=tmp_path, stages=("policy",)))
    assert stage.engine.policy_dirs == [builtin_policy_dir(), chart / "policies"]  # type: ignore[attr-defined]
    assert stage.engine.data == [corpus.DATA, chart / "policies" / "data"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", ["extend", "replace"])
def test_extension_parity_with_conftest(mode: str, conftest_tool: Conftest) -> None:
    """Extended: the pack's rules and the extension's fire, its data merged into the pack's;
    replaced: only the extension's. conftest given the same directories agrees."""
    dirs = policy_dirs(extra=[EXTENSION]) if mode == "extend" else policy_dirs(EXTENSION)
    fixture = corpus.load_fixture(corpus.FIXTURES / "net-002-node-port.yaml")
    with PolicyEngine(dirs) as eng:
        ours = eng.evaluate({"x": fixture.manifests})["x"]
    want = {"CLK-EXT-001", "CLK-NET-002"} if mode == "extend" else {"CLK-EXT-001"}
    assert ours.ids("deny") == want
    data = [d / "data" for d in dirs if (d / "data").is_dir()]
    theirs = corpus.conftest_keys(Conftest(dirs, data, conftest_tool.binary), {"x": fixture.path})["x"]
    assert corpus.chartgate_keys(ours) == theirs, corpus.diff(mode, corpus.chartgate_keys(ours), theirs)


def test_policy_cli_names_both_conftest_invocations(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    opa_binary: Path) -> None:
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    shutil.copy(corpus.SCENARIOS / "_defaults.yaml", scenarios)  # release clockwork, its external Secret
    (scenarios / "nodeport.yaml").write_text(
        "set: {service.type: NodePort}\nexpect:\n  policy: {deny: [CLK-NET-002, CLK-EXT-001]}\n")
    code = main(["policy", "--chart", str(corpus.CHART), "--scenarios", str(scenarios),
                 "--extra-policies", str(EXTENSION)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"with {builtin_policy_dir()}, {EXTENSION}" in err
    assert "plain `conftest test FILE` skips every cross-object rule" in err
    flags = (f"--policy {builtin_policy_dir()} --data {corpus.DATA} "
             f"--policy {EXTENSION} --data {EXTENSION / 'data'}")
    assert f"conftest test {flags} FILE" in err
    assert "--combine --namespace combine FILE" in err
