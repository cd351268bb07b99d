package combine_test

import rego.v1

import data.combine
import data.lib.testdata as td

failures(objs) := {[name, r.id, r.resource] |
	some name, rs in combine with input as td.combined(objs)
	regex.match(`^(deny|warn|violation)`, name)
	some r in rs
}

test_compliant_set_passes_every_combine_rule if {
	count(failures(td.all_objects)) == 0
}

test_hpa_managed_set_passes if {
	objs := [td.remove(td.deployment, "/spec/replicas"), td.hpa, td.pdb, td.service, td.ingress, td.secret]
	count(failures(objs)) == 0
}

test_objects_flatten_documents_and_lists if {
	input_ := [{"path": "a.yaml", "contents": td.service}, {"path": "b.yaml", "contents": [td.pdb, null, {"no": "kind"}]}]
	[o.kind | some o in combine.objects] == ["Service", "PodDisruptionBudget"] with input as input_
}

test_min_replicas_uses_hpa if {
	combine.min_replicas(td.deployment) == 3 with input as td.combined([td.deployment, td.add(td.hpa, "/spec/minReplicas", 3)])
	combine.min_replicas(td.deployment) == 2 with input as td.combined([td.deployment])
}
