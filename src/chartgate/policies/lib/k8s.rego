# METADATA
# title: Kubernetes helpers shared by the clockwork policies
# description: >-
#   Pod specs and containers of every pod-bearing kind, labels, resource names and the
#   result shape every rule returns ({msg, id, resource, path, severity}).
package lib.k8s

import rego.v1

# Where each pod-bearing kind keeps its pod spec (as a path of keys).
pod_spec_paths := {
	"Pod": ["spec"],
	"Deployment": ["spec", "template", "spec"],
	"StatefulSet": ["spec", "template", "spec"],
	"DaemonSet": ["spec", "template", "spec"],
	"ReplicaSet": ["spec", "template", "spec"],
	"Job": ["spec", "template", "spec"],
	"CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
	"ReplicationController": ["spec", "template", "spec"],
	"PodTemplate": ["template", "spec"],
}

# Kinds whose pods run until stopped (probes, disruption budgets, rollouts apply).
long_running_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"}

container_kinds := ["initContainers", "containers", "ephemeralContainers"]

is_pod_bearing(obj) if pod_spec_paths[obj.kind]

# The pod spec of a pod-bearing object (undefined for other kinds).
pod_spec(obj) := spec if {
	path := pod_spec_paths[obj.kind]
	spec := object.get(obj, path, {})
}

# Dotted path of the pod spec, for messages.
pod_spec_path(obj) := concat(".", pod_spec_paths[obj.kind])

# Pod template metadata (for a Pod: its own metadata).
pod_metadata(obj) := obj.metadata if obj.kind == "Pod"

pod_metadata(obj) := object.get(obj, array.concat(array.slice(pod_spec_paths[obj.kind], 0, count(pod_spec_paths[obj.kind]) - 1), ["metadata"]), {}) if {
	obj.kind != "Pod"
}

pod_labels(obj) := object.get(pod_metadata(obj), "labels", {})

# Every container of the object: {"kind": "containers"|"initContainers"|"ephemeralContainers",
# "index": i, "container": c, "path": "spec.template.spec.containers[0]"}.
containers(obj) := [entry |
	spec := pod_spec(obj)
	some ckind in container_kinds
	some i, c in object.get(spec, ckind, [])
	entry := {
		"kind": ckind,
		"index": i,
		"container": c,
		"name": object.get(c, "name", sprintf("#%d", [i])),
		"path": sprintf("%s.%s[%d]", [pod_spec_path(obj), ckind, i]),
	}
]

# Only the long-running application containers (not init or ephemeral ones).
main_containers(obj) := [e | some e in containers(obj); e.kind == "containers"]

# Containers that take resources (ephemeral containers cannot set any).
resourced_containers(obj) := [e | some e in containers(obj); e.kind != "ephemeralContainers"]

container_sc(entry) := object.get(entry.container, "securityContext", {})

pod_sc(obj) := object.get(pod_spec(obj), "securityContext", {})

# Windows pods are exempt from the Linux-only controls (PSS note).
is_windows(obj) if pod_spec(obj).os.name == "windows"

name(obj) := object.get(object.get(obj, "metadata", {}), "name", "")

namespace(obj) := object.get(object.get(obj, "metadata", {}), "namespace", "")

resource(obj) := sprintf("%s/%s", [object.get(obj, "kind", ""), name(obj)])

labels(obj) := object.get(object.get(obj, "metadata", {}), "labels", {})

annotations(obj) := object.get(object.get(obj, "metadata", {}), "annotations", {})

# Helm hook phases of an object (empty set when it is not a hook).
hooks(obj) := {trim_space(h) | some h in split(annotations(obj)["helm.sh/hook"], ",")}

hooks(obj) := set() if not annotations(obj)["helm.sh/hook"]

replicas(obj) := object.get(obj.spec, "replicas", 1)

# A rolling update's maxUnavailable leaves at least one of `replicas` pods up
# (percentages round down, as the Deployment controller does).
max_unavailable_leaves_pods(mu, _) if mu in {0, "0%"}

max_unavailable_leaves_pods(mu, replicas) if {
	is_number(mu)
	replicas > mu
}

max_unavailable_leaves_pods(mu, replicas) if {
	is_string(mu)
	endswith(mu, "%")
	pct := to_number(trim_suffix(mu, "%"))
	pct < 100
	replicas > 1
	floor((replicas * pct) / 100) < replicas
}

# The pod spec spreads its replicas across nodes (topology spread constraints or a
# hostname podAntiAffinity term).
spreads(spec) if count(object.get(spec, "topologySpreadConstraints", [])) > 0

spreads(spec) if {
	some kind in ["requiredDuringSchedulingIgnoredDuringExecution", "preferredDuringSchedulingIgnoredDuringExecution"]
	some term in object.get(spec, ["affinity", "podAntiAffinity", kind], [])
	object.get(term, ["podAffinityTerm", "topologyKey"], object.get(term, "topologyKey", "")) == "kubernetes.io/hostname"
}

# The result every rule returns. conftest keeps `msg` and puts the other keys in the
# result's metadata, so plain `conftest test` output names the rule id and the resource.
result(id, obj, path, detail) := {
	"msg": sprintf("[%s] %s: %s", [id, resource(obj), detail]),
	"id": id,
	"resource": resource(obj),
	"path": path,
}

# Is the key present (whatever its value, false and null included)?
has_field(obj, key) if _ = obj[key]

# The same views of the current input, as rules: evaluated once per input and cached,
# instead of once per call.
input_containers := containers(input)

input_main_containers := main_containers(input)

input_resourced_containers := resourced_containers(input)

input_pod_spec := pod_spec(input)

input_pod_sc := pod_sc(input)
