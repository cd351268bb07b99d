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

test_ref_001_secret_not_rendered if {
	some r in combine.deny_clk_ref_001 with input as td.combined([td.deployment])
	r.resource == "Deployment/rel-clockwork"
	contains(r.msg, "Secret/rel-clockwork-db")
	contains(r.msg, "external_objects")
}

test_ref_001_rendered_or_declared_passes if {
	count(combine.deny_clk_ref_001) == 0 with input as td.combined([td.deployment, td.secret])
	count(combine.deny_clk_ref_001) == 0 with input as td.combined([td.deployment])
		with data.chartgate.external_objects as ["Secret/rel-clockwork-db"]
	count(combine.deny_clk_ref_001) == 0 with input as td.combined([td.deployment])
		with data.chartgate.external_objects as ["ConfigMap/rel-clockwork-db", "Secret/rel-*"]
}

test_ref_001_declaration_is_per_kind if {
	td.ids(combine.deny_clk_ref_001) == {"CLK-REF-001"} with input as td.combined([td.deployment])
		with data.chartgate.external_objects as ["ConfigMap/rel-clockwork-db", "rel-clockwork-db"]
}

test_ref_001_every_reference_kind if {
	spec := td.pod
	dep := td.add(
		td.add(
			td.add(
				td.add(
					td.add(td.deployment, sprintf("%s/serviceAccountName", [spec]), "runner"),
					sprintf("%s/imagePullSecrets", [spec]), [{"name": "pull"}],
				),
				sprintf("%s/containers/0/env/-", [spec]), {"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cm-env", "key": "a"}}},
			),
			sprintf("%s/containers/0/envFrom", [spec]), [{"secretRef": {"name": "s-envfrom"}}, {"configMapRef": {"name": "cm-opt", "optional": true}}],
		),
		sprintf("%s/volumes/-", [spec]), {"name": "p", "projected": {"sources": [{"configMap": {"name": "kube-root-ca.crt"}}, {"secret": {"name": "s-projected"}}]}},
	)
	msgs := {r.msg | some r in combine.deny_clk_ref_001} with input as td.combined([dep, td.secret])
	missing := {ref | some ref in ["ServiceAccount/runner", "Secret/pull", "ConfigMap/cm-env", "Secret/s-envfrom", "Secret/s-projected"]; some m in msgs; contains(m, sprintf("references %s,", [ref]))}
	count(missing) == 5
	count(msgs) == 5
}

test_ref_001_default_service_account_and_deprecated_field if {
	default_sa := td.add(td.deployment, sprintf("%s/serviceAccountName", [td.pod]), "default")
	count(combine.deny_clk_ref_001) == 0 with input as td.combined([default_sa, td.secret])
	old_field := td.add(td.deployment, sprintf("%s/serviceAccount", [td.pod]), "runner")
	some r in combine.deny_clk_ref_001 with input as td.combined([old_field, td.secret])
	contains(r.msg, "ServiceAccount/runner")
}

test_ref_001_other_namespace_does_not_count if {
	elsewhere := td.add(td.secret, "/metadata/namespace", "other")
	dep := td.add(td.deployment, "/metadata/namespace", "clockwork")
	td.ids(combine.deny_clk_ref_001) == {"CLK-REF-001"} with input as td.combined([dep, elsewhere])
}

test_ref_001_ingress_tls_secret if {
	plain := td.remove(td.ingress, "/metadata/annotations")
	some r in combine.deny_clk_ref_001 with input as td.combined([plain, td.service])
	r.resource == "Ingress/rel-clockwork"
	issuer := td.add(plain, "/metadata/annotations", {"cert-manager.io/issuer": "ca"})
	count(combine.deny_clk_ref_001) == 0 with input as td.combined([issuer, td.service])
	tls := td.add(td.secret, "/metadata/name", "clockwork-tls")
	count(combine.deny_clk_ref_001) == 0 with input as td.combined([plain, td.service, tls])
}
