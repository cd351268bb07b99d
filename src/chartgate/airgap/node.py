"""The kind node image, assembled by hand (no registry, no ``kind build``).

1. ``<node>-rootfs``: the Debian base + systemd, Debian's containerd/runc/CNI plugins,
   kind's entrypoint, scripts and units taken from the pinned ``sigs.k8s.io/kind`` module
   in the Go module cache (never committed), our containerd config (our pause as sandbox
   image, Debian's CNI dir), a baked ptp + host-local + portmap conflist, kubeadm/kubelet/
   kubectl, crictl, ``/kind/version``, the storage manifest (local-path-provisioner,
   default StorageClass ``standard``) and, as kind's "default CNI" manifest, the
   NetworkPolicy controller's DaemonSet (``files/netpol``; the pod network itself is the
   baked conflist, so kind applying that slot only adds policy enforcement).
2. Preload, the way kind does: run the rootfs image with ``--entrypoint=sleep``, start
   containerd inside, ``ctr -n k8s.io images import --no-unpack`` every component image,
   the storage and NetworkPolicy controller images (``docker save`` tars), stop
   containerd, ``docker commit`` with kind's ENTRYPOINT.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from pathlib import Path

from chartgate import cache
from chartgate.airgap import base, binaries, images, steps
from chartgate.airgap.config import (
    airgap,
    component_images,
    kubernetes_version,
    local_path_image,
    netpol_image,
    node_image,
)
from chartgate.tools import docker, go
from chartgate.tools.versions import tool
from chartgate.util.deadline import poll_until

RECIPE = 4
PRELOADED_LABEL = "org.chartgate.preloaded"  # the images in the node's containerd
CNI_BIN_DIR = "/usr/lib/cni"
ENTRYPOINT = '["/usr/local/bin/entrypoint", "/sbin/init"]'  # as files/node/Dockerfile says

# the node rootfs: kind's base image recipe on the Debian base (files/node/Dockerfile)
DOCKERFILE = (images.files_dir("node") / "Dockerfile").read_text()

# kind's images/base/files that go into the node, as (source, destination) pairs.
KIND_FILES = (
    ("usr/local/bin/entrypoint", "usr/local/bin/entrypoint"),
    ("usr/local/bin/clean-install", "usr/local/bin/clean-install"),
    ("kind/bin/mount-product-files.sh", "kind/bin/mount-product-files.sh"),
    ("kind/bin/undo-mount-hacks.sh", "kind/bin/undo-mount-hacks.sh"),
    ("kind/bin/create-kubelet-cgroup-v2.sh", "kind/bin/create-kubelet-cgroup-v2.sh"),
    ("etc/crictl.yaml", "etc/crictl.yaml"),
    ("etc/default/kubelet", "etc/default/kubelet"),
    ("etc/sysctl.d/10-network-magic.conf", "etc/sysctl.d/10-network-magic.conf"),
    ("etc/sysctl.d/10-network-security.conf", "etc/sysctl.d/10-network-security.conf"),
    ("etc/systemd/system/kubelet.service", "etc/systemd/system/kubelet.service"),
    ("etc/systemd/system/kubelet.slice", "etc/systemd/system/kubelet.slice"),
    ("etc/systemd/system/undo-mount-hacks.service", "etc/systemd/system/undo-mount-hacks.service"),
    ("etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
     "etc/systemd/system/kubelet.service.d/10-kubeadm.conf"),
    ("etc/systemd/system/kubelet.service.d/11-kind.conf",
     "etc/systemd/system/kubelet.service.d/11-kind.conf"),
)


def kind_module_dir() -> Path:
    work = cache.subdir("airgap", "gomod-probe")
    return go.module_dir("sigs.k8s.io/kind", tool("kind").version, work)


def containerd_service(kind_text: str) -> str:
    """kind's unit runs containerd from /usr/local/bin; Debian's is /usr/bin/containerd."""
    out = kind_text.replace("ExecStart=/usr/local/bin/containerd", "ExecStart=/usr/bin/containerd")
    if "ExecStart=/usr/bin/containerd" not in out:
        raise RuntimeError("kind's containerd.service has no ExecStart line chartgate understands")
    return out


def containerd_config(kind_text: str, sandbox_image: str) -> str:
    """kind's containerd config for Debian's containerd 1.6: our pause as sandbox image,
    no fuse-overlayfs proxy plugin (rootless only), Debian's CNI plugin directory."""
    text = re.sub(r'(?m)^\s*sandbox_image\s*=.*$', f'  sandbox_image = "{sandbox_image}"', kind_text)
    if f'sandbox_image = "{sandbox_image}"' not in text:
        raise RuntimeError("kind's containerd config has no sandbox_image line")
    # Lowering a process's oom_score_adj needs CAP_SYS_RESOURCE, which a short bounding set
    # (this CI host) lacks: runc then fails every pod sandbox ("failed to update
    # /proc/self/oom_score_adj: Permission denied"). Restricting clamps pods' values to be no
    # lower than containerd's own — on a normal host containerd runs at -999, so it changes
    # nothing there.
    text, n = re.subn(r'(?m)^(\s*)restrict_oom_score_adj\s*=.*$', r'\1restrict_oom_score_adj = true', text)
    if not n:
        text = text.replace('[plugins."io.containerd.grpc.v1.cri"]\n',
                            '[plugins."io.containerd.grpc.v1.cri"]\n  restrict_oom_score_adj = true\n', 1)
    # drop the [proxy_plugins] tables (up to the next non-proxy table)
    text = re.sub(r'(?ms)^\[proxy_plugins\].*?(?=^\[plugins)', "", text)
    text += (
        '\n# chartgate: Debian\'s containernetworking-plugins\n'
        '[plugins."io.containerd.grpc.v1.cri".cni]\n'
        f'  bin_dir = "{CNI_BIN_DIR}"\n'
        '  conf_dir = "/etc/cni/net.d"\n'
    )
    return text


def node_pod_cidr(pod_subnet: str) -> str:
    """The single node's pod range: the first /24 of the cluster's pod subnet."""
    net = ipaddress.ip_network(pod_subnet)
    return str(next(net.subnets(new_prefix=24)) if net.prefixlen < 24 else net)


def cni_conflist(pod_subnet: str) -> str:
    """ptp (routed veths, like kindnet: every packet crosses the node's iptables, so
    kube-proxy's ClusterIP DNAT works in both directions) + host-local + portmap."""
    return json.dumps({
        "cniVersion": "0.4.0",
        "name": "chartgate",
        "plugins": [
            {"type": "ptp", "ipMasq": True, "mtu": 1500,
             "ipam": {"type": "host-local", "dataDir": "/run/cni-ipam-state",
                      "ranges": [[{"subnet": node_pod_cidr(pod_subnet)}]],
                      "routes": [{"dst": "0.0.0.0/0"}]}},
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }, indent=2) + "\n"


def storage_manifest(kind_dir: Path, provisioner_image: str, helper_image: str) -> str:
    """kind's default storage manifest (local-path-provisioner, StorageClass ``standard``)
    from the pinned kind module, pointed at our images."""
    src = (kind_dir / "pkg/build/nodeimage/const_storage.go").read_text()
    m = re.search(r"const defaultStorageManifest = `(.*?)`\s*$", src, re.S | re.M)
    if not m:
        raise RuntimeError(f"no defaultStorageManifest in {kind_dir}/pkg/build/nodeimage/const_storage.go")
    body = src[m.start(1):]
    # the constant is `...` + storageProvisionerImage + `...` + storageHelperImage + `...`
    end = body.rfind("`\n")
    body = body[:end]
    body = body.replace("` + storageProvisionerImage + `", provisioner_image)
    body = body.replace("` + storageHelperImage + `", helper_image)
    if "`" in body:
        raise RuntimeError("could not rewrite kind's storage manifest")
    if "name: standard" not in body:
        raise RuntimeError("kind's storage manifest has no StorageClass named standard")
    return body.lstrip("\n")


NETPOL_MANIFEST = "kube-network-policies.yaml"
# kind applies this node file after kubeadm init unless the kind config disables it.
DEFAULT_CNI_MANIFEST = "kind/manifests/default-cni.yaml"


def netpol_manifest(template: str, image: str, pod_subnet: str, nfqueue: int) -> str:
    """The controller's DaemonSet manifest (``files/netpol``) with its placeholders filled."""
    out = (template.replace("@IMAGE@", image).replace("@POD_SUBNET@", pod_subnet)
           .replace("@NFQUEUE_ID@", str(nfqueue)))
    left = sorted(set(re.findall(r"@[A-Z_]+@", out)))
    if left:
        raise RuntimeError(f"{NETPOL_MANIFEST}: unknown placeholder(s) {left}")
    if "kind: DaemonSet" not in out:
        raise RuntimeError(f"{NETPOL_MANIFEST}: no DaemonSet")
    return out


def rootfs_files(kind_dir: Path) -> dict[str, Path | str]:
    files: dict[str, Path | str] = {}
    src_root = kind_dir / "images/base/files"
    for src, dest in KIND_FILES:
        files[f"rootfs/{dest}"] = (src_root / src).read_text()
    files["rootfs/etc/systemd/system/containerd.service"] = containerd_service(
        (src_root / "etc/systemd/system/containerd.service").read_text())
    files["rootfs/etc/containerd/config.toml"] = containerd_config(
        (src_root / "etc/containerd/config.toml").read_text(), component_images()["pause"])
    cfg = airgap()
    files["rootfs/etc/cni/net.d/10-chartgate.conflist"] = cni_conflist(cfg["pod_subnet"])
    files["rootfs/kind/manifests/default-storage.yaml"] = storage_manifest(
        kind_dir, local_path_image(), base.tag())
    files[f"rootfs/{DEFAULT_CNI_MANIFEST}"] = netpol_manifest(
        (images.netpol_source() / NETPOL_MANIFEST).read_text(), netpol_image(), cfg["pod_subnet"],
        int(cfg["netpol_nfqueue"]))
    files["rootfs/kind/version"] = kubernetes_version() + "\n"
    for name in ("kubeadm", "kubelet", "kubectl"):
        files[f"rootfs/usr/bin/{name}"] = binaries.kubernetes_binary(name)
    files["rootfs/usr/local/bin/crictl"] = binaries.tool_binary("crictl")
    return files


def _files_key(files: dict[str, Path | str]) -> dict[str, str]:
    return {k: steps.hash_file(v) if isinstance(v, Path) else steps.key_of(v) for k, v in files.items()}


def rootfs_tag() -> str:
    return f"{airgap()['node_image']}-rootfs:{kubernetes_version()}"


def preload_images() -> list[str]:
    """What the node's containerd holds from the start: the cluster's own images and the
    PostgreSQL workload image (every clockwork release with the in-cluster database runs it;
    a ``kind load`` of its ≈ 500 MB cost ≈ 20 s on every cluster created)."""
    return [*component_images().values(), local_path_image(), netpol_image(), base.tag(),
            images.postgres_tag()]


def preloaded(node: str) -> set[str]:
    """The images ``node`` (an image) was built with (:func:`preload_images`, recorded in its
    label), so ``cluster up`` does not ``kind load`` them again; empty for a stock node image."""
    return _refs(docker.image_label(node, PRELOADED_LABEL))


def preloaded_in(containers: list[str]) -> set[str]:
    """The images every one of the node ``containers`` (a running cluster's) holds from its
    node image; empty for none or a stock node image."""
    sets = [_refs(docker.container_label(c, PRELOADED_LABEL)) for c in containers]
    return set.intersection(*sets) if sets else set()


def _refs(label: str | None) -> set[str]:
    return set(filter(None, (label or "").split(",")))


def node_key(rootfs_key: str) -> str:
    return steps.key_of("node", RECIPE, rootfs_key,
                        [images.component_key(c) for c in component_images()],
                        images.local_path_key(), images.netpol_key(), base.key(), images.postgres_key())


def build_rootfs(force: bool = False) -> tuple[bool, str]:
    kind_dir = kind_module_dir()
    files = rootfs_files(kind_dir)
    key = steps.key_of("node-rootfs", RECIPE, DOCKERFILE, _files_key(files), base.key())
    built = images.build_generated(rootfs_tag(), DOCKERFILE, files, key, force)
    return built, key


def _wait(cid: str, argv: list[str], timeout: float, want_ok: bool = True) -> None:
    def answered() -> tuple[bool, str]:
        ok = docker.exec_(cid, argv, check=False, timeout=30).returncode == 0
        return ok == want_ok, ""

    if poll_until(answered, timeout=timeout, interval=0.5)[0]:
        return
    raise RuntimeError(f"timed out after {timeout}s waiting for `{' '.join(argv)}` in {cid[:12]}")


def build_node(rootfs_key: str, force: bool = False) -> bool:
    """Preload every component image into the rootfs image's containerd; commit the node."""
    tag = node_image()
    key = node_key(rootfs_key)
    if not force and docker.image_label(tag, steps.KEY_LABEL) == key:
        return False
    preload = cache.subdir("airgap", "preload")
    for stale in preload.glob("*.tar"):
        stale.unlink()
    refs = preload_images()
    # one archive: layers shared by the images (the Debian base) are stored once
    tars = [docker.save(refs, preload / "images.tar")]
    name = f"chartgate-node-build-{os.getpid()}"
    docker.remove_container(name)
    old_id: str | None = None
    cid = docker.run_detached(rootfs_tag(), name=name, entrypoint="sleep", command=["infinity"],
                              extra=["--security-opt", "seccomp=unconfined"])
    try:
        docker.exec_(cid, ["mkdir", "-p", "/preload"])
        for t in tars:
            docker.copy_to(cid, t, f"/preload/{t.name}")
        docker.exec_(cid, ["bash", "-c", "nohup containerd > /var/log/containerd-preload.log 2>&1 &"])
        _wait(cid, ["ctr", "version"], 60)
        for t in tars:
            docker.exec_(cid, ["ctr", "--namespace=k8s.io", "images", "import", "--all-platforms",
                               "--no-unpack", "--digests", f"/preload/{t.name}"], timeout=900)
        listed = set(docker.exec_(cid, ["ctr", "--namespace=k8s.io", "images", "list", "-q"]).stdout.split())
        missing = [r for r in refs if r not in listed]
        if missing:
            raise RuntimeError(f"preload: containerd in the node lacks {missing} after import")
        docker.exec_(cid, ["pkill", "containerd"], check=False)
        # (the sleep PID 1 does not reap: a zombie containerd counts as stopped)
        _wait(cid, ["sh", "-c", "ps -C containerd -o stat= | grep -qv Z"], 60, want_ok=False)
        docker.exec_(cid, ["rm", "-rf", "/preload", "/var/log/containerd-preload.log"])
        old_id = docker.image_id_or_none(tag)
        docker.commit(cid, tag, changes=[f"ENTRYPOINT {ENTRYPOINT}", "CMD []",
                                         f"LABEL {steps.KEY_LABEL}={key}",
                                         f"LABEL {PRELOADED_LABEL}={','.join(refs)}"])
    finally:
        docker.remove_container(name)
        for t in tars:
            t.unlink(missing_ok=True)
    docker.drop_superseded(tag, old_id)
    return True
