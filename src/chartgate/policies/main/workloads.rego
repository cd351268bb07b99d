# Pod spec consistency (env, probe ports, resources, service accounts) and names the API
# server rejects
package main

import rego.v1

import data.lib.k8s
import data.lib.main_helpers

# METADATA
# title: No duplicate environment variable names
# custom:
#   id: CLK-POD-001
#   severity: deny
#   sources: [KubeLinter duplicate-env-var]
#   remediation: Keep one entry per name in env (the later one silently wins).
deny_clk_pod_001 contains res if {
	some c in k8s.input_containers
	names := [e.name | some e in object.get(c.container, "env", [])]
	some name in {n | some n in names}
	count([n | some n in names; n == name]) > 1
	res := k8s.result(
		"CLK-POD-001", input, sprintf("%s.env", [c.path]),
		sprintf("container %q sets env %s more than once; the later value silently wins, keep one", [c.name, name]),
	)
}

# Every port of a probe handler: [probe, port].
probe_ports(c) := {[p, port] |
	some p in ["livenessProbe", "readinessProbe", "startupProbe"]
	some proto in ["httpGet", "tcpSocket", "grpc"]
	port := c[p][proto].port
}

container_exposes(c, port) if {
	is_string(port)
	some p in object.get(c, "ports", [])
	p.name == port
}

container_exposes(c, port) if {
	is_number(port)
	some p in object.get(c, "ports", [])
	p.containerPort == port
}

# METADATA
# title: Probes target a port the container exposes
# custom:
#   id: CLK-POD-002
#   severity: deny
#   sources: [KubeLinter liveness-port readiness-port startup-port]
#   remediation: Point the probe at a port listed in the container's ports (by name or number), or add it there.
deny_clk_pod_002 contains res if {
	some c in k8s.input_containers
	some [probe, port] in probe_ports(c.container)
	not container_exposes(c.container, port)
	res := k8s.result(
		"CLK-POD-002", input, sprintf("%s.%s", [c.path, probe]),
		sprintf("container %q %s probes port %v, which the container does not expose; use one of its ports", [c.name, probe, port]),
	)
}

# A resource quantity as a number ("250m" -> 0.25, "1Gi" -> 1073741824).
quantity(q) := q if is_number(q)

quantity(q) := units.parse(q) if is_string(q)

# METADATA
# title: Requests do not exceed limits
# custom:
#   id: CLK-POD-003
#   severity: deny
#   sources: [Kubernetes API validation (ResourceRequirements), kube-score container-resources]
#   remediation: Lower the request or raise the limit so that requests <= limits.
deny_clk_pod_003 contains res if {
	some c in k8s.input_resourced_containers
	some name, limit in object.get(c.container, ["resources", "limits"], {})
	request := c.container.resources.requests[name]
	quantity(request) > quantity(limit)
	res := k8s.result(
		"CLK-POD-003", input, sprintf("%s.resources.requests.%s", [c.path, name]),
		sprintf("container %q requests %v %s but is limited to %v; the API server rejects requests above limits", [c.name, request, name, limit]),
	)
}

# METADATA
# title: No deprecated serviceAccount field
# custom:
#   id: CLK-POD-004
#   severity: deny
#   sources: [KubeLinter deprecated-service-account-field]
#   remediation: Use spec.serviceAccountName instead of the deprecated spec.serviceAccount.
deny_clk_pod_004 contains res if {
	k8s.input_pod_spec.serviceAccount
	res := k8s.result(
		"CLK-POD-004", input, sprintf("%s.serviceAccount", [k8s.pod_spec_path(input)]),
		"pod spec sets the deprecated serviceAccount field; use serviceAccountName",
	)
}

# IANA_SVC_NAME: at most 15 lowercase letters, digits and single inner hyphens, with a letter.
valid_port_name(name) if {
	count(name) <= 15
	regex.match(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`, name)
	regex.match(`[a-z]`, name)
	not contains(name, "--")
}

# A label value: at most 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric.
valid_label_value(value) if {
	is_string(value)
	count(value) <= 63
	regex.match(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`, value)
}

# METADATA
# title: Port names and label values the API server accepts
# custom:
#   id: CLK-META-002
#   severity: deny
#   sources: [KubeLinter invalid-target-ports, Kubernetes API validation (IANA_SVC_NAME, label values)]
#   remediation: >-
#     Name ports with at most 15 lowercase letters, digits and hyphens; keep label values
#     at most 63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric.
deny_clk_meta_002 contains res if {
	some [path, name] in main_helpers.port_names
	not valid_port_name(name)
	res := k8s.result(
		"CLK-META-002", input, path,
		sprintf("port name %q is not a valid IANA service name (at most 15 lowercase letters, digits and hyphens); shorten or fix it", [name]),
	)
}

deny_clk_meta_002 contains res if {
	some [path, lbls] in main_helpers.label_sets
	some key, value in lbls
	not valid_label_value(value)
	res := k8s.result(
		"CLK-META-002", input, sprintf("%s[%q]", [path, key]),
		sprintf("label %s value %q is not a valid label value (at most 63 characters of [A-Za-z0-9-_.], alphanumeric at both ends)", [key, value]),
	)
}
