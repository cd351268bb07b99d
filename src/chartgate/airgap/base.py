"""The debootstrapped Debian base image every other image is built FROM."""

from __future__ import annotations

import shutil
from importlib import resources

from chartgate import cache
from chartgate.airgap import steps
from chartgate.airgap.config import airgap
from chartgate.tools import debootstrap, docker

# Bump when the way the base is made changes (part of the cache key).
RECIPE = 2
APT_CONF = resources.files("chartgate.airgap").joinpath("files", "base", "90chartgate")  # no recommends


def key() -> str:
    cfg = airgap()
    return steps.key_of("base", RECIPE, cfg["debian_suite"], cfg["debian_mirror"])


def tag() -> str:
    return airgap()["base_image"]


def is_current() -> bool:
    return docker.image_label(tag(), steps.KEY_LABEL) == key()


def build(force: bool = False) -> bool:
    """Make sure the base image exists at the current key. Returns False when cached."""
    if is_current() and not force:
        return False
    cfg = airgap()
    work = cache.subdir("airgap", "base")
    tarball = work / f"rootfs-{cfg['debian_suite']}-{key()}.tar"
    if force or not tarball.exists():
        rootfs = work / "rootfs"
        debootstrap.rootfs(cfg["debian_suite"], rootfs, cfg["debian_mirror"])
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for item in (rootfs / junk).glob("*"):
                if item.is_file():
                    item.unlink()
        (rootfs / "etc/apt/apt.conf.d/90chartgate").write_text(APT_CONF.read_text())
        for stale in work.glob("rootfs-*.tar"):
            stale.unlink()
        debootstrap.tar(rootfs, tarball)
        shutil.rmtree(rootfs)
    old_id = docker.image_id_or_none(tag())
    docker.import_tar(tarball, tag(), changes=[
        f"LABEL {steps.KEY_LABEL}={key()}",
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "ENV LANG=C.UTF-8",
        'CMD ["/bin/bash"]',
    ])
    docker.drop_superseded(tag(), old_id)
    return True
