"""Linux capability sets: parse ``/proc/<pid>/status`` masks and name the capabilities.

Used to detect a short capability bounding set (a host where ``docker run --privileged``
fails because docker asks runc for capabilities the host cannot grant), which the
capability-filtering OCI runtime wrapper (:mod:`chartgate.airgap.ocirt`) then works
around. The capability table and the mask parser are the wrapper's: it is a standalone
script, so it cannot import this module, but this module can import it.
"""

from __future__ import annotations

from pathlib import Path

# the table and the mask parser live in the standalone wrapper script (standard library
# only, docker runs it directly); this module uses the same ones
from chartgate.airgap.ocirt import CAP_NAMES, parse_mask

__all__ = ["CAP_NAMES", "bounding_set", "kernel_caps", "missing_caps", "parse_mask", "status_mask"]


def status_mask(status_text: str, field: str = "CapBnd") -> str:
    """The hex mask of ``field`` in the text of ``/proc/<pid>/status``."""
    for line in status_text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == field:
            return value.strip()
    raise ValueError(f"no {field} line in status text")


def bounding_set(status_path: str | Path = "/proc/self/status") -> set[str]:
    return parse_mask(status_mask(Path(status_path).read_text()))


def kernel_caps(last_cap_path: str | Path = "/proc/sys/kernel/cap_last_cap") -> set[str]:
    """Every capability the running kernel knows (what docker asks for with --privileged)."""
    try:
        last = int(Path(last_cap_path).read_text().strip())
    except (OSError, ValueError):
        last = len(CAP_NAMES) - 1
    return set(CAP_NAMES[: last + 1])


def missing_caps(bounding: set[str], wanted: set[str]) -> set[str]:
    """Capabilities a privileged container wants that the bounding set cannot give."""
    return wanted - bounding
