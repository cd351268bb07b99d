"""Linux capability sets: parse ``/proc/<pid>/status`` masks and name the capabilities.

Used to detect a short capability bounding set (a host where ``docker run --privileged``
fails because docker asks runc for capabilities the host cannot grant) and by the
capability-filtering OCI runtime wrapper (:mod:`chartgate.airgap.ocirt`).
"""

from __future__ import annotations

from pathlib import Path

# Index = capability number (linux/capability.h). CAP_LAST_CAP is 40 on current kernels.
CAP_NAMES: tuple[str, ...] = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
)


def parse_mask(hex_mask: str) -> set[str]:
    """Capability names present in a hex mask such as ``000001fffeffffff``."""
    value = int(hex_mask.strip(), 16)
    return {name for bit, name in enumerate(CAP_NAMES) if value >> bit & 1}


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
