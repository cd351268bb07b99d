# Reliability (probes, rollouts, shutdown, disruption budgets, spreading, autoscaling)
package main

import rego.v1

import data.lib.k8s
import data.lib.main_helpers

# METADATA
# title: Long-running containers have a readinessProbe
# custom:
#   id: CLK-REL-001
#   severity: deny
#   sources: [kube-score pod-probes, Polaris readinessProbeMissing, Gatekeeper k8srequiredprobes]
#   remediation: Add a readinessProbe (e.g. httpGet on the readiness endpoint).
deny_clk_rel_001 contains res if {
	input.kind in k8s.long_running_kinds
	some c in k8s.input_main_containers
	not c.container.readinessProbe
	res := k8s.result(
		"CLK-REL-001", input, sprintf("%s.readinessProbe", [c.path]),
		sprintf("container %q has no readinessProbe; add one so traffic waits for readiness", [c.name]),
	)
}

# METADATA
# title: livenessProbe present and different from the readinessProbe
# custom:
#   id: CLK-REL-002
#   severity: deny
#   sources: [kube-score pod-probes pod-probes-identical, Polaris livenessProbeMissing, RHCOP-OCP_REQ_INV-00007 00008]
#   remediation: >-
#     Add a livenessProbe on a cheap endpoint that does not depend on other services
#     (e.g. /healthz) and keep readiness on the dependency-aware endpoint.
deny_clk_rel_002 contains res if {
	input.kind in k8s.long_running_kinds
	some c in k8s.input_main_containers
	not c.container.livenessProbe
	res := k8s.result(
		"CLK-REL-002", input, sprintf("%s.livenessProbe", [c.path]),
		sprintf("container %q has no livenessProbe; add one", [c.name]),
	)
}

# The handler of a probe (what it checks), without its timings and thresholds.
probe_handler(probe) := {k: v | some k, v in probe; k in {"httpGet", "tcpSocket", "exec", "grpc"}}

deny_clk_rel_002 contains res if {
	input.kind in k8s.long_running_kinds
	some c in k8s.input_main_containers
	probe_handler(c.container.livenessProbe) == probe_handler(c.container.readinessProbe)
	res := k8s.result(
		"CLK-REL-002", input, sprintf("%s.livenessProbe", [c.path]),
		sprintf("container %q livenessProbe uses the same handler as its readinessProbe (timings aside); a failing dependency would restart the pod, use a separate liveness check", [c.name]),
	)
}

# maxUnavailable of a rolling update allows some pods to stay available.
max_unavailable_ok(mu, obj) if k8s.max_unavailable_leaves_pods(mu, obj.spec.replicas)

# METADATA
# title: Deployment rolls out with RollingUpdate and maxUnavailable 0 (or below replicas)
# custom:
#   id: CLK-REL-003
#   severity: deny
#   sources: [kube-score deployment-strategy]
#   remediation: >-
#     Set spec.strategy.type: RollingUpdate with rollingUpdate.maxUnavailable: 0 and a
#     maxSurge >= 1.
deny_clk_rel_003 contains res if {
	input.kind == "Deployment"
	stype := object.get(input.spec, ["strategy", "type"], "RollingUpdate")
	stype != "RollingUpdate"
	res := k8s.result(
		"CLK-REL-003", input, "spec.strategy.type",
		sprintf("strategy.type is %s, which takes every pod down during a rollout; use RollingUpdate with maxUnavailable: 0", [stype]),
	)
}

deny_clk_rel_003 contains res if {
	input.kind == "Deployment"
	object.get(input.spec, ["strategy", "type"], "RollingUpdate") == "RollingUpdate"
	not has_key(object.get(input.spec, ["strategy", "rollingUpdate"], {}), "maxUnavailable")
	res := k8s.result(
		"CLK-REL-003", input, "spec.strategy.rollingUpdate.maxUnavailable",
		"strategy.rollingUpdate.maxUnavailable is not set (default 25%); set it to 0",
	)
}

# Without spec.replicas (scaled by an HPA) the count is judged in package combine.
deny_clk_rel_003 contains res if {
	input.kind == "Deployment"
	k8s.has_field(input.spec, "replicas")
	object.get(input.spec, ["strategy", "type"], "RollingUpdate") == "RollingUpdate"
	mu := input.spec.strategy.rollingUpdate.maxUnavailable
	not max_unavailable_ok(mu, input)
	res := k8s.result(
		"CLK-REL-003", input, "spec.strategy.rollingUpdate.maxUnavailable",
		sprintf("strategy.rollingUpdate.maxUnavailable %v can take every replica down; set it to 0", [mu]),
	)
}

is_web_container(c) if {
	some p in object.get(c, "ports", [])
	p.name in main_helpers.web_port_names
}

is_web_container(c) if {
	some p in object.get(c, "ports", [])
	p.containerPort in main_helpers.web_port_numbers
}

# Seconds a preStop hook sleeps: the native sleep action or an exec "sleep N".
prestop_seconds(c) := c.lifecycle.preStop.sleep.seconds

prestop_seconds(c) := to_number(n) if {
	not c.lifecycle.preStop.sleep
	cmd := concat(" ", c.lifecycle.preStop.exec.command)
	[_, n] := regex.find_all_string_submatch_n(`sleep\s+([0-9]+)`, cmd, 1)[0]
}

# METADATA
# title: Web containers drain before shutdown
# description: >-
#   A preStop sleep lets endpoints and load balancers stop sending traffic before the
#   process gets SIGTERM; the grace period must outlast it.
# custom:
#   id: CLK-REL-004
#   severity: warn
#   sources: [kube-score README_PROBES, KEP-3960 PodLifecycleSleepAction, ingress-nginx chart]
#   remediation: >-
#     Add lifecycle.preStop.sleep.seconds (e.g. 5) and keep
#     terminationGracePeriodSeconds greater than it.
warn_clk_rel_004 contains res if {
	input.kind in k8s.long_running_kinds
	some c in k8s.input_main_containers
	is_web_container(c.container)
	not prestop_seconds(c.container)
	res := k8s.result(
		"CLK-REL-004", input, sprintf("%s.lifecycle.preStop", [c.path]),
		sprintf("web container %q has no preStop sleep; add lifecycle.preStop.sleep.seconds so in-flight requests drain", [c.name]),
	)
}

warn_clk_rel_004 contains res if {
	input.kind in k8s.long_running_kinds
	some c in k8s.input_main_containers
	is_web_container(c.container)
	secs := prestop_seconds(c.container)
	grace := object.get(k8s.input_pod_spec, "terminationGracePeriodSeconds", 30)
	grace <= secs
	res := k8s.result(
		"CLK-REL-004", input, sprintf("%s.terminationGracePeriodSeconds", [k8s.pod_spec_path(input)]),
		sprintf("terminationGracePeriodSeconds %v does not exceed the %v s preStop sleep of container %q; raise it", [grace, secs, c.name]),
	)
}

# METADATA
# title: PodDisruptionBudget policy is sound
# description: >-
#   Exactly one of minAvailable / maxUnavailable, and never maxUnavailable 0 (which
#   blocks node drains). The combine package compares minAvailable with the workload.
# custom:
#   id: CLK-REL-006
#   severity: deny
#   sources: [kube-score poddisruptionbudget-has-policy, Gatekeeper k8spoddisruptionbudget, Polaris pdbDisruptionsIsZero pdbMinAvailableGreaterThanHPAMinReplicas]
#   remediation: Set exactly one of minAvailable or maxUnavailable (maxUnavailable >= 1).
deny_clk_rel_006 contains res if {
	input.kind == "PodDisruptionBudget"
	n := count([f | some f in ["minAvailable", "maxUnavailable"]; has_key(object.get(input, "spec", {}), f)])
	n != 1
	res := k8s.result(
		"CLK-REL-006", input, "spec",
		sprintf("PodDisruptionBudget sets %d of minAvailable/maxUnavailable; set exactly one", [n]),
	)
}

deny_clk_rel_006 contains res if {
	input.kind == "PodDisruptionBudget"
	input.spec.maxUnavailable in {0, "0%"}
	res := k8s.result(
		"CLK-REL-006", input, "spec.maxUnavailable",
		"PodDisruptionBudget maxUnavailable is 0, which blocks every voluntary eviction (node drains); use 1 or minAvailable",
	)
}

deny_clk_rel_006 contains res if {
	input.kind == "PodDisruptionBudget"
	input.spec.minAvailable == "100%"
	res := k8s.result(
		"CLK-REL-006", input, "spec.minAvailable",
		"PodDisruptionBudget minAvailable is 100%, which blocks every voluntary eviction; lower it",
	)
}

# METADATA
# title: PodDisruptionBudget sets unhealthyPodEvictionPolicy
# description: >-
#   Without it the API server applies IfHealthyBudget: a pod that is Running but never
#   becomes Ready counts against the budget and cannot be evicted while the others are
#   not all healthy, so draining its node blocks until someone deletes the pod by hand.
# custom:
#   id: CLK-REL-009
#   severity: deny
#   sources: [KubeLinter pdb-unhealthy-pod-eviction-policy]
#   remediation: >-
#     Set spec.unhealthyPodEvictionPolicy, normally AlwaysAllow (IfHealthyBudget only
#     where evicting an unready pod could lose data).
deny_clk_rel_009 contains res if {
	input.kind == "PodDisruptionBudget"
	object.get(input, ["spec", "unhealthyPodEvictionPolicy"], "") == ""
	res := k8s.result(
		"CLK-REL-009", input, "spec.unhealthyPodEvictionPolicy",
		"PodDisruptionBudget leaves unhealthyPodEvictionPolicy unset (IfHealthyBudget): pods stuck unready block node drains; set it, normally to AlwaysAllow",
	)
}

# METADATA
# title: Replicated pods spread across nodes
# custom:
#   id: CLK-REL-007
#   severity: warn
#   sources: [kube-score deployment-has-host-podantiaffinity statefulset-has-host-podantiaffinity pod-topology-spread-constraints, Polaris topologySpreadConstraint]
#   remediation: >-
#     Add topologySpreadConstraints (topologyKey kubernetes.io/hostname) or a
#     podAntiAffinity term on kubernetes.io/hostname.
warn_clk_rel_007 contains res if {
	input.kind in {"Deployment", "StatefulSet"}
	input.spec.replicas > 1
	spec := k8s.input_pod_spec
	not k8s.spreads(spec)
	res := k8s.result(
		"CLK-REL-007", input, sprintf("%s.topologySpreadConstraints", [k8s.pod_spec_path(input)]),
		sprintf("%v replicas may land on one node; add topologySpreadConstraints or a hostname podAntiAffinity", [input.spec.replicas]),
	)
}

# METADATA
# title: HorizontalPodAutoscaler keeps at least two replicas
# description: The combine package checks the target exists and leaves replicas to the HPA.
# custom:
#   id: CLK-REL-008
#   severity: deny
#   sources: [kube-score horizontalpodautoscaler-has-target horizontalpodautoscaler-replicas deployment-targeted-by-hpa-does-not-have-replicas-configured, Polaris hpaMinAvailability]
#   remediation: Set spec.minReplicas >= 2 and remove spec.replicas from the target.
deny_clk_rel_008 contains res if {
	input.kind == "HorizontalPodAutoscaler"
	mr := object.get(input.spec, "minReplicas", 1)
	mr < 2
	res := k8s.result(
		"CLK-REL-008", input, "spec.minReplicas",
		sprintf("HorizontalPodAutoscaler minReplicas is %v; set it to at least 2", [mr]),
	)
}
