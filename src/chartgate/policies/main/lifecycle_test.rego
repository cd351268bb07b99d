package main_test

import rego.v1

import data.lib.testdata as td
import data.main

test_job_001_bounds if {
	every field in ["backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished"] {
		td.ids(main.deny_clk_job_001) == {"CLK-JOB-001"} with input as td.remove(td.migration_job, sprintf("/spec/%s", [field]))
	}
}

test_job_001_restart_policy if {
	some r in main.deny_clk_job_001 with input as td.add(td.migration_job, "/spec/template/spec/restartPolicy", "Always")
	r.path == "spec.template.spec.restartPolicy"
}

test_job_001_migration_hook if {
	td.ids(main.deny_clk_job_001) == {"CLK-JOB-001"} with input as td.add(td.migration_job, "/metadata/annotations/helm.sh~1hook", "post-install")
	td.ids(main.deny_clk_job_001) == {"CLK-JOB-001"} with input as td.remove(td.migration_job, "/metadata/annotations")
	td.ids(main.deny_clk_job_001) == {"CLK-JOB-001"} with input as td.remove(td.migration_job, "/metadata/annotations/helm.sh~1hook-delete-policy")
}

test_job_001_migration_found_by_label if {
	obj := td.remove(td.add(td.migration_job, "/metadata/name", "rel-clockwork-db-setup"), "/metadata/annotations")
	td.ids(main.deny_clk_job_001) == {"CLK-JOB-001"} with input as obj
	other := td.add(td.add(obj, "/metadata/labels/app.kubernetes.io~1component", "report"), "/metadata/annotations", {})
	count(main.deny_clk_job_001) == 0 with input as other
}

test_job_001_cronjob if {
	cron := {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": td.meta("rel-clockwork-report", {}),
		"spec": {"schedule": "@daily", "jobTemplate": {"spec": {"backoffLimit": 1, "template": td.migration_job.spec.template}}},
	}
	some r in main.deny_clk_job_001 with input as cron
	r.path == "spec.jobTemplate.spec.activeDeadlineSeconds"
}

test_job_001_passes if {
	count(main.deny_clk_job_001) == 0 with input as td.migration_job
}

test_sts_001_service_name if {
	td.ids(main.deny_clk_sts_001) == {"CLK-STS-001"} with input as td.remove(td.statefulset, "/spec/serviceName")
}

test_sts_001_storage_request if {
	some r in main.deny_clk_sts_001 with input as td.remove(td.statefulset, "/spec/volumeClaimTemplates/0/spec/resources")
	contains(r.msg, `"data"`)
}

test_sts_001_retention if {
	td.ids(main.deny_clk_sts_001) == {"CLK-STS-001"} with input as td.remove(td.statefulset, "/spec/persistentVolumeClaimRetentionPolicy")
}

test_sts_001_passes if {
	count(main.deny_clk_sts_001) == 0 with input as td.statefulset
}
