"""Chart versions: SemVer 2 parsing and the two questions the gate asks of a version change
(was it bumped at all? was it a breaking-change bump?)."""

from __future__ import annotations

import re

_SEMVER = re.compile(r"v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+.*)?")


def parse(v: str) -> tuple[int, int, int, str]:
    """``(major, minor, patch, pre-release)``; a release sorts after its pre-releases."""
    m = _SEMVER.fullmatch(v.strip())
    if not m:
        raise ValueError(f"not a semantic version: {v!r}")
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4) or "~"


def version_bumped(old: str, new: str) -> bool:
    """``new`` sorts after ``old``."""
    return parse(new) > parse(old)


def breaking_bump(old: str, new: str) -> bool:
    """``new`` announces breaking changes relative to ``old``: a higher major version, or —
    while the major version is 0 (SemVer §4: anything may change) — a higher minor version."""
    o, n = parse(old), parse(new)
    if n[0] != o[0]:
        return n[0] > o[0]
    return o[0] == 0 and n[1] > o[1]
