package main_test

import rego.v1

import data.lib.testdata as td
import data.main

exempt(obj, ids, reason, expires) := exempt_as("chartgate.dev", obj, ids, reason, expires)

exempt_as(prefix, obj, ids, reason, expires) := td.add(obj, "/metadata/annotations", {
	sprintf("%s/policy-exempt", [prefix]): ids,
	sprintf("%s/policy-exempt-reason", [prefix]): reason,
	sprintf("%s/policy-exempt-expires", [prefix]): expires,
})

writable := td.add(td.deployment, sprintf("%s/securityContext/readOnlyRootFilesystem", [td.c0]), false)

# 2026-01-01T00:00:00Z
now := 1767225600000000000

test_exception_for_valid_exemption if {
	main.exception == {{"clk_sec_012"}} with input as exempt(writable, "CLK-SEC-012", "postgres writes its socket dir", "2026-06-30")
		with time.now_ns as now
	count(main.warn_clk_exc_001) == 0 with input as exempt(writable, "CLK-SEC-012", "postgres writes its socket dir", "2026-06-30")
		with time.now_ns as now
}

test_exception_lists_several_rules if {
	main.exception == {{"clk_sec_012"}, {"clk_sec_015"}} with input as exempt(writable, "CLK-SEC-012, CLK-SEC-015", "r", "2026-06-30")
		with time.now_ns as now
}

test_exemption_lasts_through_its_expiry_day if {
	main.exception == {{"clk_sec_012"}} with input as exempt(writable, "CLK-SEC-012", "r", "2026-01-01")
		with time.now_ns as now
}

test_expired_exemption_does_not_exempt_and_is_reported if {
	obj := exempt(writable, "CLK-SEC-012", "r", "2025-12-31")
	count(main.exception) == 0 with input as obj with time.now_ns as now
	some r in main.warn_clk_exc_001 with input as obj with time.now_ns as now
	contains(r.msg, "expired on 2025-12-31")
	r.resource == "Deployment/rel-clockwork"
}

test_exemption_without_reason if {
	obj := exempt(writable, "CLK-SEC-012", " ", "2026-06-30")
	count(main.exception) == 0 with input as obj with time.now_ns as now
	some r in main.warn_clk_exc_001 with input as obj with time.now_ns as now
	contains(r.msg, "no reason")
}

test_exemption_without_expiry if {
	obj := td.add(writable, "/metadata/annotations", {"chartgate.dev/policy-exempt": "CLK-SEC-012", "chartgate.dev/policy-exempt-reason": "r"})
	count(main.exception) == 0 with input as obj
	some r in main.warn_clk_exc_001 with input as obj
	contains(r.msg, "no expiry date (chartgate.dev/policy-exempt-expires")
	r.path == "metadata.annotations[\"chartgate.dev/policy-exempt\"]"
}

# The clockwork.dev/ names of the annotations (charts written before the pack became
# chart-neutral) still exempt, and are reported under their own names.
test_legacy_clockwork_annotations_exempt if {
	main.exception == {{"clk_sec_012"}} with input as exempt_as("clockwork.dev", writable, "CLK-SEC-012", "r", "2026-06-30")
		with time.now_ns as now
	obj := td.add(writable, "/metadata/annotations", {"clockwork.dev/policy-exempt": "CLK-SEC-012", "clockwork.dev/policy-exempt-expires": "2026-06-30"})
	count(main.exception) == 0 with input as obj with time.now_ns as now
	some r in main.warn_clk_exc_001 with input as obj with time.now_ns as now
	contains(r.msg, "no reason (clockwork.dev/policy-exempt-reason)")
	r.path == "metadata.annotations[\"clockwork.dev/policy-exempt\"]"
}

# A reason under one prefix does not complete an exemption requested under the other.
test_prefixes_do_not_mix if {
	obj := td.add(writable, "/metadata/annotations", {
		"chartgate.dev/policy-exempt": "CLK-SEC-012",
		"clockwork.dev/policy-exempt-reason": "r",
		"clockwork.dev/policy-exempt-expires": "2026-06-30",
	})
	count(main.exception) == 0 with input as obj with time.now_ns as now
}

test_exemption_with_malformed_expiry if {
	some r in main.warn_clk_exc_001 with input as exempt(writable, "CLK-SEC-012", "r", "30/06/2026")
	contains(r.msg, "not YYYY-MM-DD")
}

test_exemption_with_malformed_id if {
	some r in main.warn_clk_exc_001 with input as exempt(writable, "readOnlyRootFilesystem", "r", "2026-06-30")
	contains(r.msg, "does not look like a policy id")
}

test_exemption_from_data_file if {
	entries := [{"kind": "Deployment", "name": "rel-*", "rules": ["CLK-SEC-012"], "reason": "subchart", "expires": "2026-06-30"}]
	main.exception == {{"clk_sec_012"}} with input as writable with data.chartgate.exemptions as entries with time.now_ns as now
	some e in main.exemptions_in_force with input as writable with data.chartgate.exemptions as entries with time.now_ns as now
	e.source == "exemptions data (data.chartgate.exemptions)"
}

test_exemption_from_legacy_data_key if {
	entries := [{"kind": "Deployment", "name": "rel-*", "rules": ["CLK-SEC-012"], "reason": "subchart", "expires": "2026-06-30"}]
	main.exception == {{"clk_sec_012"}} with input as writable with data.clockwork.exemptions as entries with time.now_ns as now
}

test_data_file_exemption_respects_namespace_and_kind if {
	entries := [
		{"kind": "Deployment", "name": "rel-*", "namespace": "other", "rules": ["CLK-SEC-012"], "reason": "x", "expires": "2026-06-30"},
		{"kind": "StatefulSet", "name": "*", "rules": ["CLK-SEC-012"], "reason": "x", "expires": "2026-06-30"},
	]
	count(main.exception) == 0 with input as writable with data.chartgate.exemptions as entries with time.now_ns as now
	obj := td.add(writable, "/metadata/namespace", "other")
	main.exception == {{"clk_sec_012"}} with input as obj with data.chartgate.exemptions as entries with time.now_ns as now
}

test_data_file_expired_entry_is_reported if {
	entries := [{"kind": "Deployment", "name": "rel-clockwork", "rules": ["CLK-SEC-012"], "reason": "x", "expires": "2025-01-01"}]
	some r in main.warn_clk_exc_001 with input as writable with data.chartgate.exemptions as entries with time.now_ns as now
	contains(r.msg, "data.chartgate.exemptions")
}

test_no_exemption_no_exception if {
	count(main.exception) == 0 with input as writable
	count(main.warn_clk_exc_001) == 0 with input as writable
}
