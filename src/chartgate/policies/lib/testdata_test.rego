# Shared test inputs: a compliant rendered set (the shape the clockwork chart renders)
# that every rule test mutates with json.patch. Only loaded by `opa test` / `conftest verify`.
package lib.testdata

import rego.v1

common_labels := {
	"app.kubernetes.io/name": "clockwork",
	"app.kubernetes.io/instance": "rel",
	"app.kubernetes.io/version": "1.0.0",
	"app.kubernetes.io/managed-by": "Helm",
	"helm.sh/chart": "clockwork-0.1.0",
}

selector_labels := {
	"app.kubernetes.io/name": "clockwork",
	"app.kubernetes.io/instance": "rel",
	"app.kubernetes.io/component": "server",
}

db_selector_labels := {
	"app.kubernetes.io/name": "clockwork",
	"app.kubernetes.io/instance": "rel",
	"app.kubernetes.io/component": "postgresql",
}

meta(name, extra) := {"name": name, "labels": object.union(common_labels, extra)}

container_sc := {
	"allowPrivilegeEscalation": false,
	"readOnlyRootFilesystem": true,
	"runAsNonRoot": true,
	"capabilities": {"drop": ["ALL"]},
}

resources := {
	"requests": {"cpu": "100m", "memory": "128Mi", "ephemeral-storage": "64Mi"},
	"limits": {"cpu": "500m", "memory": "256Mi", "ephemeral-storage": "256Mi"},
}

pod_sc := {
	"runAsNonRoot": true,
	"runAsUser": 10001,
	"runAsGroup": 10001,
	"fsGroup": 10001,
	"seccompProfile": {"type": "RuntimeDefault"},
}

server_container := {
	"name": "server",
	"image": "registry.local/clockwork@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	"imagePullPolicy": "IfNotPresent",
	"ports": [{"name": "http", "containerPort": 8080}],
	"env": [
		{"name": "PORT", "value": "8080"},
		{"name": "DATABASE_URL_FILE", "value": "/var/run/secrets/clockwork/database-url"},
	],
	"readinessProbe": {"httpGet": {"path": "/api/health", "port": "http"}},
	"livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
	"lifecycle": {"preStop": {"sleep": {"seconds": 5}}},
	"resources": resources,
	"securityContext": container_sc,
	"volumeMounts": [
		{"name": "tmp", "mountPath": "/tmp"},
		{"name": "db", "mountPath": "/var/run/secrets/clockwork", "readOnly": true},
	],
}

deployment := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": meta("rel-clockwork", {"app.kubernetes.io/component": "server"}),
	"spec": {
		"replicas": 2,
		"selector": {"matchLabels": selector_labels},
		"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
		"template": {
			"metadata": {"labels": object.union(common_labels, selector_labels)},
			"spec": {
				"automountServiceAccountToken": false,
				"securityContext": pod_sc,
				"terminationGracePeriodSeconds": 30,
				"topologySpreadConstraints": [{
					"maxSkew": 1,
					"topologyKey": "kubernetes.io/hostname",
					"whenUnsatisfiable": "ScheduleAnyway",
					"labelSelector": {"matchLabels": selector_labels},
				}],
				"containers": [server_container],
				"volumes": [
					{"name": "tmp", "emptyDir": {}},
					{"name": "db", "secret": {"secretName": "rel-clockwork-db"}},
				],
			},
		},
	},
}

service := {
	"apiVersion": "v1",
	"kind": "Service",
	"metadata": meta("rel-clockwork", {"app.kubernetes.io/component": "server"}),
	"spec": {
		"type": "ClusterIP",
		"selector": selector_labels,
		"ports": [{"name": "http", "port": 80, "targetPort": "http"}],
	},
}

ingress := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "Ingress",
	"metadata": object.union(meta("rel-clockwork", {"app.kubernetes.io/component": "server"}), {"annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"}}),
	"spec": {
		"tls": [{"hosts": ["clockwork.example.com"], "secretName": "clockwork-tls"}],
		"rules": [{
			"host": "clockwork.example.com",
			"http": {"paths": [{
				"path": "/",
				"pathType": "Prefix",
				"backend": {"service": {"name": "rel-clockwork", "port": {"name": "http"}}},
			}]},
		}],
	},
}

pdb := {
	"apiVersion": "policy/v1",
	"kind": "PodDisruptionBudget",
	"metadata": meta("rel-clockwork", {"app.kubernetes.io/component": "server"}),
	"spec": {"maxUnavailable": 1, "unhealthyPodEvictionPolicy": "AlwaysAllow", "selector": {"matchLabels": selector_labels}},
}

hpa := {
	"apiVersion": "autoscaling/v2",
	"kind": "HorizontalPodAutoscaler",
	"metadata": meta("rel-clockwork", {"app.kubernetes.io/component": "server"}),
	"spec": {
		"minReplicas": 2,
		"maxReplicas": 5,
		"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "rel-clockwork"},
	},
}

netpol := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "NetworkPolicy",
	"metadata": meta("rel-clockwork", {}),
	"spec": {
		"podSelector": {"matchLabels": {"app.kubernetes.io/instance": "rel"}},
		"policyTypes": ["Ingress"],
	},
}

secret := {
	"apiVersion": "v1",
	"kind": "Secret",
	"metadata": meta("rel-clockwork-db", {}),
	"type": "Opaque",
	"data": {"database-url": "cG9zdGdyZXM6Ly8="},
}

configmap := {
	"apiVersion": "v1",
	"kind": "ConfigMap",
	"metadata": meta("rel-clockwork", {}),
	"data": {"ENV": "production", "ALLOWED_ORIGINS": "https://clockwork.example.com"},
}

namespace := {
	"apiVersion": "v1",
	"kind": "Namespace",
	"metadata": {
		"name": "clockwork",
		"labels": object.union(common_labels, {
			"pod-security.kubernetes.io/enforce": "restricted",
			"pod-security.kubernetes.io/enforce-version": "v1.34",
		}),
	},
}

migration_job := {
	"apiVersion": "batch/v1",
	"kind": "Job",
	"metadata": {
		"name": "rel-clockwork-migrate",
		"labels": object.union(common_labels, {"app.kubernetes.io/component": "migration"}),
		"annotations": {
			"helm.sh/hook": "pre-install,pre-upgrade",
			"helm.sh/hook-weight": "0",
			"helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
		},
	},
	"spec": {
		"backoffLimit": 2,
		"activeDeadlineSeconds": 300,
		"ttlSecondsAfterFinished": 600,
		"template": {
			"metadata": {"labels": object.union(common_labels, {"app.kubernetes.io/component": "migration"})},
			"spec": {
				"restartPolicy": "Never",
				"automountServiceAccountToken": false,
				"securityContext": pod_sc,
				"containers": [object.union(
					object.remove(server_container, ["ports", "readinessProbe", "livenessProbe", "lifecycle"]),
					{"name": "migrate", "command": ["goose", "up"]},
				)],
				"volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "db", "secret": {"secretName": "rel-clockwork-db-hook"}}],
			},
		},
	},
}

hook_secret := {
	"apiVersion": "v1",
	"kind": "Secret",
	"metadata": object.union(meta("rel-clockwork-db-hook", {}), {"annotations": {
		"helm.sh/hook": "pre-install,pre-upgrade",
		"helm.sh/hook-weight": "-5",
	}}),
	"type": "Opaque",
	"data": {"database-url": "cG9zdGdyZXM6Ly8="},
}

statefulset := {
	"apiVersion": "apps/v1",
	"kind": "StatefulSet",
	"metadata": meta("rel-clockwork-postgresql", {"app.kubernetes.io/component": "postgresql"}),
	"spec": {
		"replicas": 1,
		"serviceName": "rel-clockwork-postgresql-hl",
		"selector": {"matchLabels": db_selector_labels},
		"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
		"template": {
			"metadata": {"labels": object.union(common_labels, db_selector_labels)},
			"spec": {
				"automountServiceAccountToken": false,
				"securityContext": pod_sc,
				"containers": [object.union(
					object.remove(server_container, ["lifecycle", "ports", "readinessProbe", "livenessProbe"]),
					{
						"name": "postgresql",
						"ports": [{"name": "tcp-postgresql", "containerPort": 5432}],
						"readinessProbe": {"exec": {"command": ["pg_isready"]}},
						"livenessProbe": {"tcpSocket": {"port": "tcp-postgresql"}},
					},
				)],
				"volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "db", "secret": {"secretName": "rel-clockwork-db"}}],
			},
		},
		"volumeClaimTemplates": [{
			"metadata": {"name": "data"},
			"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "8Gi"}}},
		}],
	},
}

headless_service := {
	"apiVersion": "v1",
	"kind": "Service",
	"metadata": meta("rel-clockwork-postgresql-hl", {"app.kubernetes.io/component": "postgresql"}),
	"spec": {
		"clusterIP": "None",
		"selector": db_selector_labels,
		"ports": [{"name": "tcp-postgresql", "port": 5432}],
	},
}

# Every compliant object, and the same set in conftest's --combine shape.
all_objects := [
	namespace, configmap, secret, hook_secret, service, headless_service, deployment,
	statefulset, migration_job, ingress, pdb, netpol,
]

combined(objs) := [{"path": "rendered.yaml", "contents": objs}]

# json.patch shorthands for the first server container and the pod spec.
c0 := "/spec/template/spec/containers/0"

pod := "/spec/template/spec"

add(obj, path, value) := json.patch(obj, [{"op": "add", "path": path, "value": value}])

remove(obj, path) := json.patch(obj, [{"op": "remove", "path": path}])

# Rule ids a result set contains.
ids(results) := {r.id | some r in results}
