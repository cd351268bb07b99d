package main_test

import rego.v1

import data.lib.testdata as td
import data.main

test_rel_001_missing_readiness if {
	td.ids(main.deny_clk_rel_001) == {"CLK-REL-001"} with input as td.remove(td.deployment, sprintf("%s/readinessProbe", [td.c0]))
}

test_rel_001_jobs_are_not_long_running if {
	count(main.deny_clk_rel_001) == 0 with input as td.migration_job
}

test_rel_002_missing_liveness if {
	td.ids(main.deny_clk_rel_002) == {"CLK-REL-002"} with input as td.remove(td.deployment, sprintf("%s/livenessProbe", [td.c0]))
}

test_rel_002_identical_probes if {
	probe := {"httpGet": {"path": "/api/health", "port": "http"}}
	some r in main.deny_clk_rel_002 with input as td.add(td.deployment, sprintf("%s/livenessProbe", [td.c0]), probe)
	contains(r.msg, "same handler")
}

test_rel_002_passes if {
	count(main.deny_clk_rel_002) == 0 with input as td.statefulset
}

test_rel_003_recreate if {
	td.ids(main.deny_clk_rel_003) == {"CLK-REL-003"} with input as td.add(td.deployment, "/spec/strategy", {"type": "Recreate"})
}

test_rel_003_max_unavailable_unset if {
	some r in main.deny_clk_rel_003 with input as td.remove(td.deployment, "/spec/strategy")
	r.path == "spec.strategy.rollingUpdate.maxUnavailable"
}

test_rel_003_max_unavailable_too_high if {
	every mu in [2, 5, "100%"] {
		td.ids(main.deny_clk_rel_003) == {"CLK-REL-003"} with input as td.add(td.deployment, "/spec/strategy/rollingUpdate/maxUnavailable", mu)
	}
}

# Without spec.replicas, package combine compares maxUnavailable with the HPA minimum.
test_rel_003_no_replicas_left_to_combine if {
	obj := td.add(td.remove(td.deployment, "/spec/replicas"), "/spec/strategy/rollingUpdate/maxUnavailable", 1)
	count(main.deny_clk_rel_003) == 0 with input as obj
}

test_rel_003_passes if {
	every mu in [0, "0%", 1, "25%"] {
		count(main.deny_clk_rel_003) == 0 with input as td.add(td.deployment, "/spec/strategy/rollingUpdate/maxUnavailable", mu)
	}
}

test_rel_004_no_prestop if {
	td.ids(main.warn_clk_rel_004) == {"CLK-REL-004"} with input as td.remove(td.deployment, sprintf("%s/lifecycle", [td.c0]))
}

test_rel_004_grace_too_short if {
	some r in main.warn_clk_rel_004 with input as td.add(td.deployment, sprintf("%s/terminationGracePeriodSeconds", [td.pod]), 5)
	r.path == "spec.template.spec.terminationGracePeriodSeconds"
}

test_rel_004_exec_sleep if {
	exec := {"preStop": {"exec": {"command": ["/bin/sh", "-c", "sleep 40"]}}}
	td.ids(main.warn_clk_rel_004) == {"CLK-REL-004"} with input as td.add(td.deployment, sprintf("%s/lifecycle", [td.c0]), exec)
	ok := {"preStop": {"exec": {"command": ["sleep", "10"]}}}
	count(main.warn_clk_rel_004) == 0 with input as td.add(td.deployment, sprintf("%s/lifecycle", [td.c0]), ok)
}

test_rel_004_web_by_port_number if {
	obj := td.add(td.remove(td.deployment, sprintf("%s/lifecycle", [td.c0])), sprintf("%s/ports", [td.c0]), [{"containerPort": 80}])
	td.ids(main.warn_clk_rel_004) == {"CLK-REL-004"} with input as obj
}

test_rel_004_non_web_passes if {
	count(main.warn_clk_rel_004) == 0 with input as td.statefulset
}

test_rel_006_both_or_neither if {
	td.ids(main.deny_clk_rel_006) == {"CLK-REL-006"} with input as td.add(td.pdb, "/spec/minAvailable", 1)
	td.ids(main.deny_clk_rel_006) == {"CLK-REL-006"} with input as td.remove(td.pdb, "/spec/maxUnavailable")
}

test_rel_006_blocking_budgets if {
	td.ids(main.deny_clk_rel_006) == {"CLK-REL-006"} with input as td.add(td.pdb, "/spec/maxUnavailable", 0)
	obj := td.add(td.remove(td.pdb, "/spec/maxUnavailable"), "/spec/minAvailable", "100%")
	td.ids(main.deny_clk_rel_006) == {"CLK-REL-006"} with input as obj
}

test_rel_006_passes if {
	count(main.deny_clk_rel_006) == 0 with input as td.pdb
}

test_rel_009_unset if {
	td.ids(main.deny_clk_rel_009) == {"CLK-REL-009"} with input as td.remove(td.pdb, "/spec/unhealthyPodEvictionPolicy")
	td.ids(main.deny_clk_rel_009) == {"CLK-REL-009"} with input as td.add(td.pdb, "/spec/unhealthyPodEvictionPolicy", "")
}

test_rel_009_passes if {
	count(main.deny_clk_rel_009) == 0 with input as td.pdb
	count(main.deny_clk_rel_009) == 0 with input as td.add(td.pdb, "/spec/unhealthyPodEvictionPolicy", "IfHealthyBudget")
}

test_rel_007_no_spread if {
	td.ids(main.warn_clk_rel_007) == {"CLK-REL-007"} with input as td.remove(td.deployment, sprintf("%s/topologySpreadConstraints", [td.pod]))
}

test_rel_007_anti_affinity_passes if {
	affinity := {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
		"weight": 100,
		"podAffinityTerm": {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": td.selector_labels}},
	}]}}
	obj := td.add(td.remove(td.deployment, sprintf("%s/topologySpreadConstraints", [td.pod])), sprintf("%s/affinity", [td.pod]), affinity)
	count(main.warn_clk_rel_007) == 0 with input as obj
}

test_rel_007_single_replica_passes if {
	count(main.warn_clk_rel_007) == 0 with input as td.statefulset
}

test_rel_008_min_replicas if {
	td.ids(main.deny_clk_rel_008) == {"CLK-REL-008"} with input as td.add(td.hpa, "/spec/minReplicas", 1)
	td.ids(main.deny_clk_rel_008) == {"CLK-REL-008"} with input as td.remove(td.hpa, "/spec/minReplicas")
	count(main.deny_clk_rel_008) == 0 with input as td.hpa
}
