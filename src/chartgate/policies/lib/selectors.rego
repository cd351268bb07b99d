# METADATA
# title: Label selector and namespace semantics, as the API server applies them
# description: >-
#   One place for how an object selects pods, used by every cross-object rule.
#   A LabelSelector (PodDisruptionBudget, NetworkPolicy podSelector, workload
#   selector, topology spread): missing or null selects nothing; {} (no matchLabels and
#   no matchExpressions, or both empty) selects every pod; otherwise every matchLabels
#   pair and every matchExpressions requirement (In, NotIn, Exists, DoesNotExist) must
#   hold. A Service selector is a plain map: missing or empty selects nothing (its
#   endpoints are managed by hand). An object without metadata.namespace lives in the
#   release namespace.
package lib.selectors

import rego.v1

# Does the LabelSelector `selector` select an object with labels `lbls`?
label_selector_matches(selector, lbls) if {
	is_object(selector)
	every k, v in object.get(selector, "matchLabels", {}) {
		lbls[k] == v
	}
	every e in object.get(selector, "matchExpressions", []) {
		expression_matches(e, lbls)
	}
}

expression_matches(e, lbls) if {
	e.operator == "In"
	lbls[e.key] in object.get(e, "values", [])
}

expression_matches(e, lbls) if {
	e.operator == "NotIn"
	not object.get(lbls, e.key, null) in object.get(e, "values", [])
}

expression_matches(e, lbls) if {
	e.operator == "Exists"
	has_label(lbls, e.key)
}

expression_matches(e, lbls) if {
	e.operator == "DoesNotExist"
	not has_label(lbls, e.key)
}

has_label(lbls, key) if _ = lbls[key]

# Does the Service selector map `selector` select an object with labels `lbls`?
service_selector_matches(selector, lbls) if {
	is_object(selector)
	count(selector) > 0
	every k, v in selector {
		lbls[k] == v
	}
}

# The namespace an object is installed into: its own, or the release namespace.
namespace(obj, release_namespace) := ns if {
	ns := obj.metadata.namespace
	ns != ""
} else := release_namespace

# The release namespace of a rendered set: given as data (data.chartgate.release.namespace),
# otherwise the one namespace the chart spells out on its objects (charts that set
# metadata.namespace write {{ .Release.Namespace }}), otherwise unknown ("").
default release_namespace_given := ""

release_namespace_given := data.chartgate.release.namespace

release_namespace(objects) := release_namespace_given if {
	release_namespace_given != ""
} else := ns if {
	explicit := {o.metadata.namespace | some o in objects; o.metadata.namespace != ""}
	count(explicit) == 1
	some ns in explicit
} else := ""
