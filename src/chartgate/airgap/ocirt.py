#!/usr/bin/python3
"""A capability-filtering OCI runtime wrapper (installed as docker's default runtime).

docker 20.10 asks runc for *every* capability for ``--privileged`` containers; on a host
whose capability bounding set is short (e.g. no CAP_SYS_RESOURCE) runc then fails with
"unable to apply caps: operation not permitted". This wrapper rewrites the container's
capability lists to the ones present in its own bounding set, then execs the real runc:

* ``create`` / ``run``: ``<bundle>/config.json`` ``process.capabilities.*``
* ``exec``: the ``--process`` JSON file's ``capabilities.*``

It is a standalone script (only the standard library; docker runs it directly), and its
functions are imported by the unit tests. ``CHARTGATE_REAL_RUNC`` names the real runtime.
"""

from __future__ import annotations

import json
import os
import sys

REAL_RUNC = "@REAL_RUNC@"

# runc global options that take a value (everything before the subcommand).
GLOBAL_WITH_VALUE = {"--root", "--log", "--log-format", "--criu", "--rootless"}
CAP_KINDS = ("bounding", "effective", "inheritable", "permitted", "ambient")
# Index = capability number (linux/capability.h). CAP_LAST_CAP is 40 on current kernels.
CAP_NAMES = (
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


def own_bounding_set(status_path: str = "/proc/self/status") -> set[str]:
    with open(status_path) as fh:
        for line in fh:
            if line.startswith("CapBnd:"):
                return parse_mask(line.split(":", 1)[1])
    return set(CAP_NAMES)


def filter_caps(caps: dict, allowed: set[str]) -> bool:
    """Drop capabilities not in ``allowed`` from an OCI ``capabilities`` object, in place.
    Returns whether anything changed."""
    changed = False
    for kind in CAP_KINDS:
        values = caps.get(kind)
        if not isinstance(values, list):
            continue
        kept = [c for c in values if c in allowed]
        if kept != values:
            caps[kind] = kept
            changed = True
    return changed


def rewrite_config(config: dict, allowed: set[str]) -> bool:
    """A bundle's ``config.json``: filter ``process.capabilities``."""
    caps = (config.get("process") or {}).get("capabilities")
    return filter_caps(caps, allowed) if isinstance(caps, dict) else False


def rewrite_process(process: dict, allowed: set[str]) -> bool:
    """An ``exec --process`` file: filter its top-level ``capabilities``."""
    caps = process.get("capabilities")
    return filter_caps(caps, allowed) if isinstance(caps, dict) else False


def parse_args(argv: list[str]) -> tuple[str, list[str]]:
    """Split runc's argv (without argv[0]) into (subcommand, its arguments)."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("-"):
            return arg, argv[i + 1:]
        if arg in GLOBAL_WITH_VALUE:
            i += 2
            continue
        i += 1
    return "", []


def option(args: list[str], *names: str) -> str | None:
    """Value of ``--name VALUE`` / ``--name=VALUE`` / ``-n VALUE`` in a subcommand's args."""
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def _rewrite_file(path: str, fn, allowed: set[str]) -> None:
    with open(path) as fh:
        data = json.load(fh)
    if fn(data, allowed):
        tmp = path + ".chartgate-tmp"
        with open(tmp, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)


def targets(argv: list[str]) -> tuple[str, str] | None:
    """Which JSON file to rewrite for this invocation: ("config"|"process", path)."""
    cmd, args = parse_args(argv)
    if cmd in ("create", "run"):
        bundle = option(args, "--bundle", "-b") or os.getcwd()
        return "config", os.path.join(bundle, "config.json")
    if cmd == "exec":
        process = option(args, "--process", "-p")
        if process:
            return "process", process
    return None


def main(argv: list[str]) -> None:
    real = os.environ.get("CHARTGATE_REAL_RUNC") or REAL_RUNC
    target = targets(argv)
    if target:
        allowed = own_bounding_set()
        kind, path = target
        try:
            _rewrite_file(path, rewrite_config if kind == "config" else rewrite_process, allowed)
        except (OSError, ValueError) as exc:
            print(f"chartgate-runc: could not filter capabilities in {path}: {exc}",
                  file=sys.stderr)
    os.execv(real, [real, *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
