# Cross-object verdicts a review of the pack found wrong on hand-made manifests.
package combine_test

import rego.v1

import data.combine
import data.lib.testdata as td

# policy/v1: an empty PDB selector selects every pod of the namespace.
test_rel_005_empty_pdb_selector_selects_all if {
	pdb := td.add(td.pdb, "/spec/selector", {})
	count(combine.deny_clk_rel_005) == 0 with input as td.combined([td.deployment, pdb])
}

# An object without metadata.namespace is installed into the release namespace, so it
# matches objects rendered with that namespace spelled out.
test_namespace_defaults_to_the_release_namespace if {
	pdb := td.add(td.pdb, "/metadata/namespace", "prod")
	count(combine.deny_clk_rel_005) == 0 with input as td.combined([td.deployment, pdb])
	other := td.add(td.add(td.pdb, "/metadata/namespace", "other"), "/metadata/name", "x")
	td.ids(combine.deny_clk_rel_005) == {"CLK-REL-005"} with input as td.combined([td.add(td.deployment, "/metadata/namespace", "prod"), other, td.add(td.service, "/metadata/namespace", "prod")])
}

# HPA-managed Deployment with maxUnavailable 1: fine with minReplicas 2, not with 1.
test_rel_003_hpa_managed_judged_against_hpa_minimum if {
	dep := td.add(td.remove(td.deployment, "/spec/replicas"), "/spec/strategy/rollingUpdate/maxUnavailable", 1)
	count(combine.deny_clk_rel_003) == 0 with input as td.combined([dep, td.hpa, td.pdb])
	some r in combine.deny_clk_rel_003 with input as td.combined([dep, td.add(td.hpa, "/spec/minReplicas", 1), td.pdb])
	r.resource == "Deployment/rel-clockwork"

	# no HPA: the default single replica
	td.ids(combine.deny_clk_rel_003) == {"CLK-REL-003"} with input as td.combined([dep, td.pdb])
	count(combine.deny_clk_rel_003) == 0 with input as td.combined([td.add(dep, "/spec/strategy/rollingUpdate/maxUnavailable", "0%"), td.pdb])
}

# CLK-REL-007 for an HPA-managed Deployment (no spec.replicas): the HPA minimum counts.
test_rel_007_hpa_managed if {
	dep := td.remove(td.remove(td.deployment, "/spec/replicas"), "/spec/template/spec/topologySpreadConstraints")
	some r in combine.warn_clk_rel_007 with input as td.combined([dep, td.hpa, td.pdb])
	r.resource == "Deployment/rel-clockwork"
	count(combine.warn_clk_rel_007) == 0 with input as td.combined([td.remove(td.deployment, "/spec/replicas"), td.hpa, td.pdb])
}

# `conftest test --namespace combine FILE` without --combine gives the package one
# document instead of the list of files: that is reported, not silently green.
test_combine_package_without_combine_input_is_loud if {
	some r in combine.deny_clk_cfg_001 with input as td.deployment
	count(combine.deny_clk_cfg_001) == 0 with input as td.combined([td.deployment])
}
