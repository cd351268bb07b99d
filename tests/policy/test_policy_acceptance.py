"""The policy bar for the chart, independent of what the scenario files declare: its prod
values pass every policy (0 deny, 0 warn); default and dev values have 0 deny."""

from __future__ import annotations

import pytest

from chartgate.policy.engine import ScenarioPolicy
from chartgate.render import Rendered

PROFILES = {"prod": ("deny", "warn"), "default": ("deny",), "dev": ("deny",)}


@pytest.mark.parametrize("scenario", sorted(PROFILES))
def test_profile_passes_policies(scenario: str, policy_scenarios: dict[str, Rendered],
                                 scenario_results: dict[str, ScenarioPolicy]) -> None:
    assert scenario in policy_scenarios, f"scenario {scenario} must render and run the policy stage"
    result = scenario_results[scenario]
    assert result.documents > 0
    bad = {(h.severity, h.id, h.object) for h in result.hits if h.severity in PROFILES[scenario]}
    report = "\n".join(f"  {h.severity} {h.id} {h.object} ({h.template}): {h.message}"
                       for h in result.hits if (h.severity, h.id, h.object) in bad)
    assert not bad, f"{scenario}: policy violations\n{report}"
