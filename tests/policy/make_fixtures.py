"""Regenerate tests/policy/fixtures/*.yaml: the negative corpus.

Each fixture is a small rendered set (multi-document YAML) built from the compliant
objects in src/chartgate/policies/lib/testdata_test.rego with one defect. The header declares exactly
which rule ids must fire:

    # expect: CLK-SEC-001            deny/violation ids (exactly these)
    # expect-warn: CLK-IMG-002       warn ids (exactly these)
    # expect-exempt: CLK-SEC-012     ids an exemption switched off

Run: .venv/bin/python tests/policy/make_fixtures.py  (needs the pinned opa)
The files are committed; tests only read them.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from chartgate import proc
from chartgate.tools import bootstrap

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE / "fixtures"


def testdata() -> dict[str, Any]:
    res = proc.run(
        [
            bootstrap.ensure("opa"),
            "eval",
            "-d",
            ROOT / "src" / "chartgate" / "policies",
            "--format",
            "json",
            "data.lib.testdata",
        ]
    )
    return json.loads(res.stdout)["result"][0]["expressions"][0]["value"]


def _walk(obj: Any, path: str) -> tuple[Any, str | int]:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path.strip("/").split("/")]
    cur = obj
    for p in parts[:-1]:
        cur = cur[int(p)] if isinstance(cur, list) else cur.setdefault(p, {})
    last: str | int = parts[-1]
    if isinstance(cur, list):
        last = len(cur) if last == "-" else int(last)
    return cur, last


def put(obj: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    parent, key = _walk(obj, path)
    if isinstance(parent, list) and key == len(parent):
        parent.append(value)
    else:
        parent[key] = value
    return obj


def drop(obj: dict[str, Any], path: str) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    parent, key = _walk(obj, path)
    del parent[key]
    return obj


C0 = "/spec/template/spec/containers/0"
POD = "/spec/template/spec"
VALID = {
    "clockwork.dev/policy-exempt-reason": "documented in deploy/README.md",
    "clockwork.dev/policy-exempt-expires": "2099-12-31",
}


def fixtures(
    td: dict[str, Any],
) -> dict[str, tuple[str, list[dict[str, Any]], list[str], list[str], list[str]]]:
    dep, pdb, svc, ing = td["deployment"], td["pdb"], td["service"], td["ingress"]
    sts, hl, job, hook = td["statefulset"], td["headless_service"], td["migration_job"], td["hook_secret"]
    hpa, np, cm, ns, secret = td["hpa"], td["netpol"], td["configmap"], td["namespace"], td["secret"]
    web = [pdb]  # a replicated Deployment needs its PDB
    csc = f"{C0}/securityContext"
    psc = f"{POD}/securityContext"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "rel-clockwork-debug", "labels": dep["metadata"]["labels"]},
        "spec": put(dep["spec"]["template"]["spec"], "/hostPID", True),
    }
    no_replicas = drop(dep, "/spec/replicas")
    f: dict[str, tuple[str, list[dict[str, Any]], list[str], list[str], list[str]]] = {
        "sec-001-privileged": (
            "privileged container",
            [put(dep, f"{csc}/privileged", True), *web],
            ["CLK-SEC-001"],
            [],
            [],
        ),
        "sec-001-privileged-init-container": (
            "privileged initContainer",
            [
                put(
                    dep,
                    f"{POD}/initContainers",
                    [
                        put(
                            dep["spec"]["template"]["spec"]["containers"][0],
                            "/securityContext/privileged",
                            True,
                        )
                    ],
                ),
                *web,
            ],
            ["CLK-SEC-001"],
            [],
            [],
        ),
        "sec-002-host-network": (
            "hostNetwork",
            [put(dep, f"{POD}/hostNetwork", True), *web],
            ["CLK-SEC-002"],
            [],
            [],
        ),
        "sec-002-pod-host-pid": ("a bare Pod with hostPID", [pod], ["CLK-SEC-002"], [], []),
        "sec-003-host-path": (
            "hostPath volume",
            [
                put(
                    dep, f"{POD}/volumes/-", {"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}
                ),
                *web,
            ],
            ["CLK-SEC-003"],
            [],
            [],
        ),
        "sec-003-nfs-volume": (
            "volume type outside the Restricted list",
            [put(dep, f"{POD}/volumes/-", {"name": "share", "nfs": {"server": "nfs", "path": "/"}}), *web],
            ["CLK-SEC-003"],
            [],
            [],
        ),
        "sec-004-host-port": (
            "hostPort",
            [put(dep, f"{C0}/ports/0/hostPort", 8080), *web],
            ["CLK-SEC-004"],
            [],
            [],
        ),
        "sec-005-privilege-escalation-unset": (
            "allowPrivilegeEscalation not set",
            [drop(dep, f"{csc}/allowPrivilegeEscalation"), *web],
            ["CLK-SEC-005"],
            [],
            [],
        ),
        "sec-006-run-as-non-root-false": (
            "container overrides runAsNonRoot with false",
            [put(dep, f"{csc}/runAsNonRoot", False), *web],
            ["CLK-SEC-006"],
            [],
            [],
        ),
        "sec-007-run-as-root-user": (
            "runAsUser 0",
            [put(dep, f"{psc}/runAsUser", 0), *web],
            ["CLK-SEC-007"],
            ["CLK-SEC-017"],
            [],
        ),
        "sec-007-supplemental-group-root": (
            "supplementalGroups contains 0",
            [put(dep, f"{psc}/supplementalGroups", [0]), *web],
            ["CLK-SEC-007"],
            [],
            [],
        ),
        "sec-008-no-drop-all": (
            "capabilities not dropped",
            [drop(dep, f"{csc}/capabilities"), *web],
            ["CLK-SEC-008"],
            [],
            [],
        ),
        "sec-009-sys-admin": (
            "SYS_ADMIN added",
            [put(dep, f"{csc}/capabilities/add", ["SYS_ADMIN"]), *web],
            ["CLK-SEC-009"],
            [],
            [],
        ),
        "sec-010-no-seccomp": (
            "no seccomp profile anywhere",
            [drop(dep, f"{psc}/seccompProfile"), *web],
            ["CLK-SEC-010"],
            [],
            [],
        ),
        "sec-010-unconfined-container": (
            "container seccomp Unconfined",
            [put(dep, f"{csc}/seccompProfile", {"type": "Unconfined"}), *web],
            ["CLK-SEC-010"],
            [],
            [],
        ),
        "sec-011-proc-mount": (
            "procMount Unmasked",
            [put(dep, f"{csc}/procMount", "Unmasked"), *web],
            ["CLK-SEC-011"],
            [],
            [],
        ),
        "sec-011-unsafe-sysctl": (
            "unsafe sysctl",
            [put(dep, f"{psc}/sysctls", [{"name": "kernel.msgmax", "value": "65536"}]), *web],
            ["CLK-SEC-011"],
            [],
            [],
        ),
        "sec-011-apparmor-unconfined": (
            "AppArmor Unconfined",
            [put(dep, f"{psc}/appArmorProfile", {"type": "Unconfined"}), *web],
            ["CLK-SEC-011"],
            [],
            [],
        ),
        "sec-011-probe-host": (
            "probe with a host",
            [put(dep, f"{C0}/readinessProbe/httpGet/host", "169.254.169.254"), *web],
            ["CLK-SEC-011"],
            [],
            [],
        ),
        "sec-012-writable-root-filesystem": (
            "writable root filesystem",
            [put(dep, f"{csc}/readOnlyRootFilesystem", False), *web],
            ["CLK-SEC-012"],
            [],
            [],
        ),
        "sec-012-exempted": (
            "writable root filesystem with a valid exemption",
            [
                put(
                    put(dep, f"{csc}/readOnlyRootFilesystem", False),
                    "/metadata/annotations",
                    {"clockwork.dev/policy-exempt": "CLK-SEC-012", **VALID},
                ),
                *web,
            ],
            [],
            [],
            ["CLK-SEC-012"],
        ),
        "sec-012-expired-exemption": (
            "expired exemption: denied again and reported",
            [
                put(
                    put(dep, f"{csc}/readOnlyRootFilesystem", False),
                    "/metadata/annotations",
                    {
                        "clockwork.dev/policy-exempt": "CLK-SEC-012",
                        "clockwork.dev/policy-exempt-reason": "postgres",
                        "clockwork.dev/policy-exempt-expires": "2025-01-01",
                    },
                ),
                *web,
            ],
            ["CLK-SEC-012"],
            ["CLK-EXC-001"],
            [],
        ),
        "exc-001-exemption-without-reason": (
            "exemption without a reason",
            [
                put(
                    put(dep, f"{csc}/readOnlyRootFilesystem", False),
                    "/metadata/annotations",
                    {
                        "clockwork.dev/policy-exempt": "CLK-SEC-012",
                        "clockwork.dev/policy-exempt-expires": "2099-12-31",
                    },
                ),
                *web,
            ],
            ["CLK-SEC-012"],
            ["CLK-EXC-001"],
            [],
        ),
        "sec-013-automount-token": (
            "service account token mounted",
            [drop(dep, f"{POD}/automountServiceAccountToken"), *web],
            ["CLK-SEC-013"],
            [],
            [],
        ),
        "sec-014-literal-password": (
            "literal password in env",
            [put(dep, f"{C0}/env/-", {"name": "DB_PASSWORD", "value": "hunter2"}), *web],
            ["CLK-SEC-014"],
            [],
            [],
        ),
        "sec-015-secret-in-env": (
            "Secret read into env",
            [
                put(
                    dep,
                    f"{C0}/env/-",
                    {
                        "name": "DATABASE_URL",
                        "valueFrom": {"secretKeyRef": {"name": "rel-clockwork-db", "key": "url"}},
                    },
                ),
                *web,
            ],
            [],
            ["CLK-SEC-015"],
            [],
        ),
        "sec-016-configmap-credentials": (
            "credentials in a ConfigMap",
            [put(cm, "/data/DATABASE_URL", "postgres://app:s3cret@db:5432/app")],
            ["CLK-SEC-016"],
            [],
            [],
        ),
        "sec-016-unused-secret": (
            "rendered Secret nothing uses (existingSecret set)",
            [dep, *web, put(secret, "/metadata/name", "rel-clockwork-generated")],
            ["CLK-SEC-016"],
            [],
            [],
        ),
        "sec-017-low-uid": (
            "runAsUser below 10000",
            [put(dep, f"{psc}/runAsUser", 1000), *web],
            [],
            ["CLK-SEC-017"],
            [],
        ),
        "img-001-latest-tag": (
            "image :latest",
            [
                put(
                    put(dep, f"{C0}/image", "registry.local/clockwork:latest"),
                    f"{C0}/imagePullPolicy",
                    "Always",
                ),
                *web,
            ],
            ["CLK-IMG-001"],
            [],
            [],
        ),
        "img-001-no-tag": (
            "image without a tag",
            [
                put(
                    put(dep, f"{C0}/image", "registry.local:5000/clockwork"),
                    f"{C0}/imagePullPolicy",
                    "Always",
                ),
                *web,
            ],
            ["CLK-IMG-001"],
            [],
            [],
        ),
        "img-002-tag-if-not-present": (
            "tag without digest, pull IfNotPresent",
            [put(dep, f"{C0}/image", "registry.local/clockwork:1.0.0"), *web],
            [],
            ["CLK-IMG-002"],
            [],
        ),
        "res-001-no-memory-limit": (
            "no memory limit",
            [drop(dep, f"{C0}/resources/limits/memory"), *web],
            ["CLK-RES-001"],
            [],
            [],
        ),
        "res-002-no-cpu-limit": (
            "no CPU limit",
            [drop(dep, f"{C0}/resources/limits/cpu"), *web],
            [],
            ["CLK-RES-002"],
            [],
        ),
        "rel-001-no-readiness-probe": (
            "no readinessProbe",
            [drop(dep, f"{C0}/readinessProbe"), *web],
            ["CLK-REL-001"],
            [],
            [],
        ),
        "rel-002-identical-probes": (
            "liveness identical to readiness",
            [
                put(
                    dep,
                    f"{C0}/livenessProbe",
                    dep["spec"]["template"]["spec"]["containers"][0]["readinessProbe"],
                ),
                *web,
            ],
            ["CLK-REL-002"],
            [],
            [],
        ),
        "rel-003-recreate": (
            "Recreate strategy",
            [put(dep, "/spec/strategy", {"type": "Recreate"}), *web],
            ["CLK-REL-003"],
            [],
            [],
        ),
        "rel-004-no-prestop": (
            "web container without preStop sleep",
            [drop(dep, f"{C0}/lifecycle"), *web],
            [],
            ["CLK-REL-004"],
            [],
        ),
        "rel-005-no-pdb": ("two replicas, no PodDisruptionBudget", [dep], ["CLK-REL-005"], [], []),
        "rel-006-max-unavailable-zero": (
            "PDB maxUnavailable 0",
            [dep, put(pdb, "/spec/maxUnavailable", 0)],
            ["CLK-REL-006"],
            [],
            [],
        ),
        "rel-006-min-available-all-replicas": (
            "PDB minAvailable equals replicas",
            [dep, put(drop(pdb, "/spec/maxUnavailable"), "/spec/minAvailable", 2)],
            ["CLK-REL-006"],
            [],
            [],
        ),
        "rel-007-no-spread": (
            "replicas on one node",
            [drop(dep, f"{POD}/topologySpreadConstraints"), *web],
            [],
            ["CLK-REL-007"],
            [],
        ),
        "rel-008-hpa-min-one": (
            "HPA minReplicas 1",
            [no_replicas, put(hpa, "/spec/minReplicas", 1), pdb],
            ["CLK-REL-008"],
            [],
            [],
        ),
        "rel-008-hpa-target-missing": (
            "HPA scales a Deployment the chart does not render",
            [put(hpa, "/spec/scaleTargetRef/name", "rel-clockwork-old")],
            ["CLK-REL-008"],
            [],
            [],
        ),
        "rel-008-target-sets-replicas": (
            "HPA target also sets replicas",
            [dep, hpa, pdb],
            ["CLK-REL-008"],
            [],
            [],
        ),
        "net-001-pod-not-selected": (
            "NetworkPolicy does not cover the database",
            [
                dep,
                *web,
                sts,
                hl,
                put(np, "/spec/podSelector/matchLabels/app.kubernetes.io~1component", "server"),
            ],
            ["CLK-NET-001"],
            [],
            [],
        ),
        "net-002-node-port": (
            "NodePort Service",
            [put(svc, "/spec/type", "NodePort"), dep, *web],
            ["CLK-NET-002"],
            [],
            [],
        ),
        "net-002-load-balancer": (
            "LoadBalancer without opt-in",
            [put(svc, "/spec/type", "LoadBalancer"), dep, *web],
            ["CLK-NET-002"],
            [],
            [],
        ),
        "net-003-no-tls": (
            "Ingress without TLS",
            [drop(ing, "/spec/tls"), svc, dep, *web],
            ["CLK-NET-003"],
            [],
            [],
        ),
        "net-003-backend-missing": ("Ingress backend Service not rendered", [ing], ["CLK-NET-003"], [], []),
        "api-001-policy-v1beta1": (
            "removed apiVersion",
            [dep, put(pdb, "/apiVersion", "policy/v1beta1")],
            ["CLK-API-001"],
            [],
            [],
        ),
        "meta-001-missing-chart-label": (
            "no helm.sh/chart label",
            [drop(svc, "/metadata/labels/helm.sh~1chart"), dep, *web],
            ["CLK-META-001"],
            [],
            [],
        ),
        "meta-001-selector-with-version": (
            "selector on a mutable label",
            [
                put(
                    put(dep, "/spec/selector/matchLabels/app.kubernetes.io~1version", "1.0.0"),
                    "/spec/template/metadata/labels/app.kubernetes.io~1version",
                    "1.0.0",
                ),
                *web,
            ],
            ["CLK-META-001"],
            [],
            [],
        ),
        "ns-001-not-restricted": (
            "Namespace enforces baseline",
            [put(ns, "/metadata/labels/pod-security.kubernetes.io~1enforce", "baseline")],
            ["CLK-NS-001"],
            [],
            [],
        ),
        "ns-001-default-namespace": (
            "object in default",
            [put(svc, "/metadata/namespace", "default"), dep, *web],
            ["CLK-NS-001"],
            [],
            [],
        ),
        "job-001-no-deadline": (
            "Job without activeDeadlineSeconds",
            [drop(job, "/spec/activeDeadlineSeconds"), hook],
            ["CLK-JOB-001"],
            [],
            [],
        ),
        "job-001-not-a-hook": (
            "migration Job that is not a hook",
            [drop(job, "/metadata/annotations")],
            ["CLK-JOB-001"],
            [],
            [],
        ),
        "job-001-hook-reads-release-secret": (
            "pre-install hook reads a Secret created after hooks",
            [put(job, f"{POD}/volumes/1/secret/secretName", "rel-clockwork-db"), secret, dep, *web],
            ["CLK-JOB-001"],
            [],
            [],
        ),
        "sts-001-no-retention-policy": (
            "StatefulSet without PVC retention",
            [drop(sts, "/spec/persistentVolumeClaimRetentionPolicy"), hl],
            ["CLK-STS-001"],
            [],
            [],
        ),
        "sts-001-service-not-headless": (
            "serviceName is not headless",
            [sts, drop(hl, "/spec/clusterIP")],
            ["CLK-STS-001"],
            [],
            [],
        ),
    }
    f.update(new_checks(td))
    f.update(review_cases(td))
    return f


def new_checks(
    td: dict[str, Any],
) -> dict[str, tuple[str, list[dict[str, Any]], list[str], list[str], list[str]]]:
    """One defect each for the kube-score / KubeLinter default checks."""
    dep, pdb, svc, np = td["deployment"], td["pdb"], td["service"], td["netpol"]
    secret, ing = td["secret"], td["ingress"]
    web = [pdb]
    env = dep["spec"]["template"]["spec"]["containers"][0]["env"]
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "rel-clockwork", "labels": dep["metadata"]["labels"]},
        "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "rel-clockwork", "labels": dep["metadata"]["labels"]},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "ServiceAccount", "name": "rel-clockwork", "namespace": "clockwork"}],
    }
    return {
        "pod-001-duplicate-env": (
            "env PORT twice",
            [put(dep, f"{C0}/env", [*env, env[0]]), *web],
            ["CLK-POD-001"],
            [],
            [],
        ),
        "pod-002-probe-port-not-exposed": (
            "readinessProbe on a port the container does not declare",
            [put(dep, f"{C0}/readinessProbe/httpGet/port", "metrics"), *web],
            ["CLK-POD-002"],
            [],
            [],
        ),
        "pod-003-requests-above-limits": (
            "memory request above the limit",
            [put(dep, f"{C0}/resources/requests/memory", "1Gi"), *web],
            ["CLK-POD-003"],
            [],
            [],
        ),
        "pod-004-service-account-field": (
            "deprecated serviceAccount field",
            [
                put(dep, f"{POD}/serviceAccount", "rel-clockwork"),
                *web,
                {
                    "apiVersion": "v1",
                    "kind": "ServiceAccount",
                    "metadata": {"name": "rel-clockwork", "labels": dep["metadata"]["labels"]},
                    "automountServiceAccountToken": False,
                },
            ],
            ["CLK-POD-004"],
            [],
            [],
        ),
        "meta-002-port-name-too-long": (
            "container port name over 15 characters",
            [put(dep, f"{C0}/ports/-", {"name": "metrics-exporter-port", "containerPort": 9100}), *web],
            ["CLK-META-002"],
            [],
            [],
        ),
        "meta-002-label-value": (
            "label value the API server rejects",
            [put(dep, "/metadata/labels/team", "platform team"), *web],
            ["CLK-META-002"],
            [],
            [],
        ),
        "rbac-001-secrets-reader": ("Role reads every Secret", [role], ["CLK-RBAC-001"], [], []),
        "rbac-001-cluster-admin": ("binding to cluster-admin", [binding], ["CLK-RBAC-001"], [], []),
        "svc-001-selects-no-pod": (
            "Service selector matches no pod",
            [dep, *web, put(svc, "/spec/selector/app.kubernetes.io~1component", "worker")],
            ["CLK-SVC-001"],
            [],
            [],
        ),
        "svc-001-target-port-name": (
            "Service targetPort names a port no container declares",
            [dep, *web, put(svc, "/spec/ports/0/targetPort", "web")],
            ["CLK-SVC-001"],
            [],
            [],
        ),
        "net-004-dangling-peer": (
            "NetworkPolicy allows traffic from pods the chart does not run",
            [
                dep,
                *web,
                put(
                    np, "/spec/ingress", [{"from": [{"podSelector": {"matchLabels": {"role": "frontend"}}}]}]
                ),
            ],
            ["CLK-NET-004"],
            [],
            [],
        ),
        "rel-009-unhealthy-pod-eviction-policy-unset": (
            "PodDisruptionBudget without unhealthyPodEvictionPolicy",
            [dep, drop(pdb, "/spec/unhealthyPodEvictionPolicy")],
            ["CLK-REL-009"],
            [],
            [],
        ),
        "ref-001-secret-not-rendered": (
            "Deployment mounts a Secret the release neither renders nor declares external",
            [dep, *web],
            ["CLK-REF-001"],
            [],
            [],
        ),
        "ref-001-service-account-not-rendered": (
            "Deployment runs as a ServiceAccount the release does not render",
            [put(dep, f"{POD}/serviceAccountName", "rel-clockwork-runner"), secret, *web],
            ["CLK-REF-001"],
            [],
            [],
        ),
        "ref-001-ingress-tls-secret": (
            "Ingress TLS Secret neither rendered nor issued by cert-manager",
            [drop(ing, "/metadata/annotations"), svc, dep, secret, *web],
            ["CLK-REF-001"],
            [],
            [],
        ),
        "rel-010-pdb-selects-no-pod": (
            "PodDisruptionBudget selector matches no pod",
            [
                put(dep, "/spec/replicas", 1),
                put(pdb, "/spec/selector/matchLabels/app.kubernetes.io~1component", "x"),
            ],
            ["CLK-REL-010"],
            [],
            [],
        ),
    }


def review_cases(
    td: dict[str, Any],
) -> dict[str, tuple[str, list[dict[str, Any]], list[str], list[str], list[str]]]:
    """The hand-made manifests a review ran plain conftest on, with the right verdicts."""
    dep, pdb, hpa = td["deployment"], td["pdb"], td["hpa"]
    web = [pdb]
    template = dep["spec"]["template"]
    rc = {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": dep["metadata"],
        "spec": {
            "replicas": 1,
            "selector": template["metadata"]["labels"],
            "template": put(template, "/spec/containers/0/securityContext/privileged", True),
        },
    }
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "rel-clockwork-report", "labels": dep["metadata"]["labels"]},
        "spec": {
            "schedule": "0 * * * *",
            "jobTemplate": {
                "spec": {
                    "backoffLimit": 1,
                    "activeDeadlineSeconds": 600,
                    "template": put(template, "/spec/restartPolicy", "Never"),
                }
            },
        },
    }
    hpa_managed = put(drop(dep, "/spec/replicas"), "/spec/strategy/rollingUpdate/maxUnavailable", 1)
    probe = {"httpGet": {"path": "/api/health", "port": "http"}}
    return {
        "review-empty-pdb-selector": (
            "PDB with selector {} covers every pod",
            [dep, put(pdb, "/spec/selector", {})],
            [],
            [],
            [],
        ),
        "review-sysctl-tcp-rmem": (
            "net.ipv4.tcp_rmem is a safe sysctl since Kubernetes 1.32",
            [
                put(
                    dep,
                    f"{POD}/securityContext/sysctls",
                    [{"name": "net.ipv4.tcp_rmem", "value": "4096 87380 6291456"}],
                ),
                *web,
            ],
            [],
            [],
            [],
        ),
        "review-hpa-managed-max-unavailable-1": (
            "HPA-managed Deployment (minReplicas 2) rolling with maxUnavailable 1",
            [hpa_managed, hpa, *web],
            [],
            [],
            [],
        ),
        "review-namespace-defaulting": (
            "PDB spells out the release namespace, the Deployment does not",
            [dep, put(pdb, "/metadata/namespace", "clockwork")],
            [],
            [],
            [],
        ),
        "review-pod-run-as-non-root-false": (
            "pod runAsNonRoot false, every container true",
            [put(dep, f"{POD}/securityContext/runAsNonRoot", False), *web],
            ["CLK-SEC-006"],
            [],
            [],
        ),
        "review-privileged-replication-controller": (
            "privileged ReplicationController",
            [rc],
            ["CLK-SEC-001"],
            [],
            [],
        ),
        "review-same-probe-handler": (
            "liveness and readiness: same handler, other periodSeconds",
            [
                put(
                    put(dep, f"{C0}/livenessProbe", {**probe, "periodSeconds": 20}),
                    f"{C0}/readinessProbe",
                    {**probe, "periodSeconds": 5},
                ),
                *web,
            ],
            ["CLK-REL-002"],
            [],
            [],
        ),
        "review-hpa-managed-no-spread": (
            "HPA-managed Deployment (minReplicas 2) without spreading",
            [drop(drop(dep, "/spec/replicas"), f"{POD}/topologySpreadConstraints"), hpa, *web],
            [],
            ["CLK-REL-007"],
            [],
        ),
        "review-cronjob-no-starting-deadline": (
            "CronJob without startingDeadlineSeconds",
            [cron],
            ["CLK-JOB-001"],
            [],
            [],
        ),
    }


def header(desc: str, deny: list[str], warn: list[str], exempt: list[str]) -> str:
    lines = [f"# {desc}"]
    lines.append(f"# expect: {', '.join(deny)}" if deny else "# expect:")
    if warn:
        lines.append(f"# expect-warn: {', '.join(warn)}")
    if exempt:
        lines.append(f"# expect-exempt: {', '.join(exempt)}")
    return "\n".join(lines) + "\n"


# Where each kind the fixtures use keeps its pod spec.
_POD_SPEC = {"Pod": ("spec",), "CronJob": ("spec", "jobTemplate", "spec", "template", "spec")}


def with_mounted_secrets(docs: list[dict[str, Any]], td: dict[str, Any]) -> list[dict[str, Any]]:
    """``docs`` plus the compliant Secrets of the test data its pods mount and it lacks, so
    a fixture reports its own defect rather than CLK-REF-001 (the ref-001 fixtures opt out)."""
    known = {
        o["metadata"]["name"]: o for o in td.values() if isinstance(o, dict) and o.get("kind") == "Secret"
    }
    have = {d["metadata"]["name"] for d in docs if d.get("kind") == "Secret"}
    out = list(docs)
    for d in docs:
        spec: Any = d
        for key in _POD_SPEC.get(d.get("kind", ""), ("spec", "template", "spec")):
            spec = spec.get(key, {}) if isinstance(spec, dict) else {}
        for vol in spec.get("volumes", []) if isinstance(spec, dict) else []:
            name = vol.get("secret", {}).get("secretName")
            if name in known and name not in have:
                out.append(known[name])
                have.add(name)
    return out


def main() -> int:
    td = testdata()
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.yaml"):
        old.unlink()
    for name, (desc, docs, deny, warn, exempt) in fixtures(td).items():
        if not name.startswith("ref-001-"):
            docs = with_mounted_secrets(docs, td)
        body = "---\n".join(yaml.safe_dump(d, sort_keys=False) for d in docs)
        (OUT / f"{name}.yaml").write_text(header(desc, deny, warn, exempt) + "---\n" + body)
    print(f"wrote {len(list(OUT.glob('*.yaml')))} fixtures to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
