"""The ``[airgap]`` table of versions.toml plus the pinned tool versions it builds on."""

from __future__ import annotations

import os
from typing import Any

from chartgate.tools.versions import section, tool


def airgap() -> dict[str, Any]:
    return section("airgap")


def kubernetes_version() -> str:
    return tool("kubernetes").version


def component_images() -> dict[str, str]:
    """What ``kubeadm config images list --kubernetes-version <v>`` prints, by component."""
    cfg = airgap()
    repo = cfg["image_repository"]
    kv = kubernetes_version()
    return {
        "kube-apiserver": f"{repo}/kube-apiserver:{kv}",
        "kube-controller-manager": f"{repo}/kube-controller-manager:{kv}",
        "kube-scheduler": f"{repo}/kube-scheduler:{kv}",
        "kube-proxy": f"{repo}/kube-proxy:{kv}",
        "coredns": f"{repo}/coredns/coredns:{tool('coredns').version}",
        "pause": f"{repo}/pause:{cfg['pause_version']}",
        "etcd": f"{repo}/etcd:{cfg['etcd_image_tag']}",
    }


def local_path_image() -> str:
    return f"chartgate.local/local-path-provisioner:{tool('local-path-provisioner').version}"


def netpol_image() -> str:
    """The NetworkPolicy controller's image, tagged with its pinned module version."""
    return f"{airgap()['netpol_image']}:{tool('kube-network-policies').version}"


def node_image() -> str:
    """The node image tag (kind reads /kind/version; the tag carries the k8s version)."""
    return f"{airgap()['node_image']}:{kubernetes_version()}"


def selected_node_image(explicit: str | None = None) -> str:
    """``--image`` wins; ``CHARTGATE_KIND_NODE_IMAGE`` may name an image or ``stock``
    (kind's published kindest/node, for machines that reach a registry)."""
    choice = explicit or os.environ.get("CHARTGATE_KIND_NODE_IMAGE", "")
    if not choice or choice == "airgap":
        return node_image()
    if choice == "stock":
        return airgap()["stock_node_image"]
    return choice
