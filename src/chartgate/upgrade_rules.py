"""What the Kubernetes API refuses to update, as data: the immutable fields of each kind
and the API's own words for the refusal (the upgrade stage cites them in its findings).

Pinned to the Kubernetes version in ``versions.toml`` ([tools.kubernetes], v1.34.4) and
checked against that module's source (``k8s.io/kubernetes@v1.34.4``), function by function:

* ``pkg/apis/apps/validation/validation.go``: ``ValidateStatefulSetUpdate`` (every spec field
  but the seven it names is frozen), ``ValidateDeploymentUpdate``,
  ``ValidateReplicaSetUpdate``, ``ValidateDaemonSetSpecUpdate`` (``spec.selector``);
* ``pkg/apis/batch/validation/validation.go``: ``ValidateJobSpecUpdate``,
  ``validateCompletions`` and ``validatePodTemplateUpdate`` (a Job created suspended that
  never started may change node affinity, node selector, tolerations, scheduling gates and
  the template's labels and annotations — ``pkg/registry/batch/job/strategy.go``,
  ``validationOptionsForJob``);
* ``pkg/apis/core/validation/validation.go``: ``ValidateServiceUpdate`` with
  ``validateUpgradeDowngradeClusterIPs``/``…IPFamilies``/``validateLoadBalancerClassField``
  and, for ExternalName, ``validateService``; what the registry does first
  (``pkg/registry/core/service/strategy.go`` ``dropTypeDependentFields``: unchanged cluster
  IPs are dropped on the way to ExternalName; ``storage/storage.go`` ``patchAllocatedValues``:
  a clusterIP left out keeps the allocated one); ``ValidatePersistentVolumeClaimUpdate``
  (``validateStorageClassUpgradeFromNil``; RecoverVolumeExpansionFailure is GA and locked on
  in 1.34, so a shrink is refused below ``status.capacity``); ``ValidateConfigMapUpdate``,
  ``ValidateSecretUpdate``;
* ``pkg/apis/storage/validation/validation.go``: ``ValidateStorageClassUpdate``;
* ``pkg/apis/rbac/validation/validation.go``: ``ValidateRoleBindingUpdate``,
  ``ValidateClusterRoleBindingUpdate``;
* ``pkg/apis/scheduling/validation/validation.go``: ``ValidatePriorityClassUpdate``.

Validation runs on the defaulted object and compares with ``apiequality.Semantic``: a
field left out equals its default, and an empty list or map equals an absent one.
"""

from __future__ import annotations

from dataclasses import dataclass

FIELD_IS_IMMUTABLE = "field is immutable"


@dataclass(frozen=True)
class Immutable:
    """A field the API refuses to change on update (``path`` is dotted from the object root)."""

    path: str
    api_message: str = FIELD_IS_IMMUTABLE


ROLE_REF_MESSAGE = "roleRef: Invalid value: cannot change roleRef"

# (API group, kind) -> fields compared one by one. StatefulSet, Job, Service, PVC, ConfigMap
# and Secret need more than "equal or not" and are handled by the stage with the tables below.
IMMUTABLE: dict[tuple[str, str], tuple[Immutable, ...]] = {
    ("apps", "Deployment"): (Immutable("spec.selector"),),
    ("apps", "ReplicaSet"): (Immutable("spec.selector"),),
    ("apps", "DaemonSet"): (Immutable("spec.selector"),),
    # ValidateJobSpecUpdate; spec.template (validatePodTemplateUpdate) and spec.completions
    # (validateCompletions: elastic Indexed Jobs) have their own rules
    ("batch", "Job"): (
        Immutable("spec.selector"),
        Immutable("spec.completionMode"),
        Immutable("spec.podFailurePolicy"),
        Immutable("spec.backoffLimitPerIndex"),
        Immutable("spec.managedBy"),
        Immutable("spec.successPolicy"),
    ),
    ("storage.k8s.io", "StorageClass"): (
        Immutable("parameters", "parameters: Forbidden: updates to parameters are forbidden."),
        Immutable("provisioner", "provisioner: Forbidden: updates to provisioner are forbidden."),
        Immutable("reclaimPolicy", "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden."),
        Immutable("volumeBindingMode"),
    ),
    ("rbac.authorization.k8s.io", "RoleBinding"): (Immutable("roleRef", ROLE_REF_MESSAGE),),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): (Immutable("roleRef", ROLE_REF_MESSAGE),),
    ("scheduling.k8s.io", "PriorityClass"): (
        Immutable("value", "value: Forbidden: may not be changed in an update."),
        Immutable("preemptionPolicy"),
    ),
}

# Values the API fills in when a manifest leaves the field out: a change from "unset" to the
# default is no change to the stored object.
DEFAULTS: dict[tuple[str, str], dict[str, object]] = {
    ("storage.k8s.io", "StorageClass"): {"reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"},
    ("batch", "Job"): {"spec.completionMode": "NonIndexed"},
    ("scheduling.k8s.io", "PriorityClass"): {"preemptionPolicy": "PreemptLowerPriority"},
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

# validatePodTemplateUpdate: what a Job that was created suspended (and never started) may
# change in spec.template; everything else in the template stays frozen.
JOB_SUSPENDED_MUTABLE = ("metadata.labels", "metadata.annotations", "spec.nodeSelector",
                         "spec.tolerations", "spec.schedulingGates", "spec.affinity.nodeAffinity")

# Pod template defaults (core/v1 SetDefaults_*): a field left out of one side and set to its
# default on the other is no change to the stored template.
POD_SPEC_DEFAULTS: dict[str, object] = {
    "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
    "terminationGracePeriodSeconds": 30, "securityContext": {},
}
CONTAINER_DEFAULTS: dict[str, object] = {
    "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
}

# ValidatePersistentVolumeClaimUpdate: of a bound claim, only requests["storage"] (not below
# status.capacity) and volumeAttributesClassName may change.
PVC_MESSAGE = ("spec: Forbidden: spec is immutable after creation except resources.requests and "
               "volumeAttributesClassName for bound claims")
PVC_SHRINK_MESSAGE = "spec.resources.requests.storage: Forbidden: field can not be less than status.capacity"
PVC_DEFAULTS: dict[str, object] = {"volumeMode": "Filesystem"}

# ValidateConfigMapUpdate / ValidateSecretUpdate
IMMUTABLE_DATA_MESSAGE = "Forbidden: field is immutable when `immutable` is set"

# ValidateServiceUpdate and the registry around it.
SERVICE_CLUSTER_IP_MESSAGE = "spec.clusterIPs[0]: Invalid value: may not change once set"
SERVICE_EXTERNALNAME_MESSAGE = "spec.clusterIPs: Forbidden: may not be set for ExternalName services"
SERVICE_EXTERNALNAME_FAMILY_MESSAGES = {
    "spec.ipFamilies": "spec.ipFamilies: Forbidden: may not be set for ExternalName services",
    "spec.ipFamilyPolicy": "spec.ipFamilyPolicy: Forbidden: may not be set for ExternalName services",
}
SERVICE_IP_FAMILY_MESSAGE = "spec.ipFamilies[0]: Invalid value: may not change once set"
SERVICE_LB_CLASS_MESSAGE = "spec.loadBalancerClass: Invalid value: may not change once set"
SERVICE_HC_NODE_PORT_MESSAGE = "spec.healthCheckNodePort: Forbidden: field is immutable"

# Template functions whose output differs on every render: a Secret built with one of them
# holds generated credentials (see the stage's generated-secret rule).
GENERATORS = ("randAlphaNum", "randAlpha", "randNumeric", "randAscii", "randBytes", "uuidv4",
              "genPrivateKey", "genCA", "genSelfSignedCert", "genSignedCert", "derivePassword")

HOOK = "helm.sh/hook"
HOOK_DELETE_POLICY = "helm.sh/hook-delete-policy"
RESOURCE_POLICY = "helm.sh/resource-policy"
