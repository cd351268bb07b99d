"""Every binary the images need, built from Go modules at the pinned versions
(one mechanism with ``chartgate tools install``), plus our own static pause program."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

from chartgate import cache, proc
from chartgate.airgap import steps
from chartgate.airgap.config import airgap, component_images, kubernetes_version
from chartgate.tools import bootstrap, go
from chartgate.tools.versions import tool
from chartgate.util.files import atomic_output

KUBERNETES_BINARIES = ("kubeadm", "kubelet", "kubectl", "kube-apiserver",
                       "kube-controller-manager", "kube-scheduler", "kube-proxy")
# Order: the big one first (it warms the shared build cache for kubectl).
GO_TOOLS = ("kubernetes", "kubectl", "etcd", "coredns", "local-path-provisioner", "crictl", "kind",
            "kube-network-policies")


def kubernetes_dir() -> Path:
    return bootstrap.install_dir(tool("kubernetes"))


def kubernetes_binary(name: str) -> Path:
    return kubernetes_dir() / name


def tool_binary(name: str) -> Path:
    return bootstrap.install_dir(tool(name)) / tool(name).binary


def is_built(name: str) -> bool:
    spec = tool(name)
    if not bootstrap.is_installed(spec):
        return False
    if name == "kubernetes":
        return all(kubernetes_binary(b).exists() for b in KUBERNETES_BINARIES)
    return True


def build_tool(name: str, force: bool = False) -> bool:
    """Build one pinned Go tool unless cached. Returns False when it was cached."""
    if is_built(name) and not force:
        return False
    bootstrap.install(tool(name), force=True)
    return True


def pause_source() -> Path:
    return Path(str(resources.files("chartgate.airgap").joinpath("files", "pause")))


def pause_key() -> str:
    return steps.key_of("pause", steps.hash_tree(pause_source()))


def pause_binary() -> Path:
    return cache.subdir("airgap", "pause", pause_key()) / "pause"


def build_pause(force: bool = False) -> bool:
    out = pause_binary()
    if out.exists() and not force:
        return False
    with atomic_output(out) as tmp:
        go.build_local(pause_source(), ".", tmp)
    return True


def kubeadm_images() -> list[str]:
    res = proc.run([kubernetes_binary("kubeadm"), "config", "images", "list",
                    "--kubernetes-version", kubernetes_version(), "-o", "json"], timeout=60)
    return list(json.loads(res.stdout)["images"])


def check_image_tags() -> list[str]:
    """Fail unless our component image tags are exactly what kubeadm will ask for."""
    wanted = sorted(kubeadm_images())
    ours = sorted(component_images().values())
    if wanted != ours:
        raise RuntimeError("versions.toml drifted from kubeadm: kubeadm config images list "
                           f"prints {wanted}, chartgate builds {ours} — fix [airgap] "
                           "pause_version/etcd_image_tag or [tools.etcd]/[tools.coredns]")
    etcd_tag = airgap()["etcd_image_tag"]
    etcd_version = tool("etcd").version.lstrip("v")
    if not re.match(re.escape(etcd_version) + r"(-\d+)?$", etcd_tag):
        raise RuntimeError(f"[tools.etcd] {etcd_version} does not match the etcd image tag {etcd_tag}")
    return wanted
