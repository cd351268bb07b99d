# Exemptions through conftest's exception mechanism
# conftest (and chartgate) skip deny_<x>/warn_<x> for an input when `exception`
# contains a set naming <x>. A complete, unexpired exemption for CLK-SEC-012 on this
# object yields {"clk_sec_012"}; see lib/exemptions.rego for the annotations and the
# data file.
package main

import rego.v1

import data.lib.exemptions

exception contains {exemptions.rule_suffix(id)} if {
	some id in exemptions.active_ids(input)
}

# METADATA
# title: Exemptions are complete and current
# description: >-
#   An exemption without a reason, without or with a malformed expiry date, naming a
#   malformed rule id, or past its expiry date does not exempt; this reports it.
# custom:
#   id: CLK-EXC-001
#   severity: warn
#   sources: [Polaris exemptions, kube-score kube-score/ignore]
#   remediation: >-
#     Give the exemption a reason (chartgate.dev/policy-exempt-reason) and a future
#     expiry date (chartgate.dev/policy-exempt-expires: YYYY-MM-DD), or fix the object.
warn_clk_exc_001 contains res if {
	some [e, why] in exemptions.problems(input)
	res := {
		"msg": sprintf("[CLK-EXC-001] %s/%s: %s (%s)", [input.kind, input.metadata.name, why, e.source]),
		"id": "CLK-EXC-001",
		"resource": sprintf("%s/%s", [input.kind, input.metadata.name]),
		"path": sprintf("metadata.annotations[\"%s/policy-exempt\"]", [e.prefix]),
	}
}

# The exemptions in force for this input, with reason and expiry (chartgate reports them
# as notes; conftest ignores this rule).
exemptions_in_force := exemptions.active(input)
