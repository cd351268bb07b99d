"""debootstrap (and tar): a minimal Debian root filesystem as an importable tarball."""

from __future__ import annotations

import shutil
from pathlib import Path

from chartgate import proc
from chartgate.util.files import atomic_output


def rootfs(suite: str, target: Path, mirror: str, variant: str = "minbase",
           include: tuple[str, ...] = ()) -> Path:
    if target.exists():
        shutil.rmtree(target)
    argv: list[str | Path] = ["debootstrap", f"--variant={variant}"]
    if include:
        argv.append("--include=" + ",".join(include))
    proc.run([*argv, suite, target, mirror], timeout=1800)
    return target


def tar(directory: Path, out: Path) -> Path:
    with atomic_output(out) as tmp:
        proc.run(["tar", "--numeric-owner", "--xattrs", "-C", directory, "-cf", tmp, "."], timeout=900)
    return out
