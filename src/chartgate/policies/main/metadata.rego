# API versions, labels, selectors and namespaces
package main

import rego.v1

import data.lib.k8s
import data.lib.main_helpers

# METADATA
# title: No removed or deprecated apiVersions
# custom:
#   id: CLK-API-001
#   severity: deny
#   sources: [kube-score stable-version, deprek8ion, Gatekeeper k8sverifydeprecatedapi, Trivy KSV107]
#   remediation: Use the stable apiVersion (apps/v1, networking.k8s.io/v1, policy/v1, batch/v1, autoscaling/v2).
deny_clk_api_001 contains res if {
	api := object.get(input, "apiVersion", "")
	deprecated_api(api)
	res := k8s.result(
		"CLK-API-001", input, "apiVersion",
		sprintf("apiVersion %s is removed or deprecated; use the stable version", [api]),
	)
}

deprecated_api(api) if api in main_helpers.removed_api_versions

deprecated_api(api) if startswith(api, "extensions/")

# METADATA
# title: Recommended labels and immutable selectors
# custom:
#   id: CLK-META-001
#   severity: deny
#   sources: [Kubernetes recommended labels, conftest examples, bitnami common.labels, kube-score label-values pod-selector-match]
#   remediation: >-
#     Label every object with app.kubernetes.io/{name,instance,version,managed-by} and
#     helm.sh/chart; select pods only by name and instance (plus component).
deny_clk_meta_001 contains res if {
	input.kind
	some label in main_helpers.required_labels
	not k8s.labels(input)[label]
	res := k8s.result(
		"CLK-META-001", input, sprintf("metadata.labels[%q]", [label]),
		sprintf("object has no %s label; add the chart's common labels", [label]),
	)
}

deny_clk_meta_001 contains res if {
	some [path, sel] in main_helpers.selectors
	some key, _ in sel
	not key in main_helpers.selector_label_keys
	res := k8s.result(
		"CLK-META-001", input, sprintf("%s[%q]", [path, key]),
		sprintf("selector uses %s; select only on app.kubernetes.io/name, instance and component (selectors are immutable)", [key]),
	)
}

deny_clk_meta_001 contains res if {
	k8s.is_pod_bearing(input)
	input.kind != "Pod"
	sel := object.get(input.spec, ["selector", "matchLabels"], {})
	some key, value in sel
	not k8s.pod_labels(input)[key] == value
	res := k8s.result(
		"CLK-META-001", input, sprintf("spec.selector.matchLabels[%q]", [key]),
		sprintf("selector %s=%s does not match the pod template labels; make them equal", [key, value]),
	)
}

# METADATA
# title: Restricted namespace, never default or kube-system
# custom:
#   id: CLK-NS-001
#   severity: deny
#   sources: [CIS 5.2.1, CIS 5.7.4, Trivy KSV110 KSV037]
#   remediation: >-
#     Label the Namespace pod-security.kubernetes.io/enforce: restricted with an
#     enforce-version; install into a dedicated namespace.
deny_clk_ns_001 contains res if {
	input.kind == "Namespace"
	not k8s.labels(input)["pod-security.kubernetes.io/enforce"] == "restricted"
	res := k8s.result(
		"CLK-NS-001", input, "metadata.labels[\"pod-security.kubernetes.io/enforce\"]",
		"Namespace does not enforce the restricted Pod Security Standard; label it pod-security.kubernetes.io/enforce: restricted",
	)
}

deny_clk_ns_001 contains res if {
	input.kind == "Namespace"
	not k8s.labels(input)["pod-security.kubernetes.io/enforce-version"]
	res := k8s.result(
		"CLK-NS-001", input, "metadata.labels[\"pod-security.kubernetes.io/enforce-version\"]",
		"Namespace has no pod-security.kubernetes.io/enforce-version; pin one (e.g. v1.34)",
	)
}

deny_clk_ns_001 contains res if {
	input.kind == "Namespace"
	input.metadata.name in main_helpers.forbidden_namespaces
	res := k8s.result(
		"CLK-NS-001", input, "metadata.name",
		sprintf("the chart renders the %s Namespace; use a dedicated namespace", [input.metadata.name]),
	)
}

deny_clk_ns_001 contains res if {
	ns := k8s.namespace(input)
	ns in main_helpers.forbidden_namespaces
	res := k8s.result(
		"CLK-NS-001", input, "metadata.namespace",
		sprintf("object targets the %s namespace; install into a dedicated namespace", [ns]),
	)
}
