package combine_test

import rego.v1

import data.combine
import data.lib.testdata as td

test_svc_001_selects_no_pod if {
	svc := td.add(td.service, "/spec/selector/app.kubernetes.io~1component", "worker")
	some r in combine.deny_clk_svc_001 with input as td.combined([td.deployment, svc])
	r.path == "spec.selector"
	count(combine.deny_clk_svc_001) == 0 with input as td.combined([td.deployment, td.service])
}

test_svc_001_without_selector_or_external_name_is_skipped if {
	manual := td.remove(td.service, "/spec/selector")
	count(combine.deny_clk_svc_001) == 0 with input as td.combined([manual])
	external := td.add(td.service, "/spec/type", "ExternalName")
	count(combine.deny_clk_svc_001) == 0 with input as td.combined([external])
}

test_svc_001_target_port_name_not_exposed if {
	svc := td.add(td.service, "/spec/ports/0/targetPort", "web")
	some r in combine.deny_clk_svc_001 with input as td.combined([td.deployment, svc])
	r.path == "spec.ports[0].targetPort"
	numbered := td.add(td.service, "/spec/ports/0/targetPort", 8080)
	count(combine.deny_clk_svc_001) == 0 with input as td.combined([td.deployment, numbered])
}

netpol_from(peer) := td.add(td.netpol, "/spec/ingress", [{"from": [peer]}])

test_net_004_peer_selects_nothing if {
	np := netpol_from({"podSelector": {"matchLabels": {"app.kubernetes.io/component": "frontend"}}})
	some r in combine.deny_clk_net_004 with input as td.combined([td.deployment, np])
	r.path == "spec.ingress[0].from[0].podSelector"
	egress := td.add(td.netpol, "/spec/egress", [{"to": [{"podSelector": {"matchLabels": {"x": "y"}}}]}])
	td.ids(combine.deny_clk_net_004) == {"CLK-NET-004"} with input as td.combined([td.deployment, egress])
}

test_net_004_peer_passes if {
	np := netpol_from({"podSelector": {"matchLabels": {"app.kubernetes.io/component": "server"}}})
	count(combine.deny_clk_net_004) == 0 with input as td.combined([td.deployment, np])
	other_ns := netpol_from({"namespaceSelector": {}, "podSelector": {"matchLabels": {"x": "y"}}})
	count(combine.deny_clk_net_004) == 0 with input as td.combined([td.deployment, other_ns])
	everyone := netpol_from({"podSelector": {}})
	count(combine.deny_clk_net_004) == 0 with input as td.combined([td.deployment, everyone])
}

test_rel_010_pdb_selects_nothing if {
	pdb := td.add(td.pdb, "/spec/selector/matchLabels/app.kubernetes.io~1component", "worker")
	some r in combine.deny_clk_rel_010 with input as td.combined([td.deployment, pdb])
	r.resource == "PodDisruptionBudget/rel-clockwork"
	count(combine.deny_clk_rel_010) == 0 with input as td.combined([td.deployment, td.pdb])
	null_selector := td.remove(td.pdb, "/spec/selector")
	td.ids(combine.deny_clk_rel_010) == {"CLK-REL-010"} with input as td.combined([td.deployment, null_selector])
}
