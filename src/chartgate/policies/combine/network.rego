# Network reachability across objects (NetworkPolicy, Ingress backends)
package combine

import rego.v1

import data.lib.k8s
import data.lib.selectors

netpols := by_kind("NetworkPolicy")

# The pods a NetworkPolicy applies to (an empty or omitted podSelector: all of them).
netpol_selects(np, obj) if {
	same_namespace(np, obj)
	selectors.label_selector_matches(object.get(np.spec, "podSelector", {}), k8s.pod_labels(obj))
}

# METADATA
# title: NetworkPolicies cover every pod and select something
# description: >-
#   Applies when the chart renders NetworkPolicies: then every pod-bearing object is
#   selected by one, and each NetworkPolicy selects at least one rendered pod.
# custom:
#   id: CLK-NET-001
#   severity: deny
#   sources: [kube-score pod-networkpolicy networkpolicy-targets-pod, Polaris missingNetworkPolicy, CIS 5.3.2]
#   remediation: Add a NetworkPolicy whose podSelector matches the pod labels, or fix the podSelector.
deny_clk_net_001 contains res if {
	count(netpols) > 0
	some w in objects
	k8s.is_pod_bearing(w)
	not selected_by_netpol(w)
	res := finding(
		"CLK-NET-001", w, "spec.template.metadata.labels",
		"its pods are not selected by any NetworkPolicy, so they accept all traffic; add one",
	)
}

selected_by_netpol(w) if {
	some np in netpols
	netpol_selects(np, w)
}

deny_clk_net_001 contains res if {
	some np in netpols
	count([w | some w in objects; k8s.is_pod_bearing(w); netpol_selects(np, w)]) == 0
	res := finding(
		"CLK-NET-001", np, "spec.podSelector",
		"NetworkPolicy selects no rendered pod; fix its podSelector",
	)
}

# Every backend of an Ingress: [path, service name, port (number or name)].
ingress_backends(ing) := {[path, svc.name, port] |
	some i, rule in object.get(ing.spec, "rules", [])
	some j, p in object.get(rule, ["http", "paths"], [])
	svc := p.backend.service
	path := sprintf("spec.rules[%d].http.paths[%d].backend.service", [i, j])
	port := object.get(svc, ["port", "number"], object.get(svc, ["port", "name"], ""))
} | {["spec.defaultBackend.service", svc.name, port] |
	svc := ing.spec.defaultBackend.service
	port := object.get(svc, ["port", "number"], object.get(svc, ["port", "name"], ""))
}

service_named(name, ing) := [s | some s in by_kind("Service"); s.metadata.name == name; same_namespace(s, ing)]

service_has_port(svc, port) if {
	some p in object.get(svc.spec, "ports", [])
	port in {object.get(p, "port", null), object.get(p, "name", null)}
}

# METADATA
# title: Ingress backends exist
# custom:
#   id: CLK-NET-003
#   severity: deny
#   sources: [kube-score ingress-targets-service]
#   remediation: Point every Ingress backend at a rendered Service and one of its ports.
deny_clk_net_003 contains res if {
	some ing in by_kind("Ingress")
	some [path, name, _] in ingress_backends(ing)
	count(service_named(name, ing)) == 0
	res := finding(
		"CLK-NET-003", ing, path,
		sprintf("backend Service %s is not rendered by the chart; point the backend at the chart's Service", [name]),
	)
}

deny_clk_net_003 contains res if {
	some ing in by_kind("Ingress")
	some [path, name, port] in ingress_backends(ing)
	some svc in service_named(name, ing)
	not service_has_port(svc, port)
	res := finding(
		"CLK-NET-003", ing, sprintf("%s.port", [path]),
		sprintf("backend port %v is not a port of Service %s; use one of its ports", [port, name]),
	)
}
