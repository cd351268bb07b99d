"""Parity: chartgate's batched OPA evaluation reports the same (severity, rule id,
Kind/name) set as the real, pinned ``conftest test`` on the same rendered files —
package main per document, package combine with ``--combine``."""

from __future__ import annotations

from pathlib import Path

import corpus

from chartgate.policy.engine import PolicyEngine, ScenarioPolicy
from chartgate.render import Rendered
from chartgate.tools.conftest import Conftest
from chartgate.util.ci import missing_prerequisite


def test_parity_fixtures(conftest_tool: Conftest, fixture_results: dict[str, ScenarioPolicy]) -> None:
    fixtures = corpus.fixtures()
    theirs = corpus.conftest_keys(conftest_tool, {f.name: f.path for f in fixtures})
    mismatches = [
        corpus.diff(f.name, corpus.chartgate_keys(fixture_results[f.name]), theirs[f.name])
        for f in fixtures
        if corpus.chartgate_keys(fixture_results[f.name]) != theirs[f.name]
    ]
    assert not mismatches, "\n".join(mismatches)
    assert any(theirs.values()), "conftest reported nothing at all: is it reading the fixtures?"


def test_parity_scenarios(
    conftest_tool: Conftest,
    policy_scenarios: dict[str, Rendered],
    scenario_results: dict[str, ScenarioPolicy],
    tmp_path: Path,
) -> None:
    if not policy_scenarios:
        missing_prerequisite("no scenario runs the policy stage")
    files, data = {}, {}
    for i, (name, r) in enumerate(sorted(policy_scenarios.items())):
        assert r.manifests is not None
        files[name] = tmp_path / f"scenario-{i:03d}.yaml"
        files[name].write_text(r.manifests.raw)
        if r.scenario.external_objects:  # the scenario's externalObjects as a --data file
            data[name] = corpus.external_data(tmp_path / f"data-{i:03d}", r.scenario.external_objects)
    assert data, "no scenario declares externalObjects: the parity test would not cover them"
    theirs = corpus.conftest_keys(conftest_tool, files, data=data)
    mismatches = [
        corpus.diff(n, corpus.chartgate_keys(scenario_results[n]), theirs[n])
        for n in files
        if corpus.chartgate_keys(scenario_results[n]) != theirs[n]
    ]
    assert not mismatches, "\n".join(mismatches)


def test_parity_data_file_exemption(conftest_tool: Conftest, tmp_path: Path) -> None:
    """An exemption from the data file is honoured the same way by both."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "exemptions.yaml").write_text(
        "clockwork:\n  exemptions:\n"
        "    - {kind: Deployment, name: 'rel-*', rules: [CLK-SEC-012], reason: subchart,"
        " expires: '2099-01-01'}\n"
        "    - {kind: Deployment, name: 'rel-*', rules: [CLK-SEC-013], reason: old, expires: '2020-01-01'}\n"
    )
    fixture = corpus.load_fixture(corpus.FIXTURES / "sec-012-writable-root-filesystem.yaml")
    broken = tmp_path / "fixture.yaml"
    broken.write_text(
        fixture.path.read_text().replace(
            "automountServiceAccountToken: false", "automountServiceAccountToken: true"
        )
    )
    manifests = corpus.load_fixture(broken).manifests
    with PolicyEngine(corpus.POLICIES, [data]) as eng:
        ours = eng.evaluate({"x": manifests})["x"]
    assert ours.ids("exempt") == {"CLK-SEC-012"}
    assert ours.ids("deny") == {"CLK-SEC-013"}
    assert ours.ids("warn") == {"CLK-EXC-001"}
    theirs = corpus.conftest_keys(Conftest(corpus.POLICIES, [data], conftest_tool.binary), {"x": broken})["x"]
    assert corpus.chartgate_keys(ours) == theirs, corpus.diff(
        "data-file exemption", corpus.chartgate_keys(ours), theirs
    )
    exceptions = [
        r
        for r in Conftest(corpus.POLICIES, [data], conftest_tool.binary).test([broken])
        if r.severity == "exception"
    ]
    assert any("clk_sec_012" in r.message for r in exceptions), exceptions


def test_conftest_json_is_parsed_from_metadata_or_message() -> None:
    from chartgate.tools.conftest import parse_results

    payload = [
        {
            "filename": "a.yaml",
            "namespace": "main",
            "successes": 3,
            "failures": [
                {
                    "msg": "[CLK-SEC-001] Deployment/web: bad",
                    "metadata": {"id": "CLK-SEC-001", "resource": "Deployment/web"},
                }
            ],
            "warnings": [{"msg": "[CLK-IMG-002] Pod/p: tag"}],
            "exceptions": [{"msg": 'data.main.exception[_][_] == "clk_sec_012"'}],
        }
    ]
    got = {(r.severity, r.id, r.resource, r.file) for r in parse_results(payload)}
    assert got == {
        ("deny", "CLK-SEC-001", "Deployment/web", "a.yaml"),
        ("warn", "CLK-IMG-002", "Pod/p", "a.yaml"),
        ("exception", "", "", "a.yaml"),
    }


def test_diff_shows_both_sides() -> None:
    text = corpus.diff(
        "s",
        {("deny", "CLK-SEC-001", "Deployment/a"), ("warn", "CLK-IMG-002", "Pod/p")},
        {("warn", "CLK-IMG-002", "Pod/p"), ("deny", "CLK-NET-002", "Service/s")},
    )
    assert "only chartgate: deny  CLK-SEC-001" in text
    assert "only conftest:  deny  CLK-NET-002" in text
    assert "both (1)" in text


def test_combine_package_without_combine_flag_fails_loudly(conftest_tool: Conftest) -> None:
    """`conftest test --namespace combine FILE` without --combine used to pass every
    cross-object rule without looking; now CLK-CFG-001 fails it and says what to run."""
    fixture = next(f for f in corpus.fixtures() if "CLK-REL-005" in f.deny)
    wrong = conftest_tool.test([fixture.path], namespace="combine", combine=False)
    assert {r.id for r in wrong if r.severity == "deny"} == {"CLK-CFG-001"}, wrong
    assert any("--combine" in r.message for r in wrong)
    right = conftest_tool.test([fixture.path], namespace="combine", combine=True)
    assert "CLK-CFG-001" not in {r.id for r in right}
    assert "CLK-REL-005" in {r.id for r in right}


def test_parity_registry_allow_list_from_data(conftest_tool: Conftest, tmp_path: Path) -> None:
    """CLK-IMG-003 is off until data lists registries; then both report it the same way."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "registries.yaml").write_text('chartgate:\n  allowed_registries: ["ghcr.io/acme/"]\n')
    fixture = corpus.load_fixture(corpus.FIXTURES / "rel-005-no-pdb.yaml")
    with PolicyEngine(corpus.POLICIES, [corpus.DATA, data]) as eng:
        ours = eng.evaluate({"x": fixture.manifests})["x"]
    assert ours.ids("deny") == {"CLK-IMG-003", "CLK-REL-005"}
    theirs = corpus.conftest_keys(
        Conftest(corpus.POLICIES, [corpus.DATA, data], conftest_tool.binary), {"x": fixture.path}
    )["x"]
    assert corpus.chartgate_keys(ours) == theirs, corpus.diff(
        "allow-list", corpus.chartgate_keys(ours), theirs
    )


def test_parity_external_objects_from_data(conftest_tool: Conftest, tmp_path: Path) -> None:
    """CLK-REF-001: a reference the release does not render is a finding until data declares
    the object external — given to chartgate per set, to conftest as a --data file."""
    fixture = corpus.load_fixture(corpus.FIXTURES / "ref-001-secret-not-rendered.yaml")
    data = corpus.external_data(tmp_path / "data", ["Secret/rel-clockwork-*"])
    with PolicyEngine(corpus.POLICIES, [corpus.DATA]) as eng:
        got = eng.evaluate(
            {"undeclared": fixture.manifests, "declared": fixture.manifests},
            {"declared": ("Secret/rel-clockwork-*",)},
        )
    assert got["undeclared"].ids("deny") == {"CLK-REF-001"}
    assert got["declared"].ids("deny") == set()
    files = {label: tmp_path / f"{label}.yaml" for label in ("undeclared", "declared")}
    for f in files.values():
        f.write_text(fixture.path.read_text())
    theirs = corpus.conftest_keys(conftest_tool, files, data={"declared": data})
    for label in ("undeclared", "declared"):
        assert corpus.chartgate_keys(got[label]) == theirs[label], corpus.diff(
            label, corpus.chartgate_keys(got[label]), theirs[label]
        )
    with PolicyEngine(corpus.POLICIES, [corpus.DATA, data]) as eng:  # a chart's data file does the same
        assert eng.evaluate({"x": fixture.manifests})["x"].ids("deny") == set()
