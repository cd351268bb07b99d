# Services and Ingresses
package main

import rego.v1

import data.lib.k8s
import data.lib.main_helpers

loadbalancer_opted_in(obj) if {
	some name in main_helpers.loadbalancer_opt_ins
	k8s.annotations(obj)[name] == "true"
}

# METADATA
# title: No NodePort, no externalIPs, LoadBalancer only when opted in
# custom:
#   id: CLK-NET-002
#   severity: deny
#   sources: [kube-score service-type, Gatekeeper k8sblocknodeport, Trivy KSV108]
#   remediation: >-
#     Use ClusterIP behind an Ingress; a LoadBalancer needs the annotation
#     chartgate.dev/allow-loadbalancer: "true"; remove spec.externalIPs.
deny_clk_net_002 contains res if {
	input.kind == "Service"
	input.spec.type == "NodePort"
	res := k8s.result(
		"CLK-NET-002", input, "spec.type",
		"Service type is NodePort, which opens a port on every node; use ClusterIP behind an Ingress",
	)
}

deny_clk_net_002 contains res if {
	input.kind == "Service"
	count(object.get(input.spec, "externalIPs", [])) > 0
	res := k8s.result(
		"CLK-NET-002", input, "spec.externalIPs",
		"Service sets externalIPs (CVE-2020-8554 traffic interception); remove them",
	)
}

deny_clk_net_002 contains res if {
	input.kind == "Service"
	input.spec.type == "LoadBalancer"
	not loadbalancer_opted_in(input)
	res := k8s.result(
		"CLK-NET-002", input, "spec.type",
		sprintf("Service type is LoadBalancer without the opt-in annotation %s: \"true\"; use ClusterIP behind an Ingress or opt in", [main_helpers.loadbalancer_opt_ins[0]]),
	)
}

# METADATA
# title: Ingress serves TLS
# description: The combine package checks that every backend Service and port exists.
# custom:
#   id: CLK-NET-003
#   severity: deny
#   sources: [Polaris tlsSettingsMissing, Gatekeeper k8shttpsonly, kube-score ingress-targets-service]
#   remediation: Add spec.tls entries with hosts and a secretName covering every rule host.
deny_clk_net_003 contains res if {
	input.kind == "Ingress"
	count(object.get(input.spec, "tls", [])) == 0
	res := k8s.result(
		"CLK-NET-003", input, "spec.tls",
		"Ingress has no tls section; add spec.tls with hosts and a secretName",
	)
}

deny_clk_net_003 contains res if {
	input.kind == "Ingress"
	some i, t in object.get(input.spec, "tls", [])
	some field in ["hosts", "secretName"]
	not t[field]
	res := k8s.result(
		"CLK-NET-003", input, sprintf("spec.tls[%d].%s", [i, field]),
		sprintf("Ingress tls[%d] has no %s; set it", [i, field]),
	)
}

deny_clk_net_003 contains res if {
	input.kind == "Ingress"
	count(object.get(input.spec, "tls", [])) > 0
	tls_hosts := {h | some t in input.spec.tls; some h in object.get(t, "hosts", [])}
	some i, rule in object.get(input.spec, "rules", [])
	rule.host
	not rule.host in tls_hosts
	res := k8s.result(
		"CLK-NET-003", input, sprintf("spec.rules[%d].host", [i]),
		sprintf("Ingress host %s is not covered by spec.tls; add it to a tls entry", [rule.host]),
	)
}
