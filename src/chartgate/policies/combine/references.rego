# References between objects (Secrets, ConfigMaps, Services)
package combine

import rego.v1

import data.lib.k8s
import data.lib.selectors

# [kind, name] of every Secret/ConfigMap a pod-bearing object reads.
config_refs(obj) := {r |
	some c in k8s.containers(obj)
	some ref in container_refs(c.container)
	r := ref
} | {r |
	some vol in object.get(k8s.pod_spec(obj), "volumes", [])
	some r in volume_refs(vol)
}

container_refs(c) := (({["Secret", e.valueFrom.secretKeyRef.name] | some e in object.get(c, "env", []); e.valueFrom.secretKeyRef.name} | {["ConfigMap", e.valueFrom.configMapKeyRef.name] | some e in object.get(c, "env", []); e.valueFrom.configMapKeyRef.name}) | {["Secret", e.secretRef.name] | some e in object.get(c, "envFrom", []); e.secretRef.name}) | {["ConfigMap", e.configMapRef.name] | some e in object.get(c, "envFrom", []); e.configMapRef.name}

volume_refs(vol) := (({["Secret", vol.secret.secretName] | vol.secret.secretName} | {["ConfigMap", vol.configMap.name] | vol.configMap.name}) | {["Secret", s.secret.name] | some s in object.get(vol, ["projected", "sources"], []); s.secret.name}) | {["ConfigMap", s.configMap.name] | some s in object.get(vol, ["projected", "sources"], []); s.configMap.name}

rendered(kind, name, near) := [o | some o in by_kind(kind); o.metadata.name == name; same_namespace(o, near)]

is_pre_install_hook(obj) if "pre-install" in k8s.hooks(obj)

# METADATA
# title: Pre-install hook Jobs only use Secrets/ConfigMaps that exist before install
# description: >-
#   On a first install, hooks run before the chart's normal resources exist; a hook
#   Job may read pre-existing objects or objects that are hooks themselves.
# custom:
#   id: CLK-JOB-001
#   severity: deny
#   sources: [Helm chart hooks]
#   remediation: >-
#     Make the Secret/ConfigMap a pre-install,pre-upgrade hook with a lower
#     helm.sh/hook-weight, or use an existing Secret.
deny_clk_job_001 contains res if {
	some job in by_kind("Job")
	is_pre_install_hook(job)
	some [kind, name] in config_refs(job)
	some target in rendered(kind, name, job)
	not is_pre_install_hook(target)
	res := finding(
		"CLK-JOB-001", job, k8s.pod_spec_path(job),
		sprintf("pre-install hook reads %s/%s, which the chart creates only after the hooks ran; make it a pre-install hook or use an existing one", [kind, name]),
	)
}

# METADATA
# title: StatefulSet serviceName is a rendered headless Service
# custom:
#   id: CLK-STS-001
#   severity: deny
#   sources: [kube-score statefulset-has-servicename]
#   remediation: Render a Service with clusterIP None named like spec.serviceName and selecting the pods.
deny_clk_sts_001 contains res if {
	some sts in by_kind("StatefulSet")
	name := object.get(sts.spec, "serviceName", "")
	name != ""
	not headless_service_for(sts, name)
	res := finding(
		"CLK-STS-001", sts, "spec.serviceName",
		sprintf("serviceName %s is not a rendered headless Service (clusterIP: None) selecting its pods; add one", [name]),
	)
}

headless_service_for(sts, name) if {
	some svc in rendered("Service", name, sts)
	svc.spec.clusterIP == "None"
	selectors.service_selector_matches(object.get(svc.spec, "selector", {}), k8s.pod_labels(sts))
}

# Secrets any rendered object uses (pods, Ingress TLS, imagePullSecrets, ServiceAccounts).
used_secrets contains name if {
	some o in objects
	k8s.is_pod_bearing(o)
	some ["Secret", name] in config_refs(o)
}

used_secrets contains s.name if {
	some o in objects
	k8s.is_pod_bearing(o)
	some s in object.get(k8s.pod_spec(o), "imagePullSecrets", [])
}

used_secrets contains t.secretName if {
	some ing in by_kind("Ingress")
	some t in object.get(ing.spec, "tls", [])
}

used_secrets contains s.name if {
	some sa in by_kind("ServiceAccount")
	some field in ["secrets", "imagePullSecrets"]
	some s in object.get(sa, field, [])
}

# METADATA
# title: No rendered credentials that nothing uses
# description: >-
#   A Secret with data that no rendered object references is what a chart renders when
#   it ignores `existingSecret`: credentials that end up in the release for nothing.
# custom:
#   id: CLK-SEC-016
#   severity: deny
#   sources: [Trivy KSV0109, Polaris sensitiveConfigmapContent]
#   remediation: Render the Secret only when no existingSecret is given, and reference it from the workload.
deny_clk_sec_016 contains res if {
	some s in by_kind("Secret")
	object.get(s, "type", "Opaque") != "kubernetes.io/service-account-token"
	count(object.get(s, "data", {})) + count(object.get(s, "stringData", {})) > 0
	not s.metadata.name in used_secrets
	res := finding(
		"CLK-SEC-016", s, "data",
		"Secret holds data but no rendered workload, Ingress or ServiceAccount uses it (existingSecret set?); do not render it",
	)
}
