# References between objects (Secrets, ConfigMaps, Services)
package combine

import rego.v1

import data.lib.k8s
import data.lib.selectors

# [kind, name] of every Secret/ConfigMap a pod-bearing object reads.
config_refs(obj) := {[kind, name] | some [kind, name, _] in config_uses(obj)}

# [kind, name, optional] of every Secret/ConfigMap a pod-bearing object reads; optional
# references (`optional: true`) do not keep the pod from starting.
config_uses(obj) := {u |
	some c in k8s.containers(obj)
	some u in container_uses(c.container)
} | {u |
	some vol in object.get(k8s.pod_spec(obj), "volumes", [])
	some u in volume_uses(vol)
}

container_uses(c) := (({["Secret", r.name, object.get(r, "optional", false)] | some e in object.get(c, "env", []); r := e.valueFrom.secretKeyRef; r.name} | {["ConfigMap", r.name, object.get(r, "optional", false)] | some e in object.get(c, "env", []); r := e.valueFrom.configMapKeyRef; r.name}) | {["Secret", r.name, object.get(r, "optional", false)] | some e in object.get(c, "envFrom", []); r := e.secretRef; r.name}) | {["ConfigMap", r.name, object.get(r, "optional", false)] | some e in object.get(c, "envFrom", []); r := e.configMapRef; r.name}

volume_uses(vol) := (({["Secret", vol.secret.secretName, object.get(vol.secret, "optional", false)] | vol.secret.secretName} | {["ConfigMap", vol.configMap.name, object.get(vol.configMap, "optional", false)] | vol.configMap.name}) | {["Secret", r.name, object.get(r, "optional", false)] | some s in object.get(vol, ["projected", "sources"], []); r := s.secret; r.name}) | {["ConfigMap", r.name, object.get(r, "optional", false)] | some s in object.get(vol, ["projected", "sources"], []); r := s.configMap; r.name}

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

# [kind, name] of what a pod-bearing object cannot start without: the Secrets and
# ConfigMaps it reads (unless optional), its imagePullSecrets and its ServiceAccount.
required_refs(obj) := ({[kind, name] | some [kind, name, false] in config_uses(obj)} | {["Secret", s.name] | some s in object.get(k8s.pod_spec(obj), "imagePullSecrets", []); s.name}) | {["ServiceAccount", name] | name := service_account_name(k8s.pod_spec(obj)); name != ""}

service_account_name(spec) := object.get(spec, "serviceAccountName", object.get(spec, "serviceAccount", ""))

# Objects every namespace has, which no release renders.
namespace_provided := {["ServiceAccount", "default"], ["ConfigMap", "kube-root-ca.crt"]}

# Objects created outside the release, declared as data: chartgate.external_objects, a
# list of "Kind/name" (the name may be a glob), e.g. ["Secret/clockwork-db", "ConfigMap/ca-*"].
declared_external(kind, name) if {
	some entry in data.chartgate.external_objects
	[declared_kind, pattern] := split(entry, "/")
	declared_kind == kind
	glob.match(pattern, [], name)
}

provided(kind, name, _) if [kind, name] in namespace_provided

provided(kind, name, _) if declared_external(kind, name)

provided(kind, name, near) if count(rendered(kind, name, near)) > 0

# cert-manager's ingress-shim creates the TLS Secrets of an Ingress annotated with an issuer.
cert_manager_issued(ing) if {
	some key in ["cert-manager.io/issuer", "cert-manager.io/cluster-issuer"]
	k8s.annotations(ing)[key]
}

reference_hint(kind, name) := sprintf("render it, or declare it external when the cluster provides it (data chartgate.external_objects: [\"%s/%s\"], or the scenario's externalObjects)", [kind, name])

# METADATA
# title: Referenced Secrets, ConfigMaps and ServiceAccounts exist
# description: >-
#   A pod whose Secret, ConfigMap or ServiceAccount is missing never starts
#   (CreateContainerConfigError, or the API server rejects it). Each one must be rendered
#   by the release, declared external as data, or be one every namespace has (the
#   ServiceAccount default, the ConfigMap kube-root-ca.crt). Optional references are not
#   required; an Ingress's TLS Secret is, unless cert-manager issues it.
# custom:
#   id: CLK-REF-001
#   severity: deny
#   sources: [KubeLinter non-existent-service-account, Kubernetes pod startup CreateContainerConfigError]
#   remediation: >-
#     Render the object, or list it as "Kind/name" in data.chartgate.external_objects
#     (a scenario's externalObjects) when the cluster provides it.
deny_clk_ref_001 contains res if {
	some obj in objects
	k8s.is_pod_bearing(obj)
	some [kind, name] in required_refs(obj)
	not provided(kind, name, obj)
	res := finding(
		"CLK-REF-001", obj, k8s.pod_spec_path(obj),
		sprintf("references %s/%s, which the release does not render; %s", [kind, name, reference_hint(kind, name)]),
	)
}

deny_clk_ref_001 contains res if {
	some ing in by_kind("Ingress")
	not cert_manager_issued(ing)
	some t in object.get(ing.spec, "tls", [])
	t.secretName
	not provided("Secret", t.secretName, ing)
	res := finding(
		"CLK-REF-001", ing, "spec.tls",
		sprintf("TLS Secret %s is not rendered and no cert-manager issuer annotation creates it; %s", [t.secretName, reference_hint("Secret", t.secretName)]),
	)
}
