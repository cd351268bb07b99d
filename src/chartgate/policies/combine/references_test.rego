package combine_test

import rego.v1

import data.combine
import data.lib.testdata as td

test_job_001_hook_reads_regular_secret if {
	job := td.add(td.migration_job, "/spec/template/spec/volumes/1/secret/secretName", "rel-clockwork-db")
	some r in combine.deny_clk_job_001 with input as td.combined([job, td.secret, td.hook_secret])
	contains(r.msg, "Secret/rel-clockwork-db")
}

test_job_001_hook_reads_regular_configmap_by_env if {
	job := td.add(td.migration_job, "/spec/template/spec/containers/0/envFrom", [{"configMapRef": {"name": "rel-clockwork"}}])
	td.ids(combine.deny_clk_job_001) == {"CLK-JOB-001"} with input as td.combined([job, td.configmap, td.hook_secret])
}

test_job_001_pre_existing_or_hook_objects_pass if {
	count(combine.deny_clk_job_001) == 0 with input as td.combined([td.migration_job, td.hook_secret])
	count(combine.deny_clk_job_001) == 0 with input as td.combined([td.migration_job])
}

test_config_refs_cover_env_and_projected_volumes if {
	job := td.add(
		td.add(td.migration_job, "/spec/template/spec/containers/0/env/-", {"name": "U", "valueFrom": {"configMapKeyRef": {"name": "cm1", "key": "k"}}}),
		"/spec/template/spec/volumes/-", {"name": "p", "projected": {"sources": [{"secret": {"name": "s2"}}, {"configMap": {"name": "cm2"}}]}},
	)
	refs := combine.config_refs(job)
	{["ConfigMap", "cm1"], ["Secret", "s2"], ["ConfigMap", "cm2"]} & refs == {["ConfigMap", "cm1"], ["Secret", "s2"], ["ConfigMap", "cm2"]}
}

test_sts_001_headless_service_missing if {
	some r in combine.deny_clk_sts_001 with input as td.combined([td.statefulset])
	r.resource == "StatefulSet/rel-clockwork-postgresql"
}

test_sts_001_service_not_headless if {
	svc := td.remove(td.headless_service, "/spec/clusterIP")
	td.ids(combine.deny_clk_sts_001) == {"CLK-STS-001"} with input as td.combined([td.statefulset, svc])
	count(combine.deny_clk_sts_001) == 0 with input as td.combined([td.statefulset, td.headless_service])
}

test_sec_016_unused_secret if {
	some r in combine.deny_clk_sec_016 with input as td.combined([td.secret])
	r.resource == "Secret/rel-clockwork-db"
}

test_sec_016_used_secrets_pass if {
	tls := td.add(td.add(td.secret, "/metadata/name", "clockwork-tls"), "/type", "kubernetes.io/tls")
	pull := td.add(td.secret, "/metadata/name", "pull")
	sa := {
		"apiVersion": "v1", "kind": "ServiceAccount", "metadata": td.meta("sa", {}),
		"secrets": [{"name": "sa-secret"}], "imagePullSecrets": [{"name": "sa-pull"}],
	}
	sa_pull := td.add(td.secret, "/metadata/name", "sa-pull")
	sa_secret := td.add(td.secret, "/metadata/name", "sa-secret")
	dep := td.add(td.deployment, "/spec/template/spec/imagePullSecrets", [{"name": "pull"}])
	count(combine.deny_clk_sec_016) == 0 with input as td.combined([dep, td.secret, td.ingress, tls, pull, sa, sa_secret, sa_pull])
}

test_sec_016_empty_secret_passes if {
	count(combine.deny_clk_sec_016) == 0 with input as td.combined([td.remove(td.secret, "/data")])
}
