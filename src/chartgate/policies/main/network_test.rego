package main_test

import rego.v1

import data.lib.testdata as td
import data.main

test_net_002_node_port if {
	td.ids(main.deny_clk_net_002) == {"CLK-NET-002"} with input as td.add(td.service, "/spec/type", "NodePort")
}

test_net_002_external_ips if {
	some r in main.deny_clk_net_002 with input as td.add(td.service, "/spec/externalIPs", ["1.2.3.4"])
	r.path == "spec.externalIPs"
}

test_net_002_load_balancer_needs_opt_in if {
	lb := td.add(td.service, "/spec/type", "LoadBalancer")
	td.ids(main.deny_clk_net_002) == {"CLK-NET-002"} with input as lb
	count(main.deny_clk_net_002) == 0 with input as td.add(lb, "/metadata/annotations", {"chartgate.dev/allow-loadbalancer": "true"})
	count(main.deny_clk_net_002) == 0 with input as td.add(lb, "/metadata/annotations", {"clockwork.dev/allow-loadbalancer": "true"})
	td.ids(main.deny_clk_net_002) == {"CLK-NET-002"} with input as td.add(lb, "/metadata/annotations", {"chartgate.dev/allow-loadbalancer": "false"})
}

test_net_002_passes if {
	count(main.deny_clk_net_002) == 0 with input as td.service
}

test_net_003_no_tls if {
	td.ids(main.deny_clk_net_003) == {"CLK-NET-003"} with input as td.remove(td.ingress, "/spec/tls")
}

test_net_003_tls_without_secret if {
	some r in main.deny_clk_net_003 with input as td.remove(td.ingress, "/spec/tls/0/secretName")
	r.path == "spec.tls[0].secretName"
}

test_net_003_host_not_covered if {
	some r in main.deny_clk_net_003 with input as td.add(td.ingress, "/spec/rules/0/host", "other.example.com")
	contains(r.msg, "other.example.com")
}

test_net_003_passes if {
	count(main.deny_clk_net_003) == 0 with input as td.ingress
}
