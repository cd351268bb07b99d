# A chart's own rule beside the built-in pack (tests/policy/test_policy_extend.py): every
# Service carries the owning team's label; the allowed teams come from this directory's data.
package main

import rego.v1

deny_clk_ext_001 contains res if {
	input.kind == "Service"
	not object.get(object.get(input.metadata, "labels", {}), "team", "") in data.chartgate.teams
	res := {
		"msg": sprintf("[CLK-EXT-001] Service/%s: no team label from %v", [input.metadata.name, data.chartgate.teams]),
		"id": "CLK-EXT-001",
		"resource": sprintf("Service/%s", [input.metadata.name]),
		"path": "metadata.labels.team",
	}
}
