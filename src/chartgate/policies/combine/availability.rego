# Availability across objects (PDB, HPA)
package combine

import rego.v1

import data.lib.k8s

# METADATA
# title: Replicated workloads are covered by a PodDisruptionBudget
# custom:
#   id: CLK-REL-005
#   severity: deny
#   sources: [kube-score deployment-has-poddisruptionbudget statefulset-has-poddisruptionbudget, Polaris missingPodDisruptionBudget, RHCOP-OCP_REQ_INV-00001]
#   remediation: Render a PodDisruptionBudget whose selector matches the pod template labels.
deny_clk_rel_005 contains res if {
	some w in objects
	w.kind in workload_kinds
	min_replicas(w) > 1
	count(pdbs_for(w)) == 0
	res := finding(
		"CLK-REL-005", w, "spec.selector",
		sprintf("runs %v replicas (minimum) but no PodDisruptionBudget selects its pods; add one (maxUnavailable: 1)", [min_replicas(w)]),
	)
}

# METADATA
# title: PodDisruptionBudget minAvailable leaves room for evictions
# custom:
#   id: CLK-REL-006
#   severity: deny
#   sources: [Polaris pdbMinAvailableGreaterThanHPAMinReplicas, Gatekeeper k8spoddisruptionbudget]
#   remediation: >-
#     Use maxUnavailable 1, or a minAvailable below the replica count and not above
#     the HPA minimum.
deny_clk_rel_006 contains res if {
	some w in objects
	w.kind in workload_kinds
	count(hpas_for(w)) == 0
	some p in pdbs_for(w)
	is_number(p.spec.minAvailable)
	p.spec.minAvailable >= k8s.replicas(w)
	res := finding(
		"CLK-REL-006", p, "spec.minAvailable",
		sprintf("minAvailable %v is not below the %v replicas of %s, so no pod can ever be evicted; lower it or use maxUnavailable: 1", [p.spec.minAvailable, k8s.replicas(w), k8s.resource(w)]),
	)
}

deny_clk_rel_006 contains res if {
	some w in objects
	w.kind in workload_kinds
	count(hpas_for(w)) > 0
	some p in pdbs_for(w)
	is_number(p.spec.minAvailable)
	p.spec.minAvailable > min_replicas(w)
	res := finding(
		"CLK-REL-006", p, "spec.minAvailable",
		sprintf("minAvailable %v is above the HorizontalPodAutoscaler minimum %v of %s; lower it", [p.spec.minAvailable, min_replicas(w), k8s.resource(w)]),
	)
}

# METADATA
# title: HorizontalPodAutoscaler targets a rendered workload that leaves replicas to it
# custom:
#   id: CLK-REL-008
#   severity: deny
#   sources: [kube-score horizontalpodautoscaler-has-target deployment-targeted-by-hpa-does-not-have-replicas-configured]
#   remediation: Point scaleTargetRef at the rendered Deployment/StatefulSet and omit its spec.replicas.
deny_clk_rel_008 contains res if {
	some h in by_kind("HorizontalPodAutoscaler")
	ref := h.spec.scaleTargetRef
	count([o | some o in objects; o.kind == ref.kind; o.metadata.name == ref.name; same_namespace(o, h)]) == 0
	res := finding(
		"CLK-REL-008", h, "spec.scaleTargetRef",
		sprintf("scaleTargetRef %s/%s is not rendered by the chart; point it at the workload", [ref.kind, ref.name]),
	)
}

deny_clk_rel_008 contains res if {
	some w in objects
	w.kind in workload_kinds
	count(hpas_for(w)) > 0
	k8s.has_field(w.spec, "replicas")
	res := finding(
		"CLK-REL-008", w, "spec.replicas",
		"is scaled by a HorizontalPodAutoscaler but sets spec.replicas, so every upgrade resets the scale; omit replicas",
	)
}

# METADATA
# title: An HPA-scaled Deployment's rollout keeps pods up at the HPA minimum
# description: >-
#   A Deployment without spec.replicas runs the HPA's minReplicas (or 1): package main
#   cannot see that, so maxUnavailable is compared with it here.
# custom:
#   id: CLK-REL-003
#   severity: deny
#   sources: [kube-score deployment-strategy]
#   remediation: Set rollingUpdate.maxUnavailable to 0 (with maxSurge >= 1).
deny_clk_rel_003 contains res if {
	some w in by_kind("Deployment")
	not k8s.has_field(w.spec, "replicas")
	object.get(w.spec, ["strategy", "type"], "RollingUpdate") == "RollingUpdate"
	mu := w.spec.strategy.rollingUpdate.maxUnavailable
	not k8s.max_unavailable_leaves_pods(mu, min_replicas(w))
	res := finding(
		"CLK-REL-003", w, "spec.strategy.rollingUpdate.maxUnavailable",
		sprintf("strategy.rollingUpdate.maxUnavailable %v can take all %v replicas (the HorizontalPodAutoscaler minimum, or the default 1) down; set it to 0", [mu, min_replicas(w)]),
	)
}

# METADATA
# title: HPA-scaled replicas spread across nodes
# description: >-
#   CLK-REL-007 for workloads without spec.replicas whose HorizontalPodAutoscaler
#   keeps more than one replica (package main sees no replica count for them).
# custom:
#   id: CLK-REL-007
#   severity: warn
#   sources: [kube-score deployment-has-host-podantiaffinity pod-topology-spread-constraints, Polaris topologySpreadConstraint]
#   remediation: >-
#     Add topologySpreadConstraints (topologyKey kubernetes.io/hostname) or a
#     podAntiAffinity term on kubernetes.io/hostname.
warn_clk_rel_007 contains res if {
	some w in objects
	w.kind in workload_kinds
	not k8s.has_field(w.spec, "replicas")
	count(hpas_for(w)) > 0
	min_replicas(w) > 1
	not k8s.spreads(k8s.pod_spec(w))
	res := finding(
		"CLK-REL-007", w, sprintf("%s.topologySpreadConstraints", [k8s.pod_spec_path(w)]),
		sprintf("at least %v replicas (HorizontalPodAutoscaler minimum) may land on one node; add topologySpreadConstraints or a hostname podAntiAffinity", [min_replicas(w)]),
	)
}
