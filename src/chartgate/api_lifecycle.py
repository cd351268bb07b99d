"""Which apiVersion/kind pairs a Kubernetes version no longer serves, or serves deprecated:
the table the upgrade stage checks each head render against (for the scenario's
``kubeVersion``).

Sources: the removal versions are those of the Kubernetes "Deprecated API Migration Guide"
(kubernetes.io/docs/reference/using-api/deprecation-guide, "Removed APIs by release":
v1.16, v1.22, v1.25, v1.26, v1.27, v1.29, v1.32); the deprecation versions, and the
removals the guide does not list yet (the v1beta1 ValidatingAdmissionPolicy pair), are the
API's own prerelease-lifecycle data (``APILifecycleDeprecated``/``APILifecycleRemoved`` in
``k8s.io/api``). Stable APIs the API server still serves but warns about (v1 Endpoints,
v1 ComponentStatus) have no removal version.

Beta APIs introduced after v1.24 are off by default and not listed: a chart that needs one
needs the cluster's operator to enable it, which no version check can tell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ApiLifecycle:
    api_version: str
    kind: str
    deprecated: str  # "1.21": the first version that warns about it
    removed: str | None  # "1.25": the first version that no longer serves it
    replacement: str  # what to use instead


def _rows(
    group_version: str, kinds: str, deprecated: str, removed: str | None, replacement: str
) -> list[ApiLifecycle]:
    return [
        ApiLifecycle(group_version, k, deprecated, removed, replacement.format(kind=k)) for k in kinds.split()
    ]


TABLE: tuple[ApiLifecycle, ...] = tuple(
    [
        # removed in v1.16
        *_rows("extensions/v1beta1", "Deployment DaemonSet ReplicaSet", "1.8", "1.16", "apps/v1 {kind}"),
        *_rows("extensions/v1beta1", "NetworkPolicy", "1.9", "1.16", "networking.k8s.io/v1 NetworkPolicy"),
        *_rows("extensions/v1beta1", "PodSecurityPolicy", "1.11", "1.16", "Pod Security Admission"),
        *_rows("apps/v1beta1", "Deployment StatefulSet ControllerRevision", "1.8", "1.16", "apps/v1 {kind}"),
        *_rows(
            "apps/v1beta2",
            "Deployment StatefulSet DaemonSet ReplicaSet ControllerRevision",
            "1.9",
            "1.16",
            "apps/v1 {kind}",
        ),
        # removed in v1.22
        *_rows(
            "admissionregistration.k8s.io/v1beta1",
            "MutatingWebhookConfiguration ValidatingWebhookConfiguration",
            "1.16",
            "1.22",
            "admissionregistration.k8s.io/v1 {kind}",
        ),
        *_rows(
            "apiextensions.k8s.io/v1beta1",
            "CustomResourceDefinition",
            "1.16",
            "1.22",
            "apiextensions.k8s.io/v1 CustomResourceDefinition",
        ),
        *_rows(
            "apiregistration.k8s.io/v1beta1",
            "APIService",
            "1.19",
            "1.22",
            "apiregistration.k8s.io/v1 APIService",
        ),
        *_rows(
            "authentication.k8s.io/v1beta1",
            "TokenReview",
            "1.19",
            "1.22",
            "authentication.k8s.io/v1 TokenReview",
        ),
        *_rows(
            "authorization.k8s.io/v1beta1",
            "SubjectAccessReview LocalSubjectAccessReview SelfSubjectAccessReview SelfSubjectRulesReview",
            "1.19",
            "1.22",
            "authorization.k8s.io/v1 {kind}",
        ),
        *_rows(
            "certificates.k8s.io/v1beta1",
            "CertificateSigningRequest",
            "1.19",
            "1.22",
            "certificates.k8s.io/v1 CertificateSigningRequest",
        ),
        *_rows("coordination.k8s.io/v1beta1", "Lease", "1.19", "1.22", "coordination.k8s.io/v1 Lease"),
        *_rows("extensions/v1beta1", "Ingress", "1.14", "1.22", "networking.k8s.io/v1 Ingress"),
        *_rows(
            "networking.k8s.io/v1beta1", "Ingress IngressClass", "1.19", "1.22", "networking.k8s.io/v1 {kind}"
        ),
        *_rows(
            "rbac.authorization.k8s.io/v1beta1",
            "ClusterRole ClusterRoleBinding Role RoleBinding",
            "1.17",
            "1.22",
            "rbac.authorization.k8s.io/v1 {kind}",
        ),
        *_rows(
            "scheduling.k8s.io/v1beta1", "PriorityClass", "1.14", "1.22", "scheduling.k8s.io/v1 PriorityClass"
        ),
        *_rows(
            "storage.k8s.io/v1beta1",
            "CSIDriver StorageClass VolumeAttachment",
            "1.19",
            "1.22",
            "storage.k8s.io/v1 {kind}",
        ),
        *_rows("storage.k8s.io/v1beta1", "CSINode", "1.17", "1.22", "storage.k8s.io/v1 CSINode"),
        # removed in v1.25
        *_rows("batch/v1beta1", "CronJob", "1.21", "1.25", "batch/v1 CronJob"),
        *_rows(
            "discovery.k8s.io/v1beta1", "EndpointSlice", "1.21", "1.25", "discovery.k8s.io/v1 EndpointSlice"
        ),
        *_rows("events.k8s.io/v1beta1", "Event", "1.22", "1.25", "events.k8s.io/v1 Event"),
        *_rows(
            "autoscaling/v2beta1",
            "HorizontalPodAutoscaler",
            "1.22",
            "1.25",
            "autoscaling/v2 HorizontalPodAutoscaler",
        ),
        *_rows("policy/v1beta1", "PodDisruptionBudget", "1.21", "1.25", "policy/v1 PodDisruptionBudget"),
        *_rows("policy/v1beta1", "PodSecurityPolicy", "1.21", "1.25", "Pod Security Admission"),
        *_rows("node.k8s.io/v1beta1", "RuntimeClass", "1.22", "1.25", "node.k8s.io/v1 RuntimeClass"),
        # removed in v1.26
        *_rows(
            "flowcontrol.apiserver.k8s.io/v1beta1",
            "FlowSchema PriorityLevelConfiguration",
            "1.23",
            "1.26",
            "flowcontrol.apiserver.k8s.io/v1 {kind}",
        ),
        *_rows(
            "autoscaling/v2beta2",
            "HorizontalPodAutoscaler",
            "1.23",
            "1.26",
            "autoscaling/v2 HorizontalPodAutoscaler",
        ),
        # removed in v1.27
        *_rows(
            "storage.k8s.io/v1beta1",
            "CSIStorageCapacity",
            "1.24",
            "1.27",
            "storage.k8s.io/v1 CSIStorageCapacity",
        ),
        # removed in v1.29
        *_rows(
            "flowcontrol.apiserver.k8s.io/v1beta2",
            "FlowSchema PriorityLevelConfiguration",
            "1.26",
            "1.29",
            "flowcontrol.apiserver.k8s.io/v1 {kind}",
        ),
        # removed in v1.32
        *_rows(
            "flowcontrol.apiserver.k8s.io/v1beta3",
            "FlowSchema PriorityLevelConfiguration",
            "1.29",
            "1.32",
            "flowcontrol.apiserver.k8s.io/v1 {kind}",
        ),
        # removed in v1.34 (prerelease-lifecycle data)
        *_rows(
            "admissionregistration.k8s.io/v1beta1",
            "ValidatingAdmissionPolicy ValidatingAdmissionPolicyBinding",
            "1.31",
            "1.34",
            "admissionregistration.k8s.io/v1 {kind}",
        ),
        # deprecated, still served
        *_rows("v1", "Endpoints", "1.33", None, "discovery.k8s.io/v1 EndpointSlice"),
        *_rows(
            "v1",
            "ComponentStatus",
            "1.19",
            None,
            "nothing: it reports only some components; query them directly",
        ),
    ]
)

_BY_KEY = {(r.api_version, r.kind): r for r in TABLE}


def minor(version: str) -> tuple[int, int]:
    """``(1, 34)`` from "1.34", "v1.34.4" or "1.34.0-rc.1"."""
    m = re.match(r"v?(\d+)\.(\d+)", version.strip())
    if not m:
        raise ValueError(f"not a Kubernetes version: {version!r}")
    return int(m.group(1)), int(m.group(2))


def status(api_version: str, kind: str, kube_version: str) -> tuple[str, ApiLifecycle] | None:
    """``("removed", row)`` or ``("deprecated", row)`` for ``kind`` in ``api_version`` on that
    Kubernetes version; ``None`` when it is served and not deprecated (or not listed)."""
    row = _BY_KEY.get((api_version, kind))
    if row is None:
        return None
    target = minor(kube_version)
    if row.removed is not None and target >= minor(row.removed):
        return "removed", row
    if target >= minor(row.deprecated):
        return "deprecated", row
    return None
