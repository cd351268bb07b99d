# RBAC the chart grants
package main

import rego.v1

import data.lib.k8s

rbac_role_kinds := {"Role", "ClusterRole"}

# Verbs that read a resource's content.
read_verbs := {"get", "list", "watch", "*"}

# Why a rule of a Role/ClusterRole is too broad: [path, detail].
rbac_problems contains [sprintf("rules[%d].%s", [i, field]), sprintf("rule grants %s \"*\"; list what is needed", [field])] if {
	some i, rule in object.get(input, "rules", [])
	some field in ["verbs", "resources", "apiGroups"]
	"*" in object.get(rule, field, [])
}

rbac_problems contains [sprintf("rules[%d].resources", [i]), sprintf("rule grants %s on secrets, which reads every credential in its scope; mount the one Secret the workload needs instead", [concat(",", sort([v | some v in rule.verbs; v in read_verbs]))])] if {
	some i, rule in object.get(input, "rules", [])
	"secrets" in object.get(rule, "resources", [])
	some v in object.get(rule, "verbs", [])
	v in read_verbs
}

rbac_problems contains [sprintf("rules[%d].verbs", [i]), sprintf("rule grants %s, which lets its holder gain permissions it does not have", [v])] if {
	some i, rule in object.get(input, "rules", [])
	some v in object.get(rule, "verbs", [])
	v in {"bind", "escalate", "impersonate"}
}

rbac_problems contains [sprintf("rules[%d].resources", [i]), sprintf("rule grants access to %s, a shell in any pod of its scope", [r])] if {
	some i, rule in object.get(input, "rules", [])
	some r in object.get(rule, "resources", [])
	r in {"pods/exec", "pods/attach"}
}

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
	input.kind in rbac_role_kinds
	some [path, detail] in rbac_problems
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
