# Pod Security Standards (Baseline + Restricted) for every pod-bearing kind
# Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob,
# ReplicationController and PodTemplate; every container in containers,
# initContainers and ephemeralContainers. One failing container fails the object.
#
# Each result names, in `pss`, the Pod Security Admission checks (by PSA's check id) it
# is a violation of; a condition the pack denies beyond the standard (root groups, for
# example) names none. tests/policy compares these per-control verdicts with PSA's own
# library (k8s.io/pod-security-admission) on a generated corpus.
package main

import rego.v1

import data.lib.k8s
import data.lib.main_helpers

# A rule result that is a violation of the given PSA checks.
pss_result(id, obj, path, detail, checks) := object.union(k8s.result(id, obj, path, detail), {"pss": checks})

# METADATA
# title: No privileged containers
# custom:
#   id: CLK-SEC-001
#   severity: deny
#   sources: [PSS Baseline privileged, Polaris runAsPrivileged, CIS 5.2.2, Trivy KSV017]
#   remediation: Remove securityContext.privileged or set it to false.
deny_clk_sec_001 contains res if {
	some c in k8s.input_containers
	k8s.container_sc(c).privileged == true
	res := pss_result(
		"CLK-SEC-001", input, sprintf("%s.securityContext.privileged", [c.path]),
		sprintf("container %q sets securityContext.privileged: true; remove it or set it to false", [c.name]),
		["privileged"],
	)
}

# METADATA
# title: No host namespaces
# custom:
#   id: CLK-SEC-002
#   severity: deny
#   sources: [PSS Baseline hostNamespaces, CIS 5.2.3-5.2.5, Trivy KSV008-KSV010]
#   remediation: Remove spec.hostNetwork, spec.hostPID and spec.hostIPC (or set them to false).
deny_clk_sec_002 contains res if {
	spec := k8s.input_pod_spec
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	spec[field] == true
	res := pss_result(
		"CLK-SEC-002", input, sprintf("%s.%s", [k8s.pod_spec_path(input), field]),
		sprintf("pod sets %s: true; remove it so the pod gets its own namespace", [field]),
		["hostNamespaces"],
	)
}

# hostPath breaks Baseline as well as Restricted.
volume_checks("hostPath") := ["hostPathVolumes", "restrictedVolumes"]

volume_checks(vtype) := ["restrictedVolumes"] if vtype != "hostPath"

# METADATA
# title: No hostPath volumes; only the Restricted volume types
# custom:
#   id: CLK-SEC-003
#   severity: deny
#   sources: [PSS Baseline hostPathVolumes, PSS Restricted restrictedVolumes, CIS 5.2.12, Trivy KSV023 KSV028]
#   remediation: >-
#     Use configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim,
#     projected or secret volumes; never hostPath.
deny_clk_sec_003 contains res if {
	some i, vol in object.get(k8s.input_pod_spec, "volumes", [])
	some vtype, _ in vol
	vtype != "name"
	not vtype in main_helpers.restricted_volume_types
	res := pss_result(
		"CLK-SEC-003", input, sprintf("%s.volumes[%d].%s", [k8s.pod_spec_path(input), i, vtype]),
		sprintf("volume %q is of type %s, which the Restricted profile forbids; use emptyDir, a PVC, configMap, secret or projected instead", [object.get(vol, "name", ""), vtype]),
		volume_checks(vtype),
	)
}

# METADATA
# title: No host ports
# custom:
#   id: CLK-SEC-004
#   severity: deny
#   sources: [PSS Baseline hostPorts, CIS 5.2.13, Trivy KSV024]
#   remediation: Remove ports[].hostPort; expose the pod through a Service.
deny_clk_sec_004 contains res if {
	some c in k8s.input_containers
	some i, port in object.get(c.container, "ports", [])
	object.get(port, "hostPort", 0) != 0
	res := pss_result(
		"CLK-SEC-004", input, sprintf("%s.ports[%d].hostPort", [c.path, i]),
		sprintf("container %q binds hostPort %v; remove hostPort and use a Service", [c.name, port.hostPort]),
		["hostPorts"],
	)
}

# METADATA
# title: allowPrivilegeEscalation explicitly false
# custom:
#   id: CLK-SEC-005
#   severity: deny
#   sources: [PSS Restricted allowPrivilegeEscalation, Polaris privilegeEscalationAllowed, CIS 5.2.6, Trivy KSV001]
#   remediation: Set securityContext.allowPrivilegeEscalation to false on every container.
deny_clk_sec_005 contains res if {
	not k8s.is_windows(input)
	some c in k8s.input_containers
	not k8s.container_sc(c).allowPrivilegeEscalation == false
	res := pss_result(
		"CLK-SEC-005", input, sprintf("%s.securityContext.allowPrivilegeEscalation", [c.path]),
		sprintf("container %q does not set securityContext.allowPrivilegeEscalation: false; set it explicitly", [c.name]),
		["allowPrivilegeEscalation"],
	)
}

# METADATA
# title: Effective runAsNonRoot true
# custom:
#   id: CLK-SEC-006
#   severity: deny
#   sources: [PSS Restricted runAsNonRoot, CIS 5.2.7, Trivy KSV012, NSA/CISA 1.0]
#   remediation: >-
#     Set runAsNonRoot: true in the pod securityContext (or on every container) and do
#     not override it with false on a container.
deny_clk_sec_006 contains res if {
	some c in k8s.input_containers
	not run_as_non_root(c)
	res := pss_result(
		"CLK-SEC-006", input, sprintf("%s.securityContext.runAsNonRoot", [c.path]),
		sprintf("container %q may run as root: runAsNonRoot is not true for it (pod or container securityContext); set runAsNonRoot: true", [c.name]),
		["runAsNonRoot"],
	)
}

deny_clk_sec_006 contains res if {
	k8s.input_pod_sc.runAsNonRoot == false
	res := pss_result(
		"CLK-SEC-006", input, sprintf("%s.securityContext.runAsNonRoot", [k8s.pod_spec_path(input)]),
		"pod securityContext sets runAsNonRoot: false, which the Restricted profile rejects whatever the containers say; set it to true or remove it",
		["runAsNonRoot"],
	)
}

run_as_non_root(c) if k8s.container_sc(c).runAsNonRoot == true

run_as_non_root(c) if {
	not has_key(k8s.container_sc(c), "runAsNonRoot")
	k8s.input_pod_sc.runAsNonRoot == true
}

has_key(obj, key) if _ = obj[key]

# METADATA
# title: No root user or root groups
# custom:
#   id: CLK-SEC-007
#   severity: deny
#   sources: [PSS Restricted runAsUser, PSS 2020 non-root groups, Trivy KSV105 KSV116]
#   remediation: >-
#     Use a non-zero runAsUser and runAsGroup, and non-zero fsGroup and
#     supplementalGroups (ideally >= 10000).
deny_clk_sec_007 contains res if {
	some field in ["runAsUser", "runAsGroup", "fsGroup"]
	k8s.input_pod_sc[field] == 0
	res := pss_result(
		"CLK-SEC-007", input, sprintf("%s.securityContext.%s", [k8s.pod_spec_path(input), field]),
		sprintf("pod securityContext.%s is 0 (root); use a non-zero id", [field]),
		id_checks(field),
	)
}

deny_clk_sec_007 contains res if {
	some g in object.get(k8s.input_pod_sc, "supplementalGroups", [])
	g == 0
	res := pss_result(
		"CLK-SEC-007", input, sprintf("%s.securityContext.supplementalGroups", [k8s.pod_spec_path(input)]),
		"pod securityContext.supplementalGroups contains 0 (root); remove it",
		[],
	)
}

deny_clk_sec_007 contains res if {
	some c in k8s.input_containers
	some field in ["runAsUser", "runAsGroup"]
	k8s.container_sc(c)[field] == 0
	res := pss_result(
		"CLK-SEC-007", input, sprintf("%s.securityContext.%s", [c.path, field]),
		sprintf("container %q sets securityContext.%s: 0 (root); use a non-zero id", [c.name, field]),
		id_checks(field),
	)
}

# runAsUser 0 is a Restricted violation; root groups are denied beyond the standard.
id_checks("runAsUser") := ["runAsUser"]

id_checks(field) := [] if field != "runAsUser"

# METADATA
# title: Capabilities drop ALL
# custom:
#   id: CLK-SEC-008
#   severity: deny
#   sources: [PSS Restricted capabilities_restricted, Trivy KSV003]
#   remediation: Add securityContext.capabilities.drop ["ALL"] to every container.
deny_clk_sec_008 contains res if {
	not k8s.is_windows(input)
	some c in k8s.input_containers
	not "ALL" in object.get(k8s.container_sc(c), ["capabilities", "drop"], [])
	res := pss_result(
		"CLK-SEC-008", input, sprintf("%s.securityContext.capabilities.drop", [c.path]),
		sprintf("container %q does not drop ALL capabilities; set securityContext.capabilities.drop: [\"ALL\"]", [c.name]),
		["capabilities_restricted"],
	)
}

# METADATA
# title: Only NET_BIND_SERVICE may be added
# custom:
#   id: CLK-SEC-009
#   severity: deny
#   sources: [PSS Restricted capabilities_restricted, Polaris dangerousCapabilities insecureCapabilities, CIS 5.2.8-5.2.10, Trivy KSV022 KSV106]
#   remediation: Remove every added capability except NET_BIND_SERVICE.
deny_clk_sec_009 contains res if {
	some c in k8s.input_containers
	some cap in object.get(k8s.container_sc(c), ["capabilities", "add"], [])
	cap != "NET_BIND_SERVICE"
	checks := capability_checks(cap)
	count(checks) > 0
	res := pss_result(
		"CLK-SEC-009", input, sprintf("%s.securityContext.capabilities.add", [c.path]),
		sprintf("container %q adds capability %s; only NET_BIND_SERVICE is allowed, remove it", [c.name, cap]),
		checks,
	)
}

# PSA checks an added capability breaks: Restricted (not for Windows pods) allows only
# NET_BIND_SERVICE; Baseline (Windows pods too) the default set above.
capability_checks(cap) := [check |
	some check in ["capabilities_baseline", "capabilities_restricted"]
	capability_breaks(check, cap)
]

capability_breaks("capabilities_baseline", cap) if not cap in main_helpers.baseline_capabilities

capability_breaks("capabilities_restricted", _) if not k8s.is_windows(input)

# A securityContext with a RuntimeDefault or Localhost seccomp profile.
# (`not sc.x.y in set` is undefined, not true, when sc.x.y is missing: use a helper.)
seccomp_confined(sc) if sc.seccompProfile.type in main_helpers.seccomp_ok

# METADATA
# title: Seccomp RuntimeDefault or Localhost
# custom:
#   id: CLK-SEC-010
#   severity: deny
#   sources: [PSS Restricted seccompProfile_restricted, PSS Baseline seccompProfile_baseline, CIS 5.7.2, Trivy KSV030 KSV104]
#   remediation: >-
#     Set spec.securityContext.seccompProfile.type: RuntimeDefault on the pod (or on
#     every container); never Unconfined.
deny_clk_sec_010 contains res if {
	not k8s.is_windows(input)
	not seccomp_confined(k8s.input_pod_sc)
	some c in k8s.input_containers
	not seccomp_confined(k8s.container_sc(c))
	res := pss_result(
		"CLK-SEC-010", input, sprintf("%s.securityContext.seccompProfile.type", [c.path]),
		sprintf("container %q has no RuntimeDefault/Localhost seccomp profile (pod or container); set securityContext.seccompProfile.type: RuntimeDefault", [c.name]),
		array.concat(["seccompProfile_restricted"], seccomp_baseline_checks(k8s.container_sc(c))),
	)
}

deny_clk_sec_010 contains res if {
	not k8s.is_windows(input)
	some c in k8s.input_containers
	seccomp_explicitly_unconfined(k8s.container_sc(c))
	k8s.input_pod_sc.seccompProfile.type in main_helpers.seccomp_ok
	res := pss_result(
		"CLK-SEC-010", input, sprintf("%s.securityContext.seccompProfile.type", [c.path]),
		sprintf("container %q sets seccompProfile.type: %s; use RuntimeDefault", [c.name, k8s.container_sc(c).seccompProfile.type]),
		["seccompProfile_restricted", "seccompProfile_baseline"],
	)
}

# Windows pods are outside the Restricted seccomp control, not the Baseline one.
deny_clk_sec_010 contains res if {
	k8s.is_windows(input)
	some c in k8s.input_containers
	seccomp_explicitly_unconfined(k8s.container_sc(c))
	res := pss_result(
		"CLK-SEC-010", input, sprintf("%s.securityContext.seccompProfile.type", [c.path]),
		sprintf("container %q sets seccompProfile.type: %s; use RuntimeDefault", [c.name, k8s.container_sc(c).seccompProfile.type]),
		["seccompProfile_baseline"],
	)
}

# A seccompProfile with a type other than RuntimeDefault/Localhost (Unconfined).
seccomp_explicitly_unconfined(sc) if {
	_ = sc.seccompProfile.type
	not seccomp_confined(sc)
}

seccomp_baseline_checks(sc) := ["seccompProfile_baseline"] if seccomp_explicitly_unconfined(sc)

seccomp_baseline_checks(sc) := [] if not seccomp_explicitly_unconfined(sc)

deny_clk_sec_010 contains res if {
	seccomp_explicitly_unconfined(k8s.input_pod_sc)
	res := pss_result(
		"CLK-SEC-010", input, sprintf("%s.securityContext.seccompProfile.type", [k8s.pod_spec_path(input)]),
		sprintf("pod seccompProfile.type is %s; use RuntimeDefault", [k8s.input_pod_sc.seccompProfile.type]),
		main_helpers.pod_seccomp_checks,
	)
}

# METADATA
# title: Pod Security Baseline remainder
# description: >-
#   procMount Default, safe sysctls only, SELinux type/user/role, AppArmor not Unconfined,
#   no Windows hostProcess, no host in probes or lifecycle hooks.
# custom:
#   id: CLK-SEC-011
#   severity: deny
#   sources: [PSS Baseline procMount sysctls seLinuxOptions appArmorProfile windowsHostProcess hostProbesAndHostLifecycle]
#   remediation: Remove the listed field; the defaults are what the Baseline profile allows.
deny_clk_sec_011 contains res if {
	some c in k8s.input_containers
	pm := k8s.container_sc(c).procMount
	pm != "Default"
	res := pss_result(
		"CLK-SEC-011", input, sprintf("%s.securityContext.procMount", [c.path]),
		sprintf("container %q sets procMount: %s; remove it (Default)", [c.name, pm]),
		["procMount"],
	)
}

deny_clk_sec_011 contains res if {
	some s in object.get(k8s.input_pod_sc, "sysctls", [])
	name := object.get(s, "name", "")
	not name in main_helpers.safe_sysctls
	res := pss_result(
		"CLK-SEC-011", input, sprintf("%s.securityContext.sysctls", [k8s.pod_spec_path(input)]),
		sprintf("pod sets the unsafe sysctl %s; remove it", [name]),
		["sysctls"],
	)
}

deny_clk_sec_011 contains res if {
	some [path, sc] in main_helpers.security_contexts
	t := sc.seLinuxOptions.type
	not t in main_helpers.selinux_types
	res := pss_result(
		"CLK-SEC-011", input, sprintf("%s.seLinuxOptions.type", [path]),
		sprintf("%s.seLinuxOptions.type is %s; only container_t, container_init_t, container_kvm_t or container_engine_t are allowed", [path, t]),
		["seLinuxOptions"],
	)
}

deny_clk_sec_011 contains res if {
	some [path, sc] in main_helpers.security_contexts
	some field in ["user", "role"]
	object.get(sc, ["seLinuxOptions", field], "") != ""
	res := pss_result(
		"CLK-SEC-011", input, sprintf("%s.seLinuxOptions.%s", [path, field]),
		sprintf("%s.seLinuxOptions.%s is set; remove it", [path, field]),
		["seLinuxOptions"],
	)
}

deny_clk_sec_011 contains res if {
	some [path, sc] in main_helpers.security_contexts
	profile := sc.appArmorProfile
	t := object.get(profile, "type", "")
	not t in main_helpers.apparmor_types
	res := pss_result(
		"CLK-SEC-011", input, sprintf("%s.appArmorProfile.type", [path]),
		sprintf("%s.appArmorProfile.type is %s; use RuntimeDefault or Localhost", [path, t]),
		["appArmorProfile"],
	)
}

deny_clk_sec_011 contains res if {
	some key, value in object.get(k8s.pod_metadata(input), "annotations", {})
	startswith(key, "container.apparmor.security.beta.kubernetes.io/")
	value != ""
	value != "runtime/default"
	not startswith(value, "localhost/")
	res := pss_result(
		"CLK-SEC-011", input, sprintf("metadata.annotations[%q]", [key]),
		sprintf("pod annotation %s is %s; use runtime/default or localhost/<profile>", [key, value]),
		["appArmorProfile"],
	)
}

deny_clk_sec_011 contains res if {
	some [path, sc] in main_helpers.security_contexts
	sc.windowsOptions.hostProcess == true
	res := pss_result(
		"CLK-SEC-011", input, sprintf("%s.windowsOptions.hostProcess", [path]),
		sprintf("%s.windowsOptions.hostProcess is true; remove it", [path]),
		["windowsHostProcess"],
	)
}

deny_clk_sec_011 contains res if {
	some c in k8s.input_containers
	some [where, handler] in probe_handlers(c.container)
	some proto in ["httpGet", "tcpSocket"]
	object.get(handler, [proto, "host"], "") != ""
	res := pss_result(
		"CLK-SEC-011", input, sprintf("%s.%s.%s.host", [c.path, where, proto]),
		sprintf("container %q %s.%s.host is %s; remove host so the kubelet probes the pod itself", [c.name, where, proto, handler[proto].host]),
		["hostProbesAndHostLifecycle"],
	)
}

probe_handlers(c) := {[p, c[p]] | some p in ["livenessProbe", "readinessProbe", "startupProbe"]; c[p]} | {[sprintf("lifecycle.%s", [h]), c.lifecycle[h]] | some h in ["postStart", "preStop"]; c.lifecycle[h]}
