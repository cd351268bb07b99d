# Services, NetworkPolicy peers and PodDisruptionBudgets that point at no rendered pod
package combine

import rego.v1

import data.lib.k8s
import data.lib.selectors

pod_bearing := [o | some o in objects; k8s.is_pod_bearing(o)]

# Pod-bearing objects a Service's selector selects.
service_pods(svc) := [w |
	some w in pod_bearing
	same_namespace(svc, w)
	selectors.service_selector_matches(svc.spec.selector, k8s.pod_labels(w))
]

# Services that manage their endpoints from a selector (not ExternalName, not manual).
selector_services := [s |
	some s in by_kind("Service")
	object.get(s.spec, "type", "ClusterIP") != "ExternalName"
	count(object.get(s.spec, "selector", {})) > 0
]

# METADATA
# title: Services select a rendered pod and target a port it exposes
# custom:
#   id: CLK-SVC-001
#   severity: deny
#   sources: [kube-score service-targets-pod, KubeLinter dangling-service]
#   remediation: >-
#     Make spec.selector match the pod template labels, and name in targetPort a port the
#     selected containers declare.
deny_clk_svc_001 contains res if {
	some svc in selector_services
	count(service_pods(svc)) == 0
	res := finding(
		"CLK-SVC-001", svc, "spec.selector",
		"selector matches no rendered pod; make it match the pod template labels",
	)
}

deny_clk_svc_001 contains res if {
	some svc in selector_services
	pods := service_pods(svc)
	count(pods) > 0
	some i, port in object.get(svc.spec, "ports", [])
	is_string(port.targetPort)
	not named_port_exposed(pods, port.targetPort)
	res := finding(
		"CLK-SVC-001", svc, sprintf("spec.ports[%d].targetPort", [i]),
		sprintf("targetPort %s is not a port name of any container the Service selects; use one of their port names", [port.targetPort]),
	)
}

named_port_exposed(pods, name) if {
	some w in pods
	some c in k8s.containers(w)
	some p in object.get(c.container, "ports", [])
	p.name == name
}

# Every pod selector of a NetworkPolicy peer in the policy's own namespace:
# [path, podSelector] (peers with a namespaceSelector select pods elsewhere).
netpol_peers(np) := {[sprintf("spec.%s[%d].%s[%d].podSelector", [dir, i, side, j]), peer.podSelector] |
	some [dir, side] in [["ingress", "from"], ["egress", "to"]]
	some i, rule in object.get(np.spec, dir, [])
	some j, peer in object.get(rule, side, [])
	not peer.namespaceSelector
	peer.podSelector
}

# METADATA
# title: NetworkPolicy peers select a rendered pod
# description: >-
#   A from/to podSelector without a namespaceSelector allows traffic with pods of the
#   policy's namespace; one that matches no rendered pod allows nothing the chart runs.
# custom:
#   id: CLK-NET-004
#   severity: deny
#   sources: [KubeLinter dangling-networkpolicypeer-podselector]
#   remediation: Make the peer's podSelector match the labels of the pods it should allow.
deny_clk_net_004 contains res if {
	some np in netpols
	some [path, selector] in netpol_peers(np)
	count([w | some w in pod_bearing; same_namespace(np, w); selectors.label_selector_matches(selector, k8s.pod_labels(w))]) == 0
	res := finding(
		"CLK-NET-004", np, path,
		"peer podSelector matches no rendered pod in the namespace; fix its labels (or add a namespaceSelector for pods elsewhere)",
	)
}

# METADATA
# title: PodDisruptionBudgets select a rendered pod
# custom:
#   id: CLK-REL-010
#   severity: deny
#   sources: [KubeLinter dangling-poddisruptionbudget, kube-score poddisruptionbudget]
#   remediation: Make spec.selector match the pod template labels of the workload it protects.
deny_clk_rel_010 contains res if {
	some p in by_kind("PodDisruptionBudget")
	count([w | some w in pod_bearing; same_namespace(p, w); selectors.label_selector_matches(object.get(p.spec, "selector", null), k8s.pod_labels(w))]) == 0
	res := finding(
		"CLK-REL-010", p, "spec.selector",
		"selector matches no rendered pod, so the budget protects nothing; make it match the workload's pod labels",
	)
}
