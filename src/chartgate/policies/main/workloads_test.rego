package main_test

import rego.v1

import data.lib.testdata as td
import data.main

test_pod_001_duplicate_env if {
	obj := td.add(td.deployment, sprintf("%s/env/-", [td.c0]), {"name": "PORT", "value": "9090"})
	some r in main.deny_clk_pod_001 with input as obj
	contains(r.msg, "PORT")
	count(main.deny_clk_pod_001) == 0 with input as td.deployment
}

test_pod_002_probe_port_not_exposed if {
	named := td.add(td.deployment, sprintf("%s/readinessProbe/httpGet/port", [td.c0]), "metrics")
	some r in main.deny_clk_pod_002 with input as named
	r.path == "spec.template.spec.containers[0].readinessProbe"
	numbered := td.add(td.deployment, sprintf("%s/livenessProbe", [td.c0]), {"tcpSocket": {"port": 9090}})
	td.ids(main.deny_clk_pod_002) == {"CLK-POD-002"} with input as numbered
	exposed := td.add(td.deployment, sprintf("%s/livenessProbe", [td.c0]), {"tcpSocket": {"port": 8080}})
	count(main.deny_clk_pod_002) == 0 with input as exposed
	count(main.deny_clk_pod_002) == 0 with input as td.deployment
}

test_pod_003_requests_above_limits if {
	obj := td.add(td.deployment, sprintf("%s/resources/requests/memory", [td.c0]), "1Gi")
	some r in main.deny_clk_pod_003 with input as obj
	r.path == "spec.template.spec.containers[0].resources.requests.memory"
	cpu := td.add(td.deployment, sprintf("%s/resources/requests/cpu", [td.c0]), 2)
	td.ids(main.deny_clk_pod_003) == {"CLK-POD-003"} with input as cpu
	same := td.add(td.deployment, sprintf("%s/resources/requests/cpu", [td.c0]), "0.5")
	count(main.deny_clk_pod_003) == 0 with input as same
	count(main.deny_clk_pod_003) == 0 with input as td.deployment
}

test_pod_004_deprecated_service_account_field if {
	obj := td.add(td.deployment, "/spec/template/spec/serviceAccount", "rel")
	td.ids(main.deny_clk_pod_004) == {"CLK-POD-004"} with input as obj
	count(main.deny_clk_pod_004) == 0 with input as td.add(td.deployment, "/spec/template/spec/serviceAccountName", "rel")
}

test_meta_002_port_names if {
	long := td.add(td.deployment, sprintf("%s/ports/0/name", [td.c0]), "http-application")
	some r in main.deny_clk_meta_002 with input as long
	r.path == "spec.template.spec.containers[0].ports[0].name"
	every name in ["HTTP", "-http", "http-", "h--p", "8080"] {
		td.ids(main.deny_clk_meta_002) == {"CLK-META-002"} with input as td.add(td.deployment, sprintf("%s/ports/0/name", [td.c0]), name)
	}
	svc := td.add(td.service, "/spec/ports/0/targetPort", "http_web")
	td.ids(main.deny_clk_meta_002) == {"CLK-META-002"} with input as svc
	count(main.deny_clk_meta_002) == 0 with input as td.add(td.service, "/spec/ports/0/targetPort", 8080)
	count(main.deny_clk_meta_002) == 0 with input as td.deployment
}

test_meta_002_label_values if {
	long := td.add(td.deployment, "/metadata/labels/team", concat("", ["a" | some _ in numbers.range(1, 64)]))
	some r in main.deny_clk_meta_002 with input as long
	r.path == "metadata.labels[\"team\"]"
	pod := td.add(td.deployment, "/spec/template/metadata/labels/team", "a b")
	some p in main.deny_clk_meta_002 with input as pod
	p.path == "spec.template.metadata.labels[\"team\"]"
	td.ids(main.deny_clk_meta_002) == {"CLK-META-002"} with input as td.add(td.deployment, "/metadata/labels/n", 3)
	count(main.deny_clk_meta_002) == 0 with input as td.add(td.deployment, "/metadata/labels/team", "")
	count(main.deny_clk_meta_002) == 0 with input as td.add(td.deployment, "/metadata/labels/team", "a.b_c-d")
}

test_img_003_registry_allow_list if {
	count(main.deny_clk_img_003) == 0 with input as td.deployment
	count(main.deny_clk_img_003) == 0 with input as td.deployment with data.chartgate.allowed_registries as ["registry.local/"]
	some r in main.deny_clk_img_003 with input as td.deployment with data.chartgate.allowed_registries as ["ghcr.io/acme/"]
	contains(r.msg, "ghcr.io/acme/")
}
