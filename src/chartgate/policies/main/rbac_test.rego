package main_test

import rego.v1

import data.lib.testdata as td
import data.main

role := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": "Role",
	"metadata": td.meta("rel-clockwork", {}),
	"rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}],
}

rule(r) := td.add(role, "/rules/-", r)

test_rbac_001_narrow_role_passes if {
	count(main.deny_clk_rbac_001) == 0 with input as role
	count(main.deny_clk_rbac_001) == 0 with input as rule({"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]})
}

test_rbac_001_wildcards if {
	every r in [
		{"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]},
		{"apiGroups": [""], "resources": ["*"], "verbs": ["get"]},
		{"apiGroups": ["*"], "resources": ["pods"], "verbs": ["get"]},
	] {
		td.ids(main.deny_clk_rbac_001) == {"CLK-RBAC-001"} with input as rule(r)
	}
}

test_rbac_001_secrets_escalation_exec if {
	some s in main.deny_clk_rbac_001 with input as rule({"apiGroups": [""], "resources": ["secrets"], "verbs": ["list", "watch"]})
	contains(s.msg, "list,watch on secrets")
	some e in main.deny_clk_rbac_001 with input as rule({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["escalate"]})
	contains(e.msg, "escalate")
	some x in main.deny_clk_rbac_001 with input as rule({"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]})
	contains(x.msg, "pods/exec")
	cluster := object.union(rule({"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]}), {"kind": "ClusterRole"})
	td.ids(main.deny_clk_rbac_001) == {"CLK-RBAC-001"} with input as cluster
}

test_rbac_001_cluster_admin_binding if {
	binding := {
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind": "ClusterRoleBinding",
		"metadata": td.meta("rel-clockwork", {}),
		"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
		"subjects": [{"kind": "ServiceAccount", "name": "rel-clockwork", "namespace": "clockwork"}],
	}
	some r in main.deny_clk_rbac_001 with input as binding
	r.path == "roleRef.name"
	count(main.deny_clk_rbac_001) == 0 with input as td.add(binding, "/roleRef/name", "view")
}
