# METADATA
# title: Helper rules of package main
# description: >-
#   Tables and per-input helper sets that package main's rules read. They live outside
#   package main because the policy pass evaluates data.main as a whole for every
#   document: every rule of the package costs OPA about 100 allocations per document
#   even when nothing reads it; here a helper is evaluated only when a rule reads it.
package lib.main_helpers

import rego.v1

import data.lib.k8s

# Read by main/images.rego
# Registries images may come from (data.chartgate.allowed_registries, a list of
# prefixes such as "registry.example.com/" or "ghcr.io/org/"); empty: any registry.
default allowed_registries := []

allowed_registries := data.chartgate.allowed_registries

# Read by main/metadata.rego
removed_api_versions := {
	"extensions/v1beta1", "apps/v1beta1", "apps/v1beta2",
	"networking.k8s.io/v1beta1", "policy/v1beta1", "batch/v1beta1", "batch/v2alpha1",
	"autoscaling/v2beta1", "autoscaling/v2beta2",
	"rbac.authorization.k8s.io/v1beta1", "rbac.authorization.k8s.io/v1alpha1",
	"storage.k8s.io/v1beta1", "scheduling.k8s.io/v1beta1", "scheduling.k8s.io/v1alpha1",
	"admissionregistration.k8s.io/v1beta1", "apiextensions.k8s.io/v1beta1",
	"flowcontrol.apiserver.k8s.io/v1beta1", "flowcontrol.apiserver.k8s.io/v1beta2",
	"flowcontrol.apiserver.k8s.io/v1beta3", "discovery.k8s.io/v1beta1",
	"certificates.k8s.io/v1beta1", "coordination.k8s.io/v1beta1", "events.k8s.io/v1beta1",
	"node.k8s.io/v1beta1",
}

required_labels := [
	"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
	"app.kubernetes.io/managed-by", "helm.sh/chart",
]

selector_label_keys := {"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component"}

# [path, matchLabels-style map] of every label selector the object declares, and the
# labels it must match when the object carries its own pod template.
selectors contains [path, sel] if {
	input.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
	sel := object.get(input.spec, ["selector", "matchLabels"], null)
	sel != null
	path := "spec.selector.matchLabels"
}

selectors contains ["spec.selector", input.spec.selector] if input.kind == "Service"

selectors contains ["spec.selector.matchLabels", input.spec.selector.matchLabels] if input.kind == "PodDisruptionBudget"

selectors contains ["spec.podSelector.matchLabels", input.spec.podSelector.matchLabels] if input.kind == "NetworkPolicy"

forbidden_namespaces := {"default", "kube-system", "kube-public", "kube-node-lease"}

# Read by main/network.rego
# The opt-in annotation, chart-neutral first; the clockwork.dev/ name is honoured too.
loadbalancer_opt_ins := ["chartgate.dev/allow-loadbalancer", "clockwork.dev/allow-loadbalancer"]

# Read by main/pod_security.rego
restricted_volume_types := {
	"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
	"persistentVolumeClaim", "projected", "secret",
}

# The capabilities a container may add under the Baseline profile.
baseline_capabilities := {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

seccomp_ok := {"RuntimeDefault", "Localhost"}

pod_seccomp_checks := ["seccompProfile_baseline"] if k8s.is_windows(input)

pod_seccomp_checks := ["seccompProfile_baseline", "seccompProfile_restricted"] if not k8s.is_windows(input)

safe_sysctls := {
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
}

selinux_types := {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}

apparmor_types := {"RuntimeDefault", "Localhost"}

# [path, securityContext] of the pod and of every container.
security_contexts contains [sprintf("%s.securityContext", [k8s.pod_spec_path(input)]), k8s.input_pod_sc]

security_contexts contains [sprintf("%s.securityContext", [c.path]), k8s.container_sc(c)] if {
	some c in k8s.input_containers
}

# Read by main/rbac.rego
rbac_role_kinds := {"Role", "ClusterRole"}

# Verbs that read a resource's content.
read_verbs := {"get", "list", "watch", "*"}

# Why a rule of a Role/ClusterRole is too broad: [path, detail].
rbac_problems contains [sprintf("rules[%d].%s", [i, field]), sprintf("rule grants %s \"*\"; list what is needed", [field])] if {
	some i, rule in object.get(input, "rules", [])
	some field in ["verbs", "resources", "apiGroups"]
	"*" in object.get(rule, field, [])
}

rbac_problems contains [sprintf("rules[%d].resources", [i]), sprintf("rule grants %s on secrets, which reads every credential in its scope; mount the one Secret the workload needs instead", [concat(",", sort([v | some v in rule.verbs; v in read_verbs]))])] if {
	some i, rule in object.get(input, "rules", [])
	"secrets" in object.get(rule, "resources", [])
	some v in object.get(rule, "verbs", [])
	v in read_verbs
}

rbac_problems contains [sprintf("rules[%d].verbs", [i]), sprintf("rule grants %s, which lets its holder gain permissions it does not have", [v])] if {
	some i, rule in object.get(input, "rules", [])
	some v in object.get(rule, "verbs", [])
	v in {"bind", "escalate", "impersonate"}
}

rbac_problems contains [sprintf("rules[%d].resources", [i]), sprintf("rule grants access to %s, a shell in any pod of its scope", [r])] if {
	some i, rule in object.get(input, "rules", [])
	some r in object.get(rule, "resources", [])
	r in {"pods/exec", "pods/attach"}
}

# Read by main/reliability.rego
# A container serving HTTP: a port named http/https/web or a common web port.
web_port_names := {"http", "https", "web"}

web_port_numbers := {80, 443, 3000, 8000, 8080, 8443}

# Read by main/resources.rego
required_resources := [["requests", "cpu"], ["requests", "memory"], ["limits", "memory"]]

recommended_resources := [["limits", "cpu"], ["requests", "ephemeral-storage"], ["limits", "ephemeral-storage"]]

# Read by main/secrets.rego
sensitive_name := `(?i)(passw(or)?d|passwd|token|secret|(^|[_.-])key($|[_.-])|apikey|api_key|private.?key|bearer|credential)`

credential_value_patterns := [
	`-----BEGIN [A-Z ]*PRIVATE KEY-----`,
	`[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:[^/\s@]+@`,
	`AKIA[0-9A-Z]{16}`,
	`eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.`,
	`(?i)(password|passwd|secret|token)\s*[=:]\s*\S+`,
]

# Read by main/workloads.rego
# Every [path, port name] the object names a port with (containers and Service targetPorts).
port_names contains [sprintf("%s.ports[%d].name", [c.path, i]), p.name] if {
	some c in k8s.input_containers
	some i, p in object.get(c.container, "ports", [])
	p.name
}

port_names contains [sprintf("spec.ports[%d].targetPort", [i]), p.targetPort] if {
	input.kind == "Service"
	some i, p in object.get(input.spec, "ports", [])
	is_string(p.targetPort)
}

# [path, labels] of the object and of its pod template.
label_sets contains ["metadata.labels", k8s.labels(input)]

label_sets contains [sprintf("%s.metadata.labels", [concat(".", array.slice(k8s.pod_spec_paths[input.kind], 0, count(k8s.pod_spec_paths[input.kind]) - 1))]), k8s.pod_labels(input)] if {
	input.kind != "Pod"
	k8s.is_pod_bearing(input)
}
