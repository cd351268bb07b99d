# Workload hardening beyond the Pod Security Standards
package main

import rego.v1

import data.lib.k8s

# METADATA
# title: Read-only root filesystem
# custom:
#   id: CLK-SEC-012
#   severity: deny
#   sources: [Polaris notReadOnlyRootFilesystem, kube-score container-security-context-readonlyrootfilesystem, Trivy KSV014, NSA/CISA 1.1]
#   remediation: >-
#     Set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes on the
#     paths the process writes to (e.g. /tmp). Postgres uses a documented exemption.
deny_clk_sec_012 contains res if {
	some c in k8s.input_containers
	not k8s.container_sc(c).readOnlyRootFilesystem == true
	res := k8s.result(
		"CLK-SEC-012", input, sprintf("%s.securityContext.readOnlyRootFilesystem", [c.path]),
		sprintf("container %q has a writable root filesystem; set securityContext.readOnlyRootFilesystem: true and mount emptyDir for writable paths", [c.name]),
	)
}

# METADATA
# title: No automatically mounted service account token
# custom:
#   id: CLK-SEC-013
#   severity: deny
#   sources: [Polaris automountServiceAccountToken, CIS 5.1.6, Trivy KSV036, NSA/CISA C-0034]
#   remediation: >-
#     Set spec.automountServiceAccountToken: false on the pod; a pod that needs the API
#     carries an exemption annotation for CLK-SEC-013.
deny_clk_sec_013 contains res if {
	spec := k8s.input_pod_spec
	not spec.automountServiceAccountToken == false
	res := k8s.result(
		"CLK-SEC-013", input, sprintf("%s.automountServiceAccountToken", [k8s.pod_spec_path(input)]),
		"pod does not set automountServiceAccountToken: false; set it (or exempt the object from CLK-SEC-013 when it calls the Kubernetes API)",
	)
}

# Effective id of a container's process: container securityContext, else the pod's.
effective_id(c, field) := k8s.container_sc(c)[field]

effective_id(c, field) := k8s.input_pod_sc[field] if not k8s.container_sc(c)[field]

high_id(c, field) if effective_id(c, field) >= 10000

# METADATA
# title: UID and GID at least 10000
# description: >-
#   Warn only: tools disagree (kube-score wants >= 10000, images often use lower ids).
# custom:
#   id: CLK-SEC-017
#   severity: warn
#   sources: [kube-score container-security-context-user-group-id, Trivy KSV020 KSV021]
#   remediation: Run as runAsUser and runAsGroup >= 10000 (and fsGroup >= 10000 when set).
warn_clk_sec_017 contains res if {
	some c in k8s.input_containers
	some field in ["runAsUser", "runAsGroup"]
	not high_id(c, field)
	res := k8s.result(
		"CLK-SEC-017", input, sprintf("%s.securityContext.%s", [c.path, field]),
		sprintf("container %q runs with %s %v; set %s >= 10000 (pod or container securityContext)", [c.name, field, object.get(k8s.container_sc(c), field, object.get(k8s.input_pod_sc, field, "unset")), field]),
	)
}

warn_clk_sec_017 contains res if {
	gid := k8s.input_pod_sc.fsGroup
	gid < 10000
	res := k8s.result(
		"CLK-SEC-017", input, sprintf("%s.securityContext.fsGroup", [k8s.pod_spec_path(input)]),
		sprintf("pod fsGroup is %v; use a group id >= 10000", [gid]),
	)
}
