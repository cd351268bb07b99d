# Jobs (the migration hook) and StatefulSets (Postgres)
package main

import rego.v1

import data.lib.k8s

# The database migration Job: named or labelled as a migration.
is_migration_job(obj) if {
	obj.kind == "Job"
	regex.match(`(?i)migrat`, k8s.name(obj))
}

is_migration_job(obj) if {
	obj.kind == "Job"
	regex.match(`(?i)migrat`, object.get(k8s.labels(obj), "app.kubernetes.io/component", ""))
}

# The Job spec of a Job or a CronJob's jobTemplate.
job_spec(obj) := obj.spec if obj.kind == "Job"

job_spec(obj) := obj.spec.jobTemplate.spec if obj.kind == "CronJob"

job_spec_path(obj) := "spec" if obj.kind == "Job"

job_spec_path(obj) := "spec.jobTemplate.spec" if obj.kind == "CronJob"

# METADATA
# title: Jobs are bounded; the migration Job is a pre-install/pre-upgrade hook
# description: >-
#   Every Job (and CronJob template): backoffLimit, activeDeadlineSeconds,
#   restartPolicy Never or OnFailure; a Job also needs ttlSecondsAfterFinished, a
#   CronJob startingDeadlineSeconds (kube-score cronjob-has-deadline). The
#   migration Job must be a pre-install,pre-upgrade hook with a delete policy. The
#   combine package checks it only references pre-existing or hook Secrets/ConfigMaps.
# custom:
#   id: CLK-JOB-001
#   severity: deny
#   sources: [Helm chart hooks, kube-score cronjob-has-deadline, kube-score pod-restartpolicy]
#   remediation: >-
#     Annotate helm.sh/hook: pre-install,pre-upgrade and helm.sh/hook-delete-policy:
#     before-hook-creation,hook-succeeded; set backoffLimit, activeDeadlineSeconds,
#     ttlSecondsAfterFinished and restartPolicy: Never.
deny_clk_job_001 contains res if {
	spec := job_spec(input)
	some field in ["backoffLimit", "activeDeadlineSeconds"]
	not has_key(spec, field)
	res := k8s.result(
		"CLK-JOB-001", input, sprintf("%s.%s", [job_spec_path(input), field]),
		sprintf("%s has no %s; set it so a failing job stops", [input.kind, field]),
	)
}

deny_clk_job_001 contains res if {
	input.kind == "CronJob"
	not has_key(input.spec, "startingDeadlineSeconds")
	res := k8s.result(
		"CLK-JOB-001", input, "spec.startingDeadlineSeconds",
		"CronJob has no startingDeadlineSeconds; set it so missed runs are not started late (or counted towards the 100-missed-schedules limit)",
	)
}

deny_clk_job_001 contains res if {
	input.kind == "Job"
	not has_key(input.spec, "ttlSecondsAfterFinished")
	res := k8s.result(
		"CLK-JOB-001", input, "spec.ttlSecondsAfterFinished",
		"Job has no ttlSecondsAfterFinished; set it so finished jobs are cleaned up",
	)
}

deny_clk_job_001 contains res if {
	input.kind in {"Job", "CronJob"}
	policy := object.get(k8s.input_pod_spec, "restartPolicy", "Always")
	not policy in {"Never", "OnFailure"}
	res := k8s.result(
		"CLK-JOB-001", input, sprintf("%s.restartPolicy", [k8s.pod_spec_path(input)]),
		sprintf("restartPolicy is %s; use Never (or OnFailure)", [policy]),
	)
}

deny_clk_job_001 contains res if {
	is_migration_job(input)
	some phase in ["pre-install", "pre-upgrade"]
	not phase in k8s.hooks(input)
	res := k8s.result(
		"CLK-JOB-001", input, "metadata.annotations[\"helm.sh/hook\"]",
		sprintf("migration Job is not a %s hook; annotate helm.sh/hook: pre-install,pre-upgrade", [phase]),
	)
}

deny_clk_job_001 contains res if {
	is_migration_job(input)
	not k8s.annotations(input)["helm.sh/hook-delete-policy"]
	res := k8s.result(
		"CLK-JOB-001", input, "metadata.annotations[\"helm.sh/hook-delete-policy\"]",
		"migration Job has no helm.sh/hook-delete-policy; set before-hook-creation,hook-succeeded",
	)
}

# METADATA
# title: StatefulSet has a service name, storage requests and an explicit PVC retention
# description: The combine package checks that serviceName is a headless Service.
# custom:
#   id: CLK-STS-001
#   severity: deny
#   sources: [kube-score statefulset-has-servicename, bitnami/postgresql]
#   remediation: >-
#     Set spec.serviceName to the headless Service, request storage in every
#     volumeClaimTemplate and set spec.persistentVolumeClaimRetentionPolicy.
deny_clk_sts_001 contains res if {
	input.kind == "StatefulSet"
	object.get(input.spec, "serviceName", "") == ""
	res := k8s.result(
		"CLK-STS-001", input, "spec.serviceName",
		"StatefulSet has no serviceName; set it to its headless Service",
	)
}

deny_clk_sts_001 contains res if {
	input.kind == "StatefulSet"
	some i, vct in object.get(input.spec, "volumeClaimTemplates", [])
	not vct.spec.resources.requests.storage
	res := k8s.result(
		"CLK-STS-001", input, sprintf("spec.volumeClaimTemplates[%d].spec.resources.requests.storage", [i]),
		sprintf("volumeClaimTemplate %q requests no storage; set resources.requests.storage", [object.get(vct, ["metadata", "name"], "")]),
	)
}

deny_clk_sts_001 contains res if {
	input.kind == "StatefulSet"
	count(object.get(input.spec, "volumeClaimTemplates", [])) > 0
	not input.spec.persistentVolumeClaimRetentionPolicy
	res := k8s.result(
		"CLK-STS-001", input, "spec.persistentVolumeClaimRetentionPolicy",
		"StatefulSet does not say what happens to its PVCs; set persistentVolumeClaimRetentionPolicy (whenDeleted/whenScaled)",
	)
}
