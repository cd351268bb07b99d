# Container resources
package main

import rego.v1

import data.lib.k8s
import data.lib.main_helpers

# METADATA
# title: CPU and memory requests and a memory limit
# custom:
#   id: CLK-RES-001
#   severity: deny
#   sources: [kube-score container-resources, Polaris cpuRequestsMissing memoryRequestsMissing memoryLimitsMissing, Trivy KSV015 KSV016 KSV018, NSA/CISA C-0271]
#   remediation: Set resources.requests.cpu, resources.requests.memory and resources.limits.memory.
deny_clk_res_001 contains res if {
	some c in k8s.input_resourced_containers
	some [section, name] in main_helpers.required_resources
	not c.container.resources[section][name]
	res := k8s.result(
		"CLK-RES-001", input, sprintf("%s.resources.%s.%s", [c.path, section, name]),
		sprintf("container %q has no resources.%s.%s; set it", [c.name, section, name]),
	)
}

# METADATA
# title: CPU limit and ephemeral-storage request and limit
# custom:
#   id: CLK-RES-002
#   severity: warn
#   sources: [Polaris cpuLimitsMissing, kube-score container-ephemeral-storage-request-and-limit]
#   remediation: Set resources.limits.cpu and resources.{requests,limits}.ephemeral-storage.
warn_clk_res_002 contains res if {
	some c in k8s.input_resourced_containers
	some [section, name] in main_helpers.recommended_resources
	not c.container.resources[section][name]
	res := k8s.result(
		"CLK-RES-002", input, sprintf("%s.resources.%s.%s", [c.path, section, name]),
		sprintf("container %q has no resources.%s.%s; set it", [c.name, section, name]),
	)
}
