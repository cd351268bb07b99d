package main_test

import rego.v1

import data.lib.testdata as td
import data.main

test_sec_012_writable_root if {
	some r in main.deny_clk_sec_012 with input as td.add(td.deployment, sprintf("%s/securityContext/readOnlyRootFilesystem", [td.c0]), false)
	r.id == "CLK-SEC-012"
	r.resource == "Deployment/rel-clockwork"
	contains(r.msg, "emptyDir")
}

test_sec_012_unset if {
	td.ids(main.deny_clk_sec_012) == {"CLK-SEC-012"} with input as td.remove(td.deployment, sprintf("%s/securityContext/readOnlyRootFilesystem", [td.c0]))
}

test_sec_012_passes if {
	count(main.deny_clk_sec_012) == 0 with input as td.deployment
}

test_sec_013_token_mounted if {
	td.ids(main.deny_clk_sec_013) == {"CLK-SEC-013"} with input as td.remove(td.deployment, sprintf("%s/automountServiceAccountToken", [td.pod]))
	td.ids(main.deny_clk_sec_013) == {"CLK-SEC-013"} with input as td.add(td.deployment, sprintf("%s/automountServiceAccountToken", [td.pod]), true)
}

test_sec_013_passes if {
	count(main.deny_clk_sec_013) == 0 with input as td.migration_job
}

test_sec_017_low_uid if {
	results := main.warn_clk_sec_017 with input as td.add(td.deployment, sprintf("%s/securityContext/runAsUser", [td.pod]), 999)
	td.ids(results) == {"CLK-SEC-017"}
	some r in results
	contains(r.msg, "runAsUser 999")
}

test_sec_017_container_overrides_pod if {
	count(main.warn_clk_sec_017) == 0 with input as td.add(
		td.add(td.deployment, sprintf("%s/securityContext/runAsUser", [td.pod]), 999),
		sprintf("%s/securityContext/runAsUser", [td.c0]), 20000,
	)
}

test_sec_017_unset_ids if {
	results := main.warn_clk_sec_017 with input as td.remove(td.deployment, sprintf("%s/securityContext/runAsGroup", [td.pod]))
	some r in results
	contains(r.msg, "runAsGroup unset")
}

test_sec_017_low_fs_group if {
	some r in main.warn_clk_sec_017 with input as td.add(td.deployment, sprintf("%s/securityContext/fsGroup", [td.pod]), 1000)
	r.path == "spec.template.spec.securityContext.fsGroup"
}
