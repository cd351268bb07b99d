"""A seeded corpus of pod-bearing manifests for the differential test against Pod
Security Admission: every kind PSA reads a pod spec from, pod- and container-level
fields, init and ephemeral containers, and every Baseline and Restricted control set
alone (each variant, compliant values included) and combined (random mixes).

``corpus(seed)`` is deterministic: the same seed gives the same manifests and ids."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

KINDS = ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob",
         "ReplicationController", "PodTemplate")
API = {"Pod": "v1", "ReplicationController": "v1", "PodTemplate": "v1", "Job": "batch/v1",
       "CronJob": "batch/v1"}
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")

Spec = dict[str, Any]
Mutation = Callable[[Spec, dict[str, str], random.Random], None]


@dataclass(frozen=True)
class Variant:
    """One way to set one control (or a neutral field): ``name`` is used in manifest ids."""

    control: str
    name: str
    apply: Mutation


def _container(name: str) -> dict[str, Any]:
    return {"name": name, "image": "registry.local/app:1.0",
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}


def base_spec() -> Spec:
    """A pod spec PSA's restricted level allows."""
    return {"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [_container("app")]}


def _targets(spec: Spec) -> list[dict[str, Any]]:
    return [c for lst in CONTAINER_LISTS for c in spec.get(lst, [])]


def _some_container(spec: Spec, rnd: random.Random) -> dict[str, Any]:
    return rnd.choice(_targets(spec))


def _csc(spec: Spec, rnd: random.Random) -> dict[str, Any]:
    return _some_container(spec, rnd).setdefault("securityContext", {})


def _psc(spec: Spec) -> dict[str, Any]:
    return spec.setdefault("securityContext", {})


def _pod_or_container(spec: Spec, rnd: random.Random) -> dict[str, Any]:
    return _psc(spec) if rnd.random() < 0.5 else _csc(spec, rnd)


def _set(getter: Callable[[Spec, random.Random], dict[str, Any]], key: str, value: Any) -> Mutation:
    def apply(spec: Spec, _ann: dict[str, str], rnd: random.Random) -> None:
        target = getter(spec, rnd)
        if value is None:
            target.pop(key, None)
        else:
            target[key] = copy.deepcopy(value)
    return apply


def _pod_field(key: str, value: Any) -> Mutation:
    def apply(spec: Spec, _ann: dict[str, str], _rnd: random.Random) -> None:
        spec[key] = value
    return apply


def _volume(source: str, body: Any) -> Mutation:
    def apply(spec: Spec, _ann: dict[str, str], rnd: random.Random) -> None:
        spec.setdefault("volumes", []).append({"name": f"v{len(spec.get('volumes', []))}", source: body})
    return apply


def _host_port(port: int) -> Mutation:
    def apply(spec: Spec, _ann: dict[str, str], rnd: random.Random) -> None:
        _some_container(spec, rnd).setdefault("ports", []).append({"containerPort": 8080, "hostPort": port})
    return apply


def _caps(add: list[str] | None = None, drop: list[str] | None = None, remove: bool = False) -> Mutation:
    def apply(spec: Spec, _ann: dict[str, str], rnd: random.Random) -> None:
        sc = _csc(spec, rnd)
        if remove:
            sc.pop("capabilities", None)
            return
        caps = sc.setdefault("capabilities", {})
        if add is not None:
            caps["add"] = list(add)
        if drop is not None:
            caps["drop"] = list(drop)
    return apply


def _no_security_context(spec: Spec, _ann: dict[str, str], rnd: random.Random) -> None:
    _some_container(spec, rnd).pop("securityContext", None)


def _sysctl(name: str) -> Mutation:
    def apply(spec: Spec, _ann: dict[str, str], _rnd: random.Random) -> None:
        _psc(spec).setdefault("sysctls", []).append({"name": name, "value": "1"})
    return apply


def _probe_host(where: str, proto: str, host: str) -> Mutation:
    def apply(spec: Spec, _ann: dict[str, str], rnd: random.Random) -> None:
        c = _some_container(spec, rnd)
        handler: dict[str, Any] = ({"path": "/", "port": 8080} if proto == "httpGet" else {"port": 8080})
        if host:
            handler["host"] = host
        if where in ("postStart", "preStop"):
            c.setdefault("lifecycle", {})[where] = {proto: handler}
        else:
            c[where] = {proto: handler}
    return apply


def _apparmor_annotation(value: str) -> Mutation:
    def apply(spec: Spec, ann: dict[str, str], rnd: random.Random) -> None:
        ann[f"container.apparmor.security.beta.kubernetes.io/{_some_container(spec, rnd)['name']}"] = value
    return apply


def _extra_container(kind: str) -> Mutation:
    def apply(spec: Spec, _ann: dict[str, str], _rnd: random.Random) -> None:
        lst = spec.setdefault(kind, [])
        c = _container(f"{kind[:4].lower()}{len(lst)}")
        if kind == "ephemeralContainers":
            c["targetContainerName"] = "app"
        lst.append(c)
    return apply


def variants() -> list[Variant]:
    """Every variant, grouped by the PSS control (PSA check) it exercises; ``neutral`` ones
    change the shape of the pod (more containers, Windows, user namespaces)."""
    v: list[Variant] = []

    def add(control: str, name: str, fn: Mutation) -> None:
        v.append(Variant(control, name, fn))

    for val in (True, False):
        add("privileged", f"privileged-{val}", _set(_csc, "privileged", val))
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        for val in (True, False):
            add("hostNamespaces", f"{field}-{val}", _pod_field(field, val))
    volumes = {"hostPath": {"path": "/var/log"}, "nfs": {"server": "nfs.local", "path": "/x"},
               "gitRepo": {"repository": "https://git.local/r"},
               "iscsi": {"targetPortal": "1.2.3.4:3260", "iqn": "iqn.2001-04.com.example:x", "lun": 0},
               "emptyDir": {}, "configMap": {"name": "cm"}, "secret": {"secretName": "s"},
               "persistentVolumeClaim": {"claimName": "c"}, "projected": {"sources": []},
               "downwardAPI": {"items": []}, "csi": {"driver": "csi.local"},
               "ephemeral": {"volumeClaimTemplate": {"spec": {"accessModes": ["ReadWriteOnce"]}}},
               "image": {"reference": "registry.local/data:1"}}
    for source, body in volumes.items():
        add("volumes", f"volume-{source}", _volume(source, body))
    for port in (0, 8080):
        add("hostPorts", f"hostPort-{port}", _host_port(port))
    for cap in ("NET_BIND_SERVICE", "CHOWN", "KILL", "SYS_ADMIN", "NET_RAW", "SYS_TIME"):
        add("capabilities", f"add-{cap}", _caps(add=[cap]))
    add("capabilities", "drop-none", _caps(drop=[]))
    add("capabilities", "drop-NET_RAW", _caps(drop=["NET_RAW"]))
    add("capabilities", "drop-ALL-and-more", _caps(drop=["NET_RAW", "ALL"]))
    add("capabilities", "no-capabilities", _caps(remove=True))
    add("capabilities", "no-securityContext", _no_security_context)
    for pm in ("Default", "Unmasked"):
        add("procMount", f"procMount-{pm}", _set(_csc, "procMount", pm))
    for name in ("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                 "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
                 "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                 "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
                 "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
                 "kernel.msgmax", "net.core.somaxconn", "vm.swappiness"):
        add("sysctls", f"sysctl-{name}", _sysctl(name))
    for t in ("", "container_t", "container_init_t", "container_kvm_t", "container_engine_t", "spc_t"):
        add("seLinuxOptions", f"selinux-type-{t or 'empty'}",
            _set(_pod_or_container, "seLinuxOptions", {"type": t}))
    add("seLinuxOptions", "selinux-user", _set(_pod_or_container, "seLinuxOptions", {"user": "system_u"}))
    add("seLinuxOptions", "selinux-role", _set(_pod_or_container, "seLinuxOptions", {"role": "system_r"}))
    add("seLinuxOptions", "selinux-level", _set(_pod_or_container, "seLinuxOptions", {"level": "s0:c1,c2"}))
    seccomp = {"RuntimeDefault": {"type": "RuntimeDefault"},
               "Localhost": {"type": "Localhost", "localhostProfile": "profiles/p.json"},
               "Unconfined": {"type": "Unconfined"}}
    for name, prof in seccomp.items():
        add("seccomp", f"seccomp-pod-{name}", _set(lambda s, r: _psc(s), "seccompProfile", prof))
        add("seccomp", f"seccomp-container-{name}", _set(_csc, "seccompProfile", prof))
    add("seccomp", "seccomp-pod-unset", _set(lambda s, r: _psc(s), "seccompProfile", None))
    apparmor = {"RuntimeDefault": {"type": "RuntimeDefault"},
                "Localhost": {"type": "Localhost", "localhostProfile": "k8s-profile"},
                "Unconfined": {"type": "Unconfined"}}
    for name, prof in apparmor.items():
        add("appArmorProfile", f"apparmor-{name}", _set(_pod_or_container, "appArmorProfile", prof))
    for value in ("runtime/default", "localhost/k8s-profile", "unconfined", ""):
        add("appArmorProfile", f"apparmor-annotation-{value or 'empty'}", _apparmor_annotation(value))
    for val in (True, False):
        add("windowsHostProcess", f"hostProcess-{val}",
            _set(_pod_or_container, "windowsOptions", {"hostProcess": val}))
    for where in ("livenessProbe", "readinessProbe", "startupProbe", "postStart", "preStop"):
        for proto in ("httpGet", "tcpSocket"):
            add("hostProbesAndHostLifecycle", f"{where}-{proto}-host", _probe_host(where, proto, "10.0.0.1"))
            add("hostProbesAndHostLifecycle", f"{where}-{proto}-nohost", _probe_host(where, proto, ""))
    for val in (True, False, None):
        add("allowPrivilegeEscalation", f"ape-{val}", _set(_csc, "allowPrivilegeEscalation", val))
    for val in (True, False, None):
        add("runAsNonRoot", f"runAsNonRoot-pod-{val}", _set(lambda s, r: _psc(s), "runAsNonRoot", val))
        add("runAsNonRoot", f"runAsNonRoot-container-{val}", _set(_csc, "runAsNonRoot", val))
    for val in (0, 1000, None):
        add("runAsUser", f"runAsUser-pod-{val}", _set(lambda s, r: _psc(s), "runAsUser", val))
        add("runAsUser", f"runAsUser-container-{val}", _set(_csc, "runAsUser", val))
    add("neutral", "runAsGroup-0", _set(_pod_or_container, "runAsGroup", 0))
    add("neutral", "fsGroup-0", _set(lambda s, r: _psc(s), "fsGroup", 0))
    add("neutral", "windows", _pod_field("os", {"name": "windows"}))
    add("neutral", "linux", _pod_field("os", {"name": "linux"}))
    add("neutral", "hostUsers-false", _pod_field("hostUsers", False))
    for kind in CONTAINER_LISTS:
        add("neutral", f"extra-{kind}", _extra_container(kind))
    return v


def wrap(kind: str, name: str, spec: Spec, annotations: dict[str, str]) -> dict[str, Any]:
    """The pod spec inside an object of ``kind`` (template metadata carries the annotations)."""
    meta: dict[str, Any] = {"labels": {"app": "corpus"}}
    if annotations:
        meta["annotations"] = dict(annotations)
    template = {"metadata": meta, "spec": spec}
    obj: dict[str, Any] = {"apiVersion": API.get(kind, "apps/v1"), "kind": kind, "metadata": {"name": name}}
    if kind == "Pod":
        obj["metadata"].update(meta)
        obj["spec"] = spec
    elif kind == "PodTemplate":
        obj["template"] = template
    elif kind == "CronJob":
        obj["spec"] = {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": template}}}
    elif kind == "Job":
        obj["spec"] = {"template": template}
    else:
        obj["spec"] = {"selector": {"matchLabels": {"app": "corpus"}} if kind != "ReplicationController"
                       else {"app": "corpus"}, "template": template}
    return obj


def _manifest(index: int, kind: str, chosen: list[Variant], rnd: random.Random) -> tuple[str, dict[str, Any]]:
    spec, ann = base_spec(), {}
    # extra containers first, so the control variants may land on init/ephemeral ones
    for v in sorted(chosen, key=lambda v: not v.name.startswith("extra-")):
        v.apply(spec, ann, rnd)
    label = "+".join(v.name for v in chosen) or "compliant"
    ident = f"m{index:04d}-{kind}-{label}"
    return ident, wrap(kind, f"m{index:04d}", spec, ann)


def corpus(seed: int = 20251202, combined: int = 2000) -> dict[str, dict[str, Any]]:
    """``{manifest id: object}``: every variant alone on every kind (in turn on plain and
    on multi-container pods), then ``combined`` random mixes of 2-5 variants."""
    rnd = random.Random(seed)
    all_variants = variants()
    extras = [v for v in all_variants if v.name.startswith("extra-")]
    out: dict[str, dict[str, Any]] = {}
    index = 0
    for kind in KINDS:
        ident, obj = _manifest(index, kind, [], rnd)
        out[ident] = obj
        index += 1
    for i, v in enumerate(all_variants):
        for kind in (KINDS[i % len(KINDS)], KINDS[(i + 4) % len(KINDS)]):
            chosen = [v] if index % 2 else [rnd.choice(extras), v]
            ident, obj = _manifest(index, kind, chosen, rnd)
            out[ident] = obj
            index += 1
    for _ in range(combined):
        chosen = rnd.sample(all_variants, rnd.randint(2, 5))
        ident, obj = _manifest(index, rnd.choice(KINDS), chosen, rnd)
        out[ident] = obj
        index += 1
    return out
