# Verdicts a review of the pack found wrong on hand-made manifests, one test each
# (package main: one document at a time).
package main_test

import rego.v1

import data.lib.testdata as td
import data.main

# PSA allows net.ipv4.tcp_rmem and tcp_wmem since policy version 1.32.
test_sysctls_allowed_since_1_32 if {
	some name in ["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"]
	obj := td.add(td.deployment, "/spec/template/spec/securityContext/sysctls", [{"name": name, "value": "4096 87380 6291456"}])
	count(main.deny_clk_sec_011) == 0 with input as obj
}

# An HPA-managed Deployment has no spec.replicas: maxUnavailable 1 is judged against the
# HPA's minimum (package combine), not against a replica count main cannot see.
test_rel_003_hpa_managed_max_unavailable_one if {
	dep := td.add(td.remove(td.deployment, "/spec/replicas"), "/spec/strategy/rollingUpdate/maxUnavailable", 1)
	count(main.deny_clk_rel_003) == 0 with input as dep
}

# Pod-level runAsNonRoot: false is rejected by PSA even when every container says true.
test_sec_006_pod_false_containers_true if {
	obj := td.add(td.deployment, "/spec/template/spec/securityContext/runAsNonRoot", false)
	some r in main.deny_clk_sec_006 with input as obj
	r.path == "spec.template.spec.securityContext.runAsNonRoot"
}

replication_controller := {
	"apiVersion": "v1",
	"kind": "ReplicationController",
	"metadata": td.deployment.metadata,
	"spec": {"replicas": 2, "selector": td.selector_labels, "template": td.deployment.spec.template},
}

pod_template := {
	"apiVersion": "v1",
	"kind": "PodTemplate",
	"metadata": td.deployment.metadata,
	"template": td.deployment.spec.template,
}

# ReplicationController and PodTemplate carry pod specs PSA checks.
test_replication_controller_and_pod_template_are_pod_bearing if {
	td.ids(main.deny_clk_sec_001) == {"CLK-SEC-001"} with input as td.add(replication_controller, "/spec/template/spec/containers/0/securityContext/privileged", true)
	td.ids(main.deny_clk_sec_001) == {"CLK-SEC-001"} with input as td.add(pod_template, "/template/spec/containers/0/securityContext/privileged", true)
	count(main.deny_clk_sec_001) == 0 with input as replication_controller
	count(main.deny_clk_sec_001) == 0 with input as pod_template
}

# The same handler with another periodSeconds is still the same check.
test_rel_002_same_handler_other_timing if {
	obj := td.add(
		td.add(td.deployment, sprintf("%s/livenessProbe", [td.c0]), {"httpGet": {"path": "/api/health", "port": "http"}, "periodSeconds": 20}),
		sprintf("%s/readinessProbe", [td.c0]), {"httpGet": {"path": "/api/health", "port": "http"}, "periodSeconds": 5},
	)
	some r in main.deny_clk_rel_002 with input as obj
	contains(r.msg, "same handler")
}

cronjob := {
	"apiVersion": "batch/v1",
	"kind": "CronJob",
	"metadata": td.meta("rel-clockwork-report", {}),
	"spec": {
		"schedule": "0 * * * *",
		"startingDeadlineSeconds": 300,
		"jobTemplate": {"spec": {
			"backoffLimit": 1,
			"activeDeadlineSeconds": 600,
			"template": {"spec": object.union(td.deployment.spec.template.spec, {"restartPolicy": "Never"})},
		}},
	},
}

# kube-score cronjob-has-deadline: a CronJob sets startingDeadlineSeconds.
test_job_001_cronjob_starting_deadline if {
	count(main.deny_clk_job_001) == 0 with input as cronjob
	some r in main.deny_clk_job_001 with input as td.remove(cronjob, "/spec/startingDeadlineSeconds")
	r.path == "spec.startingDeadlineSeconds"
}
