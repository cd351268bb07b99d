# The policy pack's Pod Security verdict per PSA check, for a batch of documents in one
# query: input.docs = [{"id", "object"}] -> verdicts[id] = the set of PSA check ids the
# pack's pod-security rules report for that object (their results' `pss` field).
# Loaded beside the pack by tests/policy/test_policy_psa.py only.
package psa_diff

import rego.v1

import data.main

# Every result of the pod-security rules (CLK-SEC-001 to CLK-SEC-011) for the input.
pod_security_results := {r |
	some rules in [
		main.deny_clk_sec_001, main.deny_clk_sec_002, main.deny_clk_sec_003, main.deny_clk_sec_004,
		main.deny_clk_sec_005, main.deny_clk_sec_006, main.deny_clk_sec_007, main.deny_clk_sec_008,
		main.deny_clk_sec_009, main.deny_clk_sec_010, main.deny_clk_sec_011,
	]
	some r in rules
}

verdicts := {d.id: checks |
	some d in input.docs
	results := pod_security_results with input as d.object
	checks := {c | some r in results; some c in r.pss}
}
