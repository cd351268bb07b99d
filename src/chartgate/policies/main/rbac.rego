# RBAC the chart grants
package main

import rego.v1

import data.lib.k8s
import data.lib.main_helpers

# METADATA
# title: RBAC grants no cluster-admin, wildcards, secret reads or privilege escalation
# description: >-
#   No binding to cluster-admin; no "*" in verbs, resources or apiGroups; no get/list/watch
#   on secrets; no bind, escalate or impersonate; no pods/exec or pods/attach.
# custom:
#   id: CLK-RBAC-001
#   severity: deny
#   sources: [KubeLinter cluster-admin-role-binding wildcard-in-rules access-to-secrets, CIS 5.1.1 5.1.2 5.1.3 5.1.8, Kubernetes RBAC good practices]
#   remediation: Grant the narrowest verbs and resources the workload needs; never cluster-admin.
deny_clk_rbac_001 contains res if {
	input.kind in main_helpers.rbac_role_kinds
	some [path, detail] in main_helpers.rbac_problems
	res := k8s.result("CLK-RBAC-001", input, path, detail)
}

deny_clk_rbac_001 contains res if {
	input.kind in {"RoleBinding", "ClusterRoleBinding"}
	input.roleRef.name == "cluster-admin"
	res := k8s.result(
		"CLK-RBAC-001", input, "roleRef.name",
		"binds cluster-admin, which can do anything in the cluster; bind a Role with the permissions needed",
	)
}
