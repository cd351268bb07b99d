package lib.selectors_test

import rego.v1

import data.lib.selectors

lbls := {"app": "web", "tier": "front", "empty": ""}

test_label_selector_empty_selects_everything if {
	selectors.label_selector_matches({}, lbls)
	selectors.label_selector_matches({}, {})
	selectors.label_selector_matches({"matchLabels": {}, "matchExpressions": []}, lbls)
}

test_label_selector_missing_selects_nothing if {
	not selectors.label_selector_matches(null, lbls)
	not selectors.label_selector_matches("app=web", lbls)
}

test_match_labels if {
	selectors.label_selector_matches({"matchLabels": {"app": "web"}}, lbls)
	not selectors.label_selector_matches({"matchLabels": {"app": "db"}}, lbls)
	not selectors.label_selector_matches({"matchLabels": {"zone": "a"}}, lbls)
	selectors.label_selector_matches({"matchLabels": {"empty": ""}}, lbls)
}

test_match_expressions_every_operator if {
	selectors.label_selector_matches({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "x"]}]}, lbls)
	not selectors.label_selector_matches({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["back"]}]}, lbls)
	not selectors.label_selector_matches({"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}, lbls)
	selectors.label_selector_matches({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["back"]}]}, lbls)
	selectors.label_selector_matches({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}, lbls)
	not selectors.label_selector_matches({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]}, lbls)
	selectors.label_selector_matches({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, lbls)
	selectors.label_selector_matches({"matchExpressions": [{"key": "empty", "operator": "Exists"}]}, lbls)
	not selectors.label_selector_matches({"matchExpressions": [{"key": "zone", "operator": "Exists"}]}, lbls)
	selectors.label_selector_matches({"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]}, lbls)
	not selectors.label_selector_matches({"matchExpressions": [{"key": "empty", "operator": "DoesNotExist"}]}, lbls)
	not selectors.label_selector_matches({"matchExpressions": [{"key": "app", "operator": "Gt", "values": ["1"]}]}, lbls)
}

test_match_labels_and_expressions_are_anded if {
	selectors.label_selector_matches({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]}, lbls)
	not selectors.label_selector_matches({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["back"]}]}, lbls)
}

test_service_selector if {
	selectors.service_selector_matches({"app": "web"}, lbls)
	not selectors.service_selector_matches({"app": "db"}, lbls)
	not selectors.service_selector_matches({}, lbls)
	not selectors.service_selector_matches(null, lbls)
}

test_namespace_defaulting if {
	selectors.namespace({"metadata": {"namespace": "prod"}}, "rel") == "prod"
	selectors.namespace({"metadata": {}}, "rel") == "rel"
	selectors.namespace({"metadata": {"namespace": ""}}, "rel") == "rel"
}

test_release_namespace if {
	selectors.release_namespace([{"metadata": {}}, {"metadata": {"namespace": "prod"}}]) == "prod"
	selectors.release_namespace([{"metadata": {"namespace": "a"}}, {"metadata": {"namespace": "b"}}]) == ""
	selectors.release_namespace([{"metadata": {}}]) == ""
	selectors.release_namespace([{"metadata": {"namespace": "a"}}]) == "given" with data.chartgate.release.namespace as "given"
}
