"""Debian's apt: install host packages (docker.io, debootstrap) when missing."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable

from chartgate import proc

ENV = {"DEBIAN_FRONTEND": "noninteractive"}


def installed(package: str) -> bool:
    res = proc.run(["dpkg-query", "-W", "-f", "${Status}", package], check=False, timeout=60)
    return res.returncode == 0 and "install ok installed" in res.stdout


def install(packages: Iterable[str]) -> list[str]:
    """Install the missing ones among ``packages``; returns what was installed."""
    missing = [p for p in packages if not installed(p)]
    if not missing:
        return []
    if os.geteuid() != 0:
        raise RuntimeError(f"these Debian packages are needed: {' '.join(missing)}; "
                           "run as root (or install them yourself)")
    if not shutil.which("apt-get"):
        raise RuntimeError(f"not a Debian/Ubuntu host (no apt-get); install: {' '.join(missing)}")
    argv = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
    res = proc.run(argv, env=ENV, timeout=1800, check=False)
    if res.returncode != 0:
        proc.run(["apt-get", "update"], env=ENV, timeout=900)
        proc.run(argv, env=ENV, timeout=1800)
    return missing
