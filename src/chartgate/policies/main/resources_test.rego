package main_test

import rego.v1

import data.lib.testdata as td
import data.main

test_res_001_each_required_field if {
	every field in ["requests/cpu", "requests/memory", "limits/memory"] {
		td.ids(main.deny_clk_res_001) == {"CLK-RES-001"} with input as td.remove(td.deployment, sprintf("%s/resources/%s", [td.c0, field]))
	}
}

test_res_001_no_resources_at_all if {
	results := main.deny_clk_res_001 with input as td.remove(td.deployment, sprintf("%s/resources", [td.c0]))
	count(results) == 3
}

test_res_001_ephemeral_containers_are_skipped if {
	debug := {"name": "debug", "image": "busybox:1.36", "securityContext": td.container_sc}
	count(main.deny_clk_res_001) == 0 with input as td.add(td.deployment, sprintf("%s/ephemeralContainers", [td.pod]), [debug])
}

test_res_002_recommended if {
	every field in ["limits/cpu", "requests/ephemeral-storage", "limits/ephemeral-storage"] {
		td.ids(main.warn_clk_res_002) == {"CLK-RES-002"} with input as td.remove(td.deployment, sprintf("%s/resources/%s", [td.c0, field]))
	}
}

test_res_passes if {
	count(main.deny_clk_res_001) + count(main.warn_clk_res_002) == 0 with input as td.deployment
}
