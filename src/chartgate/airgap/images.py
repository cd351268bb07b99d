"""Component images (tagged exactly as kubeadm lists them), the storage
provisioner image, the NetworkPolicy controller image, the PostgreSQL workload image, and
:func:`build_image_from_dir`, the helper others use to build an image from a directory on
the local Debian base."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from chartgate import cache
from chartgate.airgap import base, binaries, steps
from chartgate.airgap.config import airgap, component_images, local_path_image, netpol_image
from chartgate.tools import docker

RECIPE = 3
SIMPLE_BINARY = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")


def _ctx_dir(tag: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", tag)
    path = cache.subdir("airgap", "contexts") / safe
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def _place(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dest)
    except OSError:
        shutil.copy2(src, dest)


def build_generated(tag: str, dockerfile: str, files: Mapping[str, Path | str | bytes], key: str,
                    force: bool = False, build_args: Mapping[str, str] | None = None) -> bool:
    """Build ``tag`` from a generated context (Dockerfile text + files) unless an image
    with the same cache key exists. Returns False when cached."""
    if not force and docker.image_label(tag, steps.KEY_LABEL) == key:
        return False
    ctx = _ctx_dir(tag)
    (ctx / "Dockerfile").write_text(dockerfile)
    for rel, content in files.items():
        dest = ctx / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            _place(content, dest)
        elif isinstance(content, bytes):
            dest.write_bytes(content)
        else:
            dest.write_text(content)
            if content.startswith("#!"):
                dest.chmod(0o755)
    old_id = docker.image_id_or_none(tag)
    try:
        docker.build(ctx, tag, labels={steps.KEY_LABEL: key},
                     build_args={"BASE_IMAGE": base.tag(), **(build_args or {})})
    finally:
        shutil.rmtree(ctx, ignore_errors=True)
    docker.drop_superseded(tag, old_id)
    return True


def build_image_from_dir(context_dir: str | Path, tag: str, *,
                         build_args: Mapping[str, str] | None = None,
                         dockerfile: str | Path | None = None, force: bool = False,
                         labels: Mapping[str, str] | None = None) -> str:
    """Build ``tag`` from ``context_dir`` (its Dockerfile declares ``ARG BASE_IMAGE`` /
    ``FROM ${BASE_IMAGE}``) on the local Debian base image, which is built first if missing.

    Cached: skipped when an image ``tag`` exists whose key (content of the directory,
    build args, base image key) matches. ``labels`` are added to the image. Returns ``tag``.
    """
    ctx = Path(context_dir).resolve()
    if not ctx.is_dir():
        raise FileNotFoundError(f"image context {ctx} is not a directory")
    df = Path(dockerfile).resolve() if dockerfile else ctx / "Dockerfile"
    if not df.exists():
        raise FileNotFoundError(f"no Dockerfile at {df}")
    base.build()
    args = {"BASE_IMAGE": base.tag(), **(build_args or {})}
    key = steps.key_of("dir-image", steps.hash_tree(ctx), steps.hash_file(df), args, base.key())
    if not force and docker.image_label(tag, steps.KEY_LABEL) == key:
        return tag
    old_id = docker.image_id_or_none(tag)
    docker.build(ctx, tag, dockerfile=df if dockerfile else None, build_args=args,
                 labels={**(labels or {}), steps.KEY_LABEL: key})
    docker.drop_superseded(tag, old_id)
    return tag


# --- component images ------------------------------------------------------------------

def files_dir(*parts: str) -> Path:
    """``chartgate/airgap/files/...``: the Dockerfiles, scripts and manifests of the images."""
    return Path(str(resources.files("chartgate.airgap").joinpath("files", *parts)))


def _dockerfile_for(component: str) -> tuple[str, dict[str, Path]]:
    """``files/components/<component>.Dockerfile`` (the three plain control-plane binaries
    share ``binary.Dockerfile``, with ``@COMPONENT@`` for the name) and the binary it copies."""
    if component in SIMPLE_BINARY:
        text = (files_dir("components") / "binary.Dockerfile").read_text()
        return text.replace("@COMPONENT@", component), {component: binaries.kubernetes_binary(component)}
    binary = {"kube-proxy": lambda: binaries.kubernetes_binary("kube-proxy"),
              "etcd": lambda: binaries.tool_binary("etcd"),
              "coredns": lambda: binaries.tool_binary("coredns"),
              "pause": binaries.pause_binary}[component]
    return (files_dir("components") / f"{component}.Dockerfile").read_text(), {component: binary()}


def component_key(component: str) -> str:
    text, files = _dockerfile_for(component)
    return steps.key_of("component", RECIPE, component, text,
                        {k: steps.hash_file(v) for k, v in files.items()}, base.key())


def build_component(component: str, force: bool = False) -> bool:
    text, files = _dockerfile_for(component)
    return build_generated(component_images()[component], text, dict(files),
                           component_key(component), force)


def local_path_key() -> str:
    return steps.key_of("local-path", RECIPE, steps.hash_file(binaries.tool_binary("local-path-provisioner")),
                        base.key())


def build_local_path(force: bool = False) -> bool:
    text = (files_dir("local-path") / "Dockerfile").read_text()
    return build_generated(local_path_image(), text,
                           {"local-path-provisioner": binaries.tool_binary("local-path-provisioner")},
                           local_path_key(), force)


# --- NetworkPolicy controller image ----------------------------------------------------

NETPOL_CONTEXT = ("Dockerfile", "divert-and-run.sh")


def netpol_source() -> Path:
    """``files/netpol``: the controller's Dockerfile, start script and DaemonSet manifest."""
    return files_dir("netpol")


def netpol_key() -> str:
    src = netpol_source()
    return steps.key_of("netpol", RECIPE, {f: steps.hash_file(src / f) for f in NETPOL_CONTEXT},
                        steps.hash_file(binaries.tool_binary("kube-network-policies")), base.key())


def build_netpol(force: bool = False) -> bool:
    """kube-network-policies (the pinned Go build) + iptables/nftables on the Debian base."""
    src = netpol_source()
    files: dict[str, Path | str | bytes] = {
        "kube-network-policies": binaries.tool_binary("kube-network-policies"),
        "divert-and-run.sh": src / "divert-and-run.sh",
    }
    return build_generated(netpol_image(), (src / "Dockerfile").read_text(), files, netpol_key(), force)


# --- PostgreSQL workload image ---------------------------------------------------------

POSTGRES_MAJOR = 15
POSTGRES_CONTEXT = ("Dockerfile", "docker-entrypoint.sh")


def postgres_source() -> Path:
    """``files/postgres``: Debian's PostgreSQL with the official image's environment contract."""
    return files_dir("postgres")


def postgres_tag() -> str:
    return airgap()["postgres_image"]


def postgres_key() -> str:
    src = postgres_source()
    return steps.key_of("postgres", RECIPE, POSTGRES_MAJOR,
                        {f: steps.hash_file(src / f) for f in POSTGRES_CONTEXT}, base.key())


def build_postgres(force: bool = False) -> bool:
    src = postgres_source()
    return build_generated(postgres_tag(), (src / "Dockerfile").read_text(),
                           {"docker-entrypoint.sh": src / "docker-entrypoint.sh"}, postgres_key(), force,
                           build_args={"POSTGRES_MAJOR": str(POSTGRES_MAJOR)})
