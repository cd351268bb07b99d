"""``chartgate airgap build``: every step, in order, with progress, elapsed time and cache."""

from __future__ import annotations

from chartgate.airgap import base, binaries, engine, images, node, steps
from chartgate.airgap.config import component_images, kubernetes_version, netpol_image, node_image


def build_all(force: bool = False) -> steps.Progress:
    progress = steps.Progress("airgap build" + (" --force" if force else ""))
    steps.say(f"Kubernetes {kubernetes_version()} → node image {node_image()}")
    with progress.step("docker engine (Debian docker.io, capability-filtering runtime if needed)") as rec:
        actions: list[str] = []
        rec["detail"] = engine.ensure(steps.say, actions)
        rec["cached"] = not actions
    with progress.step("Debian base image (debootstrap)") as rec:
        rec["cached"] = not base.build(force)
        rec["detail"] = base.tag()
    for name in binaries.GO_TOOLS:
        with progress.step(f"Go module build: {name}") as rec:
            rec["cached"] = not binaries.build_tool(name, force)
    with progress.step("pause (our static Go program)") as rec:
        rec["cached"] = not binaries.build_pause(force)
    with progress.step("check image tags against `kubeadm config images list`") as rec:
        rec["detail"] = f"{len(binaries.check_image_tags())} images match"
    for component in component_images():
        with progress.step(f"component image {component_images()[component]}") as rec:
            rec["cached"] = not images.build_component(component, force)
    with progress.step("local-path-provisioner image") as rec:
        rec["cached"] = not images.build_local_path(force)
    with progress.step(f"NetworkPolicy controller image {netpol_image()}") as rec:
        rec["cached"] = not images.build_netpol(force)
    with progress.step("node rootfs image (systemd, containerd, kind's files)") as rec:
        built, rootfs_key = node.build_rootfs(force)
        rec["cached"] = not built
    with progress.step(f"PostgreSQL image {images.postgres_tag()}") as rec:
        rec["cached"] = not images.build_postgres(force)
    with progress.step(f"node image {node_image()} (preload images into containerd)") as rec:
        rec["cached"] = not node.build_node(rootfs_key, force)
    progress.save()
    steps.say(f"airgap build finished in {progress.total()}s")
    return progress
