# Secrets handling (env vars, ConfigMaps)
package main

import rego.v1

import data.lib.k8s
import data.lib.main_helpers

# METADATA
# title: No literal credentials in env
# custom:
#   id: CLK-SEC-014
#   severity: deny
#   sources: [Polaris sensitiveContainerEnvVar, NSA/CISA C-0012]
#   remediation: Take the value from a Secret (secretKeyRef or a mounted secret volume).
deny_clk_sec_014 contains res if {
	some c in k8s.input_containers
	some i, env in object.get(c.container, "env", [])
	regex.match(main_helpers.sensitive_name, env.name)
	object.get(env, "value", "") != ""
	res := k8s.result(
		"CLK-SEC-014", input, sprintf("%s.env[%d].value", [c.path, i]),
		sprintf("container %q has a literal value for the sensitive variable %s; use valueFrom.secretKeyRef or a secret volume", [c.name, env.name]),
	)
}

# METADATA
# title: Secrets consumed through volumes rather than environment variables
# custom:
#   id: CLK-SEC-015
#   severity: warn
#   sources: [CIS 5.4.1, RHCOP-COP-00016]
#   remediation: >-
#     Mount the Secret as a volume and read the file, or exempt the object when the
#     program only reads its configuration from the environment.
warn_clk_sec_015 contains res if {
	some c in k8s.input_containers
	some i, env in object.get(c.container, "env", [])
	ref := env.valueFrom.secretKeyRef
	res := k8s.result(
		"CLK-SEC-015", input, sprintf("%s.env[%d].valueFrom.secretKeyRef", [c.path, i]),
		sprintf("container %q reads Secret %s into env %s; prefer a secret volume", [c.name, object.get(ref, "name", ""), env.name]),
	)
}

warn_clk_sec_015 contains res if {
	some c in k8s.input_containers
	some i, src in object.get(c.container, "envFrom", [])
	ref := src.secretRef
	res := k8s.result(
		"CLK-SEC-015", input, sprintf("%s.envFrom[%d].secretRef", [c.path, i]),
		sprintf("container %q loads Secret %s into its environment (envFrom); prefer a secret volume", [c.name, object.get(ref, "name", "")]),
	)
}

# METADATA
# title: ConfigMaps hold no credentials
# description: >-
#   Keys named like credentials or values that look like them (private keys, URLs with a
#   password, cloud keys, JWTs, password=...). The combine package checks the other half:
#   a rendered Secret with data that nothing uses (existingSecret set).
# custom:
#   id: CLK-SEC-016
#   severity: deny
#   sources: [Polaris sensitiveConfigmapContent, Trivy KSV0109]
#   remediation: Move the value to a Secret (or an existingSecret) and reference it.
deny_clk_sec_016 contains res if {
	input.kind == "ConfigMap"
	some key, value in object.get(input, "data", {})
	regex.match(main_helpers.sensitive_name, key)
	value != ""
	res := k8s.result(
		"CLK-SEC-016", input, sprintf("data[%q]", [key]),
		sprintf("ConfigMap key %s looks like a credential; move it to a Secret", [key]),
	)
}

deny_clk_sec_016 contains res if {
	input.kind == "ConfigMap"
	some key, value in object.get(input, "data", {})
	not regex.match(main_helpers.sensitive_name, key)
	some pattern in main_helpers.credential_value_patterns
	regex.match(pattern, value)
	res := k8s.result(
		"CLK-SEC-016", input, sprintf("data[%q]", [key]),
		sprintf("ConfigMap value of %s looks like a credential; move it to a Secret", [key]),
	)
}
