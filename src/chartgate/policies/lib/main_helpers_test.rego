package lib.main_helpers_test

import rego.v1

import data.lib.main_helpers

test_allowed_registries_default_to_none if {
	main_helpers.allowed_registries == []
}

test_allowed_registries_come_from_data if {
	main_helpers.allowed_registries == ["registry.local/"] with data.chartgate.allowed_registries as ["registry.local/"]
}

test_windows_pods_skip_the_restricted_seccomp_check if {
	main_helpers.pod_seccomp_checks == ["seccompProfile_baseline"] with input as {"kind": "Pod", "spec": {"os": {"name": "windows"}}}
	main_helpers.pod_seccomp_checks == ["seccompProfile_baseline", "seccompProfile_restricted"] with input as {"kind": "Pod", "spec": {}}
}

test_rbac_problems_name_the_rule if {
	problems := main_helpers.rbac_problems with input as {"kind": "Role", "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["*"]}]}
	{path | some [path, _] in problems} == {"rules[0].verbs", "rules[0].resources"}
}
