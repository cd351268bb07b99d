"""The negative corpus: every fixture produces exactly the rule ids its header declares."""

from __future__ import annotations

import re

import corpus
import pytest

from chartgate.policy.engine import ScenarioPolicy

FIXTURES = corpus.fixtures()
MIN_FIXTURES = 40
# Rules no fixture can trigger with the pack's own data: how the pack is invoked
# (CLK-CFG-001) and what only data turns on (CLK-IMG-003); test_policy_parity covers them.
INVOCATION_RULES = {"CLK-CFG-001", "CLK-IMG-003"}


def all_rule_ids() -> set[str]:
    ids = set()
    for f in corpus.POLICIES.rglob("*.rego"):
        if not f.name.endswith("_test.rego"):
            ids |= set(re.findall(r"^#\s+id: (CLK-[A-Z]+-\d{3})$", f.read_text(), re.MULTILINE))
    return ids


def test_corpus_size_and_rule_coverage() -> None:
    assert len(FIXTURES) >= MIN_FIXTURES, f"only {len(FIXTURES)} fixtures"
    bad = [f for f in FIXTURES if f.ids]
    assert len(bad) >= MIN_FIXTURES, f"only {len(bad)} fixtures expect a failure or warning"
    covered = set().union(*(f.ids for f in FIXTURES))
    missing = all_rule_ids() - covered - INVOCATION_RULES
    assert not missing, f"rules without a fixture that triggers them: {sorted(missing)}"


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name for f in FIXTURES])
def test_fixture_exact_ids(fixture: corpus.Fixture, fixture_results: dict[str, ScenarioPolicy]) -> None:
    result = fixture_results[fixture.name]
    got = {"deny": result.ids("deny"), "warn": result.ids("warn"), "exempt": result.ids("exempt")}
    want = {"deny": set(fixture.deny), "warn": set(fixture.warn), "exempt": set(fixture.exempt)}
    details = "\n".join(f"  {h.severity} {h.id} {h.object}: {h.message}" for h in result.hits)
    assert got == want, f"{fixture.path.name}: expected {want}, got {got}\n{details}"
    for hit in result.hits:
        if hit.severity in ("deny", "warn"):
            assert hit.object in {d.ref for d in fixture.manifests}, hit
            assert hit.message.startswith(f"[{hit.id}] {hit.object}: "), hit.message
