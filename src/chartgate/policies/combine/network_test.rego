package combine_test

import rego.v1

import data.combine
import data.lib.testdata as td

test_net_001_pod_not_selected if {
	np := td.add(td.netpol, "/spec/podSelector/matchLabels/app.kubernetes.io~1component", "server")
	results := combine.deny_clk_net_001 with input as td.combined([td.deployment, td.statefulset, np])
	{r.resource | some r in results} == {"StatefulSet/rel-clockwork-postgresql"}
}

test_net_001_netpol_selects_nothing if {
	np := td.add(td.netpol, "/spec/podSelector/matchLabels/app.kubernetes.io~1instance", "other")
	results := combine.deny_clk_net_001 with input as td.combined([td.deployment, td.netpol, np])
	{r.resource | some r in results} == {"NetworkPolicy/rel-clockwork"}
}

test_net_001_empty_selector_selects_all if {
	np := td.add(td.netpol, "/spec/podSelector", {})
	count(combine.deny_clk_net_001) == 0 with input as td.combined([td.deployment, td.statefulset, np])
}

test_net_001_only_when_netpols_rendered if {
	count(combine.deny_clk_net_001) == 0 with input as td.combined([td.deployment])
}

test_net_003_backend_service_missing if {
	some r in combine.deny_clk_net_003 with input as td.combined([td.ingress])
	r.path == "spec.rules[0].http.paths[0].backend.service"
}

test_net_003_backend_port_missing if {
	ing := td.add(td.ingress, "/spec/rules/0/http/paths/0/backend/service/port", {"number": 8443})
	some r in combine.deny_clk_net_003 with input as td.combined([ing, td.service])
	contains(r.msg, "8443")
}

test_net_003_default_backend if {
	ing := td.add(td.ingress, "/spec/defaultBackend", {"service": {"name": "nope", "port": {"number": 80}}})
	td.ids(combine.deny_clk_net_003) == {"CLK-NET-003"} with input as td.combined([ing, td.service])
	ok := td.add(td.ingress, "/spec/defaultBackend", {"service": {"name": "rel-clockwork", "port": {"number": 80}}})
	count(combine.deny_clk_net_003) == 0 with input as td.combined([ok, td.service])
}
