"""What the Kubernetes API refuses to update, as data: the immutable fields of each kind
and the API's own words for the refusal (the upgrade stage cites them in its findings).

Pinned to the Kubernetes minor in ``versions.toml`` ([tools.kubernetes], 1.34): the rules
follow the update validation of the API server at that version —
``pkg/apis/apps/validation`` (``ValidateStatefulSetUpdate``), the apps registry strategies
(``spec.selector`` of Deployment/ReplicaSet/DaemonSet in apps/v1), ``pkg/apis/batch/
validation`` (``ValidateJobSpecUpdate``), and ``pkg/apis/core``, ``storage``, ``rbac`` and
``scheduling`` validation (Service, PersistentVolumeClaim, ConfigMap/Secret, StorageClass,
RoleBinding/ClusterRoleBinding, PriorityClass).
"""

from __future__ import annotations

from dataclasses import dataclass

FIELD_IS_IMMUTABLE = "field is immutable"


@dataclass(frozen=True)
class Immutable:
    """A field the API refuses to change on update (``path`` is dotted from the object root)."""

    path: str
    api_message: str = FIELD_IS_IMMUTABLE


# (API group, kind) -> fields compared one by one. StatefulSet, Service, PVC, ConfigMap and
# Secret need more than "equal or not" and are handled by the stage with the tables below.
IMMUTABLE: dict[tuple[str, str], tuple[Immutable, ...]] = {
    ("apps", "Deployment"): (Immutable("spec.selector"),),
    ("apps", "ReplicaSet"): (Immutable("spec.selector"),),
    ("apps", "DaemonSet"): (Immutable("spec.selector"),),
    # ValidateJobSpecUpdate; spec.completions has its own rule (elastic Indexed Jobs)
    ("batch", "Job"): (
        Immutable("spec.selector"),
        Immutable("spec.template"),
        Immutable("spec.completionMode"),
        Immutable("spec.podFailurePolicy"),
        Immutable("spec.backoffLimitPerIndex"),
        Immutable("spec.managedBy"),
        Immutable("spec.successPolicy"),
    ),
    ("storage.k8s.io", "StorageClass"): (
        Immutable("parameters", "updates to parameters are forbidden."),
        Immutable("provisioner", "updates to provisioner are forbidden."),
        Immutable("reclaimPolicy", "updates to reclaimPolicy are forbidden."),
        Immutable("volumeBindingMode"),
    ),
    ("rbac.authorization.k8s.io", "RoleBinding"): (Immutable("roleRef", "cannot change roleRef"),),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): (Immutable("roleRef", "cannot change roleRef"),),
    ("scheduling.k8s.io", "PriorityClass"): (Immutable("value", "may not be changed in an update."),),
}

# Values the API fills in when a manifest leaves the field out: a change from "unset" to the
# default is no change to the stored object.
DEFAULTS: dict[tuple[str, str], dict[str, object]] = {
    ("storage.k8s.io", "StorageClass"): {"reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"},
}

# ValidateStatefulSetUpdate: every spec field but these is frozen after creation.
STATEFULSET_MUTABLE = frozenset({
    "replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit",
    "persistentVolumeClaimRetentionPolicy", "minReadySeconds",
})
STATEFULSET_MESSAGE = (
    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', "
    "'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' "
    "and 'minReadySeconds' are forbidden")
STATEFULSET_DEFAULTS: dict[str, object] = {"podManagementPolicy": "OrderedReady"}

# ValidatePersistentVolumeClaimUpdate
PVC_MUTABLE = ("resources.requests", "volumeAttributesClassName")
PVC_MESSAGE = ("spec: Forbidden: spec is immutable after creation except resources.requests and "
               "volumeAttributesClassName for bound claims")
PVC_SHRINK_MESSAGE = "spec.resources.requests.storage: Forbidden: field can not be less than previous value"
PVC_DEFAULTS: dict[str, object] = {"volumeMode": "Filesystem"}

# ValidateConfigMapUpdate / ValidateSecretUpdate
IMMUTABLE_DATA_MESSAGE = "field is immutable when `immutable` is set"

# ValidateServiceUpdate: the allocated cluster IPs stay; ExternalName Services have none.
SERVICE_CLUSTER_IP_MESSAGE = FIELD_IS_IMMUTABLE
SERVICE_EXTERNALNAME_MESSAGE = "spec.clusterIPs: Invalid value: must be empty when `type` is 'ExternalName'"
SERVICE_IP_FAMILY_MESSAGE = "spec.ipFamilies[0]: Invalid value: primary ipFamily can not be changed"

# Template functions whose output differs on every render: a Secret built with one of them
# holds generated credentials (see the stage's generated-secret rule).
GENERATORS = ("randAlphaNum", "randAlpha", "randNumeric", "randAscii", "randBytes", "uuidv4",
              "genPrivateKey", "genCA", "genSelfSignedCert", "genSignedCert", "derivePassword")

HOOK = "helm.sh/hook"
HOOK_DELETE_POLICY = "helm.sh/hook-delete-policy"
RESOURCE_POLICY = "helm.sh/resource-policy"
