# The PSA checks each pod-security result names (`pss`), where Baseline and Restricted
# part ways: Windows pods, added capabilities, root groups.
package main_test

import rego.v1

import data.lib.testdata as td
import data.main

windows := td.add(td.deployment, "/spec/template/spec/os", {"name": "windows"})

pss(results) := {c | some r in results; some c in r.pss}

test_windows_container_unconfined_is_baseline_only if {
	obj := td.add(windows, sprintf("%s/securityContext/seccompProfile", [td.c0]), {"type": "Unconfined"})
	pss(main.deny_clk_sec_010) == {"seccompProfile_baseline"} with input as obj
}

test_windows_pod_unconfined_is_baseline_only if {
	obj := td.add(windows, "/spec/template/spec/securityContext/seccompProfile", {"type": "Unconfined"})
	pss(main.deny_clk_sec_010) == {"seccompProfile_baseline"} with input as obj
	linux := td.add(td.deployment, "/spec/template/spec/securityContext/seccompProfile", {"type": "Unconfined"})
	pss(main.deny_clk_sec_010) == {"seccompProfile_baseline", "seccompProfile_restricted"} with input as linux
}

test_unset_seccomp_is_restricted_only if {
	obj := td.remove(td.deployment, "/spec/template/spec/securityContext/seccompProfile")
	pss(main.deny_clk_sec_010) == {"seccompProfile_restricted"} with input as obj
	unconfined := td.add(obj, sprintf("%s/securityContext/seccompProfile", [td.c0]), {"type": "Unconfined"})
	pss(main.deny_clk_sec_010) == {"seccompProfile_restricted", "seccompProfile_baseline"} with input as unconfined
}

add_cap(obj, cap) := td.add(obj, sprintf("%s/securityContext/capabilities/add", [td.c0]), [cap])

test_added_capabilities if {
	pss(main.deny_clk_sec_009) == {"capabilities_restricted"} with input as add_cap(td.deployment, "CHOWN")
	pss(main.deny_clk_sec_009) == {"capabilities_restricted", "capabilities_baseline"} with input as add_cap(td.deployment, "SYS_ADMIN")
	pss(main.deny_clk_sec_009) == {"capabilities_baseline"} with input as add_cap(windows, "SYS_ADMIN")
	count(main.deny_clk_sec_009) == 0 with input as add_cap(windows, "CHOWN")
}

test_root_groups_are_beyond_the_standard if {
	obj := td.add(td.deployment, "/spec/template/spec/securityContext/runAsGroup", 0)
	some r in main.deny_clk_sec_007 with input as obj
	r.pss == []
	user := td.add(td.deployment, "/spec/template/spec/securityContext/runAsUser", 0)
	pss(main.deny_clk_sec_007) == {"runAsUser"} with input as user
}

test_restricted_volumes_and_host_path if {
	host := td.add(td.deployment, "/spec/template/spec/volumes/-", {"name": "h", "hostPath": {"path": "/"}})
	pss(main.deny_clk_sec_003) == {"hostPathVolumes", "restrictedVolumes"} with input as host
	nfs := td.add(td.deployment, "/spec/template/spec/volumes/-", {"name": "n", "nfs": {"server": "s", "path": "/"}})
	pss(main.deny_clk_sec_003) == {"restrictedVolumes"} with input as nfs
	image := td.add(td.deployment, "/spec/template/spec/volumes/-", {"name": "i", "image": {"reference": "x:1"}})
	count(main.deny_clk_sec_003) == 0 with input as image
}

test_apparmor_empty_values if {
	empty_type := td.add(td.deployment, sprintf("%s/securityContext/appArmorProfile", [td.c0]), {})
	pss(main.deny_clk_sec_011) == {"appArmorProfile"} with input as empty_type
	empty_annotation := td.add(td.deployment, "/spec/template/metadata/annotations", {"container.apparmor.security.beta.kubernetes.io/server": ""})
	count(main.deny_clk_sec_011) == 0 with input as empty_annotation
}
