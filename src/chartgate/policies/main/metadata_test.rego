package main_test

import rego.v1

import data.lib.testdata as td
import data.main

test_api_001_deprecated if {
	every api in ["extensions/v1beta1", "policy/v1beta1", "autoscaling/v2beta2", "networking.k8s.io/v1beta1", "extensions/v1"] {
		td.ids(main.deny_clk_api_001) == {"CLK-API-001"} with input as td.add(td.pdb, "/apiVersion", api)
	}
}

test_api_001_stable_passes if {
	every obj in td.all_objects {
		count(main.deny_clk_api_001) == 0 with input as obj
	}
}

test_meta_001_missing_label if {
	some r in main.deny_clk_meta_001 with input as td.remove(td.service, "/metadata/labels/helm.sh~1chart")
	r.path == `metadata.labels["helm.sh/chart"]`
}

test_meta_001_selector_extra_key if {
	obj := td.add(td.add(td.deployment, "/spec/selector/matchLabels/app.kubernetes.io~1version", "1.0.0"), "/spec/template/metadata/labels/app.kubernetes.io~1version", "1.0.0")
	td.ids(main.deny_clk_meta_001) == {"CLK-META-001"} with input as obj
	td.ids(main.deny_clk_meta_001) == {"CLK-META-001"} with input as td.add(td.service, "/spec/selector/app", "x")
	td.ids(main.deny_clk_meta_001) == {"CLK-META-001"} with input as td.add(td.pdb, "/spec/selector/matchLabels/tier", "x")
	td.ids(main.deny_clk_meta_001) == {"CLK-META-001"} with input as td.add(td.netpol, "/spec/podSelector/matchLabels/tier", "x")
}

test_meta_001_selector_does_not_match_template if {
	some r in main.deny_clk_meta_001 with input as td.add(td.deployment, "/spec/template/metadata/labels/app.kubernetes.io~1component", "web")
	contains(r.msg, "does not match")
}

test_ns_001_namespace_labels if {
	td.ids(main.deny_clk_ns_001) == {"CLK-NS-001"} with input as td.add(td.namespace, "/metadata/labels/pod-security.kubernetes.io~1enforce", "baseline")
	td.ids(main.deny_clk_ns_001) == {"CLK-NS-001"} with input as td.remove(td.namespace, "/metadata/labels/pod-security.kubernetes.io~1enforce-version")
}

test_ns_001_forbidden_namespaces if {
	td.ids(main.deny_clk_ns_001) == {"CLK-NS-001"} with input as td.add(td.service, "/metadata/namespace", "default")
	td.ids(main.deny_clk_ns_001) == {"CLK-NS-001"} with input as td.add(td.namespace, "/metadata/name", "kube-system")
}

test_ns_001_passes if {
	count(main.deny_clk_ns_001) == 0 with input as td.namespace
	count(main.deny_clk_ns_001) == 0 with input as td.add(td.service, "/metadata/namespace", "clockwork")
}
