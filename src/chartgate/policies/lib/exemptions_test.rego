package lib.exemptions_test

import rego.v1

import data.lib.exemptions
import data.lib.testdata as td

test_rule_suffix if {
	exemptions.rule_suffix("CLK-SEC-012") == "clk_sec_012"
}

test_expired_boundary if {
	# 2026-01-02T00:00:00Z is the first instant after 2026-01-01
	exemptions.expired("2026-01-01") with time.now_ns as 1767312000000000000
	not exemptions.expired("2026-01-01") with time.now_ns as 1767311999000000000
}

test_requested_from_annotation_and_data if {
	obj := td.add(td.service, "/metadata/annotations", {"chartgate.dev/policy-exempt": "CLK-NET-002,", "clockwork.dev/policy-exempt": "CLK-SEC-012"})
	entries := [{"kind": "Service", "name": "rel-clockwork", "rules": ["CLK-META-001"], "reason": "r", "expires": "2030-01-01"}]
	legacy := [{"kind": "Service", "name": "rel-*", "rules": ["CLK-RES-001"], "reason": "r", "expires": "2030-01-01"}]
	ids := {e.id | some e in exemptions.requested(obj)} with data.chartgate.exemptions as entries with data.clockwork.exemptions as legacy
	ids == {"CLK-NET-002", "CLK-SEC-012", "CLK-META-001", "CLK-RES-001"}
	exemptions.exempt(obj, "CLK-META-001") with data.chartgate.exemptions as entries with time.now_ns as 0
	exemptions.exempt(obj, "CLK-RES-001") with data.clockwork.exemptions as legacy with time.now_ns as 0
	not exemptions.exempt(obj, "CLK-NET-002") with data.chartgate.exemptions as entries with time.now_ns as 0
}
