# METADATA
# title: Cross-object rules - the rendered set as conftest --combine presents it
# description: >-
#   conftest --combine evaluates this package once with input = [{path, contents}],
#   where contents is one document or the list of documents of a multi-document file.
#   Exemptions are applied inside the rules (conftest's `exception` would exempt the
#   whole combined input, not one resource).
package combine

import rego.v1

import data.lib.exemptions
import data.lib.k8s
import data.lib.selectors

# Every rendered object, flattened across files and documents.
objects := [o |
	some f in input
	some o in documents(f.contents)
	is_object(o)
	o.kind
]

documents(contents) := contents if is_array(contents)

documents(contents) := [contents] if is_object(contents)

workload_kinds := {"Deployment", "StatefulSet"}

by_kind(kind) := [o | some o in objects; o.kind == kind]

# The namespace the rendered set is installed into (see lib/selectors.rego).
release_namespace := selectors.release_namespace(objects)

# Both objects live in one namespace (an object without one is in the release namespace).
same_namespace(a, b) if selectors.namespace(a, release_namespace) == selectors.namespace(b, release_namespace)

# A finding about obj, unless obj is exempt from the rule.
finding(id, obj, path, detail) := k8s.result(id, obj, path, detail) if not exemptions.exempt(obj, id)

# HorizontalPodAutoscalers that scale this object.
hpas_for(obj) := [h |
	some h in by_kind("HorizontalPodAutoscaler")
	h.spec.scaleTargetRef.kind == obj.kind
	h.spec.scaleTargetRef.name == obj.metadata.name
	same_namespace(h, obj)
]

# The smallest replica count a workload can run with.
min_replicas(obj) := min({object.get(h.spec, "minReplicas", 1) | some h in hpas_for(obj)}) if count(hpas_for(obj)) > 0

min_replicas(obj) := k8s.replicas(obj) if count(hpas_for(obj)) == 0

pdbs_for(obj) := [p |
	some p in by_kind("PodDisruptionBudget")
	same_namespace(p, obj)
	selectors.label_selector_matches(object.get(p.spec, "selector", null), k8s.pod_labels(obj))
]

# METADATA
# title: The combine package gets conftest's --combine input
# description: >-
#   `conftest test --namespace combine FILE` without --combine hands this package one
#   document instead of the list of files, and every cross-object rule would pass
#   without looking; this reports it instead.
# custom:
#   id: CLK-CFG-001
#   severity: deny
#   sources: [conftest --combine]
#   remediation: Run `conftest test --combine --namespace combine FILES` (or chartgate policy).
deny_clk_cfg_001 contains res if {
	not is_array(input)
	res := {
		"msg": "[CLK-CFG-001] input: package combine needs conftest's --combine input (a list of files); run `conftest test --combine --namespace combine FILES`",
		"id": "CLK-CFG-001",
		"resource": "input",
		"path": "",
	}
}
