package lib.k8s_test

import rego.v1

import data.lib.k8s
import data.lib.testdata as td

test_pod_spec_paths if {
	k8s.pod_spec_path(td.deployment) == "spec.template.spec"
	k8s.pod_spec_path({"kind": "Pod"}) == "spec"
	not k8s.pod_spec({"kind": "Service", "spec": {}})
}

test_pod_labels if {
	k8s.pod_labels(td.deployment)["app.kubernetes.io/component"] == "server"
	k8s.pod_labels({"kind": "Pod", "metadata": {"labels": {"a": "b"}}}) == {"a": "b"}
}

test_containers_of_every_kind if {
	obj := td.add(td.deployment, "/spec/template/spec/initContainers", [{"name": "init"}])
	[c.kind | some c in k8s.containers(obj)] == ["initContainers", "containers"]
	[c.name | some c in k8s.main_containers(obj)] == ["server"]
	unnamed := td.add(td.deployment, "/spec/template/spec/containers/0", {"image": "x:1"})
	"#0" in {c.name | some c in k8s.containers(unnamed)}
}

test_hooks if {
	k8s.hooks(td.migration_job) == {"pre-install", "pre-upgrade"}
	k8s.hooks(td.deployment) == set()
}

test_replicas_default if {
	k8s.replicas({"spec": {}}) == 1
	k8s.replicas(td.deployment) == 2
}

test_result_shape if {
	r := k8s.result("CLK-X-001", td.service, "spec", "detail")
	r == {"msg": "[CLK-X-001] Service/rel-clockwork: detail", "id": "CLK-X-001", "resource": "Service/rel-clockwork", "path": "spec"}
}

test_has_field if {
	k8s.has_field({"a": false}, "a")
	not k8s.has_field({"a": false}, "b")
}
