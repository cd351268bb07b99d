package combine_test

import rego.v1

import data.combine
import data.lib.testdata as td

test_rel_005_replicated_without_pdb if {
	some r in combine.deny_clk_rel_005 with input as td.combined([td.deployment])
	r.resource == "Deployment/rel-clockwork"
}

test_rel_005_hpa_min_counts if {
	one := td.add(td.deployment, "/spec/replicas", 1)
	td.ids(combine.deny_clk_rel_005) == {"CLK-REL-005"} with input as td.combined([one, td.hpa])
	count(combine.deny_clk_rel_005) == 0 with input as td.combined([one])
}

test_rel_005_pdb_must_select_the_pods if {
	other := td.add(td.pdb, "/spec/selector/matchLabels/app.kubernetes.io~1component", "worker")
	td.ids(combine.deny_clk_rel_005) == {"CLK-REL-005"} with input as td.combined([td.deployment, other])
	count(combine.deny_clk_rel_005) == 0 with input as td.combined([td.deployment, td.pdb])
}

test_rel_005_exempt_by_annotation if {
	some prefix in ["chartgate.dev", "clockwork.dev"]
	exempt := td.add(td.deployment, "/metadata/annotations", {
		sprintf("%s/policy-exempt", [prefix]): "CLK-REL-005",
		sprintf("%s/policy-exempt-reason", [prefix]): "r",
		sprintf("%s/policy-exempt-expires", [prefix]): "2099-01-01",
	})
	count(combine.deny_clk_rel_005) == 0 with input as td.combined([exempt])
}

pdb_min(n) := td.add(td.remove(td.pdb, "/spec/maxUnavailable"), "/spec/minAvailable", n)

test_rel_006_min_available_not_below_replicas if {
	some r in combine.deny_clk_rel_006 with input as td.combined([td.deployment, pdb_min(2)])
	r.resource == "PodDisruptionBudget/rel-clockwork"
	count(combine.deny_clk_rel_006) == 0 with input as td.combined([td.deployment, pdb_min(1)])
}

test_rel_006_min_available_above_hpa_min if {
	dep := td.remove(td.deployment, "/spec/replicas")
	td.ids(combine.deny_clk_rel_006) == {"CLK-REL-006"} with input as td.combined([dep, td.hpa, pdb_min(3)])
	count(combine.deny_clk_rel_006) == 0 with input as td.combined([dep, td.hpa, pdb_min(1)])
}

test_rel_008_target_missing if {
	some r in combine.deny_clk_rel_008 with input as td.combined([td.hpa])
	contains(r.msg, "Deployment/rel-clockwork")
}

test_rel_008_target_sets_replicas if {
	some r in combine.deny_clk_rel_008 with input as td.combined([td.deployment, td.hpa, td.pdb])
	r.resource == "Deployment/rel-clockwork"
	r.path == "spec.replicas"
}
