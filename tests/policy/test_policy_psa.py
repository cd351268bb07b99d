"""The pack's Pod Security verdicts against Pod Security Admission itself.

Every manifest of a seeded, generated corpus (``psa_corpus``) goes through Kubernetes'
own PSA checks (``psa_oracle``: k8s.io/pod-security-admission at the pinned version, in
one process) and through the pack's pod-security rules (one OPA query for the whole
corpus). For every manifest, level (baseline, restricted) and PSA check of that level,
the pack must forbid exactly what PSA forbids; a disagreement names the manifest, the
level and the check."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import corpus
import psa_corpus
import psa_oracle
import pytest

from chartgate.tools.opa import OpaServer
from chartgate.tools.versions import tool

VERDICTS = Path(__file__).resolve().parent / "psa" / "verdicts.rego"
MIN_MANIFESTS = 2000


@pytest.fixture(scope="module")
def manifests() -> dict[str, dict]:
    return psa_corpus.corpus()


@pytest.fixture(scope="module")
def psa(manifests: dict[str, dict]) -> dict[str, psa_oracle.Verdict]:
    oracle = psa_oracle.binary()
    t0 = time.perf_counter()
    out = psa_oracle.evaluate(manifests, oracle)
    print(f"\npsa-oracle: {len(out)} manifests in {time.perf_counter() - t0:.2f}s")
    return out


@pytest.fixture(scope="module")
def pack(manifests: dict[str, dict], opa_binary: Path) -> dict[str, set[str]]:
    t0 = time.perf_counter()
    with OpaServer([corpus.POLICIES, VERDICTS], binary=opa_binary) as opa:
        raw = opa.query("psa_diff", "verdicts",
                        {"docs": [{"id": i, "object": o} for i, o in manifests.items()]})
    print(f"pack (OPA): {len(raw)} manifests in {time.perf_counter() - t0:.2f}s")
    return {i: set(checks) for i, checks in raw.items()}


def test_oracle_pins_the_kubernetes_staging_module() -> None:
    """The oracle's go.mod, versions.toml and the pinned Kubernetes agree."""
    k8s = tool("kubernetes").version  # v1.X.Y
    pinned = psa_oracle.pinned_module_version()
    assert pinned == "v0." + k8s.removeprefix("v1."), (pinned, k8s)
    required = psa_oracle.required_versions()
    for module in ("k8s.io/pod-security-admission", "k8s.io/api", "k8s.io/apimachinery"):
        assert required.get(module) == pinned, \
            f"tests/policy/psa-oracle/go.mod requires {module} {required.get(module)}, not {pinned}"
    assert psa_oracle.policy_version() == "v1." + k8s.split(".")[1]


def test_corpus_is_large_seeded_and_covers_every_kind(manifests: dict[str, dict]) -> None:
    assert len(manifests) >= MIN_MANIFESTS
    assert list(psa_corpus.corpus()) == list(manifests), "same seed, same corpus"
    kinds = Counter(o["kind"] for o in manifests.values())
    assert set(kinds) == set(psa_corpus.KINDS), kinds
    text = json.dumps(list(manifests.values()))
    assert '"initContainers"' in text and '"ephemeralContainers"' in text


def test_corpus_exercises_every_check_both_ways(psa: dict[str, psa_oracle.Verdict]) -> None:
    """Each PSA check of each level both allows and forbids some manifests (alone and in
    combination), so agreement below is not agreement on trivia."""
    verdicts = list(psa.values())
    for level in psa_oracle.LEVELS:
        for check in sorted(psa_oracle.checks(verdicts, level)):
            forbidden = sum(1 for v in verdicts if not v.levels[level][check])
            assert 10 <= forbidden <= len(verdicts) - 10, f"{level}/{check}: forbidden by {forbidden}"


def test_pack_agrees_with_pod_security_admission(manifests: dict[str, dict],
                                                 psa: dict[str, psa_oracle.Verdict],
                                                 pack: dict[str, set[str]]) -> None:
    verdicts = list(psa.values())
    known = psa_oracle.checks(verdicts, "baseline") | psa_oracle.checks(verdicts, "restricted")
    unknown = {c for checks in pack.values() for c in checks} - known
    assert not unknown, f"the pack names checks PSA does not have: {sorted(unknown)}"
    disagreements: list[str] = []
    compared = 0
    for ident in manifests:
        for level, verdict in psa[ident].levels.items():
            for check, allowed in sorted(verdict.items()):
                compared += 1
                denied = check in pack[ident]
                if denied == allowed:
                    disagreements.append(
                        f"{ident}: {level}/{check}: PSA {'allows' if allowed else 'forbids'} it, "
                        f"the pack {'denies' if denied else 'allows'} it")
    print(f"compared {len(manifests)} manifests, {compared} (manifest, level, check) verdicts")
    if disagreements:
        first = disagreements[0].split(":", 1)[0]
        pytest.fail(f"{len(disagreements)} disagreements with Pod Security Admission "
                    f"({psa_oracle.policy_version()}):\n  " + "\n  ".join(disagreements[:40])
                    + f"\n{first}:\n{json.dumps(manifests[first], indent=1)}")
