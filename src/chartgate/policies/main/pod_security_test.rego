package main_test

import rego.v1

import data.lib.testdata as td
import data.main

dep := td.deployment

# --- every rule is quiet on the compliant set ----------------------------------------
test_compliant_objects_have_no_failures if {
	results := {[obj.kind, name, r.id] |
		some obj in td.all_objects
		some name, rs in main with input as obj
		regex.match(`^(deny|warn|violation)`, name)
		some r in rs
	}
	count(results) == 0
}

# --- CLK-SEC-001 -----------------------------------------------------------------------
test_sec_001_privileged_container if {
	td.ids(main.deny_clk_sec_001) == {"CLK-SEC-001"} with input as td.add(dep, sprintf("%s/securityContext/privileged", [td.c0]), true)
}

test_sec_001_privileged_init_container if {
	init := object.union(td.server_container, {"name": "init", "securityContext": object.union(td.container_sc, {"privileged": true})})
	results := main.deny_clk_sec_001 with input as td.add(dep, sprintf("%s/initContainers", [td.pod]), [init])
	some r in results
	contains(r.msg, `container "init"`)
	r.path == "spec.template.spec.initContainers[0].securityContext.privileged"
}

test_sec_001_passes if {
	count(main.deny_clk_sec_001) == 0 with input as td.add(dep, sprintf("%s/securityContext/privileged", [td.c0]), false)
}

# --- CLK-SEC-002 -----------------------------------------------------------------------
test_sec_002_host_namespaces if {
	every field in ["hostNetwork", "hostPID", "hostIPC"] {
		td.ids(main.deny_clk_sec_002) == {"CLK-SEC-002"} with input as td.add(dep, sprintf("%s/%s", [td.pod, field]), true)
	}
}

test_sec_002_false_passes if {
	count(main.deny_clk_sec_002) == 0 with input as td.add(dep, sprintf("%s/hostNetwork", [td.pod]), false)
}

# --- CLK-SEC-003 -----------------------------------------------------------------------
test_sec_003_host_path if {
	some r in main.deny_clk_sec_003 with input as td.add(dep, sprintf("%s/volumes/-", [td.pod]), {"name": "h", "hostPath": {"path": "/etc"}})
	r.path == "spec.template.spec.volumes[2].hostPath"
}

test_sec_003_non_restricted_volume_type if {
	td.ids(main.deny_clk_sec_003) == {"CLK-SEC-003"} with input as td.add(dep, sprintf("%s/volumes/-", [td.pod]), {"name": "n", "nfs": {"server": "x", "path": "/"}})
}

test_sec_003_allowed_types_pass if {
	vols := [{"name": "a", "projected": {"sources": []}}, {"name": "b", "persistentVolumeClaim": {"claimName": "x"}}, {"name": "c", "ephemeral": {}}]
	count(main.deny_clk_sec_003) == 0 with input as td.add(dep, sprintf("%s/volumes", [td.pod]), vols)
}

# --- CLK-SEC-004 -----------------------------------------------------------------------
test_sec_004_host_port if {
	td.ids(main.deny_clk_sec_004) == {"CLK-SEC-004"} with input as td.add(dep, sprintf("%s/ports/0/hostPort", [td.c0]), 8080)
}

test_sec_004_zero_host_port_passes if {
	count(main.deny_clk_sec_004) == 0 with input as td.add(dep, sprintf("%s/ports/0/hostPort", [td.c0]), 0)
}

# --- CLK-SEC-005 -----------------------------------------------------------------------
test_sec_005_unset if {
	td.ids(main.deny_clk_sec_005) == {"CLK-SEC-005"} with input as td.remove(dep, sprintf("%s/securityContext/allowPrivilegeEscalation", [td.c0]))
}

test_sec_005_true if {
	td.ids(main.deny_clk_sec_005) == {"CLK-SEC-005"} with input as td.add(dep, sprintf("%s/securityContext/allowPrivilegeEscalation", [td.c0]), true)
}

test_sec_005_windows_exempt if {
	obj := td.add(td.remove(dep, sprintf("%s/securityContext/allowPrivilegeEscalation", [td.c0])), sprintf("%s/os", [td.pod]), {"name": "windows"})
	count(main.deny_clk_sec_005) == 0 with input as obj
}

# --- CLK-SEC-006 -----------------------------------------------------------------------
test_sec_006_container_false_overrides_pod if {
	td.ids(main.deny_clk_sec_006) == {"CLK-SEC-006"} with input as td.add(dep, sprintf("%s/securityContext/runAsNonRoot", [td.c0]), false)
}

test_sec_006_unset_everywhere if {
	obj := td.remove(td.remove(dep, sprintf("%s/securityContext/runAsNonRoot", [td.c0])), sprintf("%s/securityContext/runAsNonRoot", [td.pod]))
	td.ids(main.deny_clk_sec_006) == {"CLK-SEC-006"} with input as obj
}

test_sec_006_pod_level_is_enough if {
	count(main.deny_clk_sec_006) == 0 with input as td.remove(dep, sprintf("%s/securityContext/runAsNonRoot", [td.c0]))
}

# --- CLK-SEC-007 -----------------------------------------------------------------------
test_sec_007_pod_ids_zero if {
	every field in ["runAsUser", "runAsGroup", "fsGroup"] {
		td.ids(main.deny_clk_sec_007) == {"CLK-SEC-007"} with input as td.add(dep, sprintf("%s/securityContext/%s", [td.pod, field]), 0)
	}
}

test_sec_007_supplemental_group_zero if {
	td.ids(main.deny_clk_sec_007) == {"CLK-SEC-007"} with input as td.add(dep, sprintf("%s/securityContext/supplementalGroups", [td.pod]), [10001, 0])
}

test_sec_007_container_root if {
	some r in main.deny_clk_sec_007 with input as td.add(dep, sprintf("%s/securityContext/runAsUser", [td.c0]), 0)
	r.path == "spec.template.spec.containers[0].securityContext.runAsUser"
}

test_sec_007_non_zero_passes if {
	count(main.deny_clk_sec_007) == 0 with input as td.add(dep, sprintf("%s/securityContext/supplementalGroups", [td.pod]), [10001])
}

# --- CLK-SEC-008 / 009 ---------------------------------------------------------------
test_sec_008_no_drop_all if {
	td.ids(main.deny_clk_sec_008) == {"CLK-SEC-008"} with input as td.add(dep, sprintf("%s/securityContext/capabilities", [td.c0]), {"drop": ["NET_RAW"]})
}

test_sec_009_added_capability if {
	td.ids(main.deny_clk_sec_009) == {"CLK-SEC-009"} with input as td.add(dep, sprintf("%s/securityContext/capabilities/add", [td.c0]), ["NET_BIND_SERVICE", "SYS_ADMIN"])
}

test_sec_009_net_bind_service_passes if {
	count(main.deny_clk_sec_009) == 0 with input as td.add(dep, sprintf("%s/securityContext/capabilities/add", [td.c0]), ["NET_BIND_SERVICE"])
}

# --- CLK-SEC-010 -----------------------------------------------------------------------
test_sec_010_missing_everywhere if {
	td.ids(main.deny_clk_sec_010) == {"CLK-SEC-010"} with input as td.remove(dep, sprintf("%s/securityContext/seccompProfile", [td.pod]))
}

test_sec_010_set_on_every_container_passes if {
	obj := td.add(td.remove(dep, sprintf("%s/securityContext/seccompProfile", [td.pod])), sprintf("%s/securityContext/seccompProfile", [td.c0]), {"type": "Localhost", "localhostProfile": "p.json"})
	count(main.deny_clk_sec_010) == 0 with input as obj
}

test_sec_010_container_unconfined if {
	some r in main.deny_clk_sec_010 with input as td.add(dep, sprintf("%s/securityContext/seccompProfile", [td.c0]), {"type": "Unconfined"})
	contains(r.msg, "Unconfined")
}

test_sec_010_pod_unconfined if {
	some r in main.deny_clk_sec_010 with input as td.add(dep, sprintf("%s/securityContext/seccompProfile/type", [td.pod]), "Unconfined")
	r.path == "spec.template.spec.securityContext.seccompProfile.type"
}

# --- CLK-SEC-011 -----------------------------------------------------------------------
test_sec_011_proc_mount if {
	td.ids(main.deny_clk_sec_011) == {"CLK-SEC-011"} with input as td.add(dep, sprintf("%s/securityContext/procMount", [td.c0]), "Unmasked")
}

test_sec_011_proc_mount_default_passes if {
	count(main.deny_clk_sec_011) == 0 with input as td.add(dep, sprintf("%s/securityContext/procMount", [td.c0]), "Default")
}

test_sec_011_unsafe_sysctl if {
	sysctls := [{"name": "net.ipv4.tcp_syncookies", "value": "1"}, {"name": "kernel.msgmax", "value": "1"}]
	results := main.deny_clk_sec_011 with input as td.add(dep, sprintf("%s/securityContext/sysctls", [td.pod]), sysctls)
	count(results) == 1
}

test_sec_011_selinux if {
	td.ids(main.deny_clk_sec_011) == {"CLK-SEC-011"} with input as td.add(dep, sprintf("%s/securityContext/seLinuxOptions", [td.c0]), {"type": "spc_t"})
	td.ids(main.deny_clk_sec_011) == {"CLK-SEC-011"} with input as td.add(dep, sprintf("%s/securityContext/seLinuxOptions", [td.pod]), {"user": "root"})
	count(main.deny_clk_sec_011) == 0 with input as td.add(dep, sprintf("%s/securityContext/seLinuxOptions", [td.pod]), {"type": "container_t", "level": "s0:c1"})
}

test_sec_011_apparmor if {
	td.ids(main.deny_clk_sec_011) == {"CLK-SEC-011"} with input as td.add(dep, sprintf("%s/securityContext/appArmorProfile", [td.pod]), {"type": "Unconfined"})
	count(main.deny_clk_sec_011) == 0 with input as td.add(dep, sprintf("%s/securityContext/appArmorProfile", [td.c0]), {"type": "RuntimeDefault"})
}

test_sec_011_apparmor_annotation if {
	ann := {"container.apparmor.security.beta.kubernetes.io/server": "unconfined"}
	td.ids(main.deny_clk_sec_011) == {"CLK-SEC-011"} with input as td.add(dep, "/spec/template/metadata/annotations", ann)
	ok := {"container.apparmor.security.beta.kubernetes.io/server": "localhost/prof"}
	count(main.deny_clk_sec_011) == 0 with input as td.add(dep, "/spec/template/metadata/annotations", ok)
}

test_sec_011_host_process if {
	td.ids(main.deny_clk_sec_011) == {"CLK-SEC-011"} with input as td.add(dep, sprintf("%s/securityContext/windowsOptions", [td.pod]), {"hostProcess": true})
}

test_sec_011_probe_host if {
	some r in main.deny_clk_sec_011 with input as td.add(dep, sprintf("%s/livenessProbe/httpGet/host", [td.c0]), "10.0.0.1")
	r.path == "spec.template.spec.containers[0].livenessProbe.httpGet.host"
}

test_sec_011_lifecycle_host if {
	some r in main.deny_clk_sec_011 with input as td.add(dep, sprintf("%s/lifecycle/postStart", [td.c0]), {"tcpSocket": {"port": 80, "host": "evil"}})
	r.path == "spec.template.spec.containers[0].lifecycle.postStart.tcpSocket.host"
}

test_pod_kinds_are_covered if {
	pod := {"apiVersion": "v1", "kind": "Pod", "metadata": td.meta("p", {}), "spec": object.union(dep.spec.template.spec, {"hostPID": true})}
	td.ids(main.deny_clk_sec_002) == {"CLK-SEC-002"} with input as pod
	cron := {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": td.meta("c", {}), "spec": {"jobTemplate": {"spec": {"template": {"spec": object.union(dep.spec.template.spec, {"hostIPC": true})}}}}}
	some r in main.deny_clk_sec_002 with input as cron
	r.path == "spec.jobTemplate.spec.template.spec.hostIPC"
}
