"""A Docker engine kind can use — Debian's docker.io, started when not running,
with a capability-filtering default runtime on hosts whose bounding set is short."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from chartgate import cache, proc
from chartgate.airgap import caps
from chartgate.tools import apt, docker
from chartgate.util.deadline import poll_until
from chartgate.util.files import atomic_write

DAEMON_JSON = Path(os.environ.get("CHARTGATE_DOCKER_DAEMON_JSON", "/etc/docker/daemon.json"))
WRAPPER_PATH = Path("/usr/local/libexec/chartgate/runc-capfilter")
RUNTIME_NAME = "chartgate-runc"
PACKAGES = ("docker.io", "debootstrap")
START_TIMEOUT = 90


def short_bounding_set() -> set[str]:
    """Capabilities docker asks for with --privileged that this host cannot grant."""
    return caps.missing_caps(caps.bounding_set(), caps.kernel_caps())


def wrapper_script(real_runc: str, python: str = "/usr/bin/python3") -> str:
    text = resources.files("chartgate.airgap").joinpath("ocirt.py").read_text()
    lines = text.splitlines(keepends=True)
    lines[0] = f"#!{python}\n"
    return "".join(lines).replace("@REAL_RUNC@", real_runc)


def desired_daemon_config(current: dict, wrapper: Path | None) -> dict:
    """``daemon.json`` with our runtime registered as default (or removed when not needed)."""
    cfg = dict(current)
    runtimes = dict(cfg.get("runtimes") or {})
    if wrapper is not None:
        runtimes[RUNTIME_NAME] = {"path": str(wrapper)}
        cfg["runtimes"] = runtimes
        cfg["default-runtime"] = RUNTIME_NAME
    else:
        runtimes.pop(RUNTIME_NAME, None)
        if runtimes:
            cfg["runtimes"] = runtimes
        else:
            cfg.pop("runtimes", None)
        if cfg.get("default-runtime") == RUNTIME_NAME:
            cfg.pop("default-runtime")
    return cfg


def _install_wrapper() -> Path:
    real = shutil.which("runc") or "/usr/sbin/runc"
    python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
    script = wrapper_script(real, python)
    WRAPPER_PATH.parent.mkdir(parents=True, exist_ok=True)
    if not WRAPPER_PATH.exists() or WRAPPER_PATH.read_text() != script:
        atomic_write(WRAPPER_PATH, script, mode=0o755)
    return WRAPPER_PATH


def _write_daemon_json(missing: set[str]) -> bool:
    current = json.loads(DAEMON_JSON.read_text()) if DAEMON_JSON.exists() else {}
    wrapper = _install_wrapper() if missing else None
    wanted = desired_daemon_config(current, wrapper)
    if wanted == current and DAEMON_JSON.exists():
        return False
    DAEMON_JSON.parent.mkdir(parents=True, exist_ok=True)
    DAEMON_JSON.write_text(json.dumps(wanted, indent=2) + "\n")
    return True


def _dockerd_pid() -> int | None:
    try:
        pid = int(Path("/var/run/docker.pid").read_text().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def _wait_engine(timeout: float, log_file: Path | None) -> None:
    if poll_until(lambda: (docker.engine_running(), ""), timeout=timeout)[0]:
        return
    tail = log_file.read_text()[-3000:] if log_file and log_file.exists() else ""
    raise docker.DockerUnavailable(f"dockerd did not answer within {timeout:.0f}s" +
                                   (f"; its log ends:\n{tail}" if tail else ""))


def ensure(say: Callable[[str], None] = print, actions: list[str] | None = None) -> str:
    """Idempotently: packages installed, daemon.json right, dockerd running. Returns a
    summary; what had to be done is appended to ``actions``."""
    done = actions if actions is not None else []
    added = apt.install(PACKAGES)
    if added:
        done.append("apt-get install")
    if added:
        say(f"installed Debian packages: {' '.join(added)}")
    missing = short_bounding_set()
    if missing:
        say(f"capability bounding set lacks {', '.join(sorted(missing))}: "
            f"using the capability-filtering runtime {WRAPPER_PATH}")
    changed = _write_daemon_json(missing)
    if changed:
        done.append("daemon.json")
    log_file = cache.subdir("airgap", "logs") / "dockerd.log"
    pid = _dockerd_pid()
    if pid and changed:
        say("daemon.json changed: reloading dockerd (SIGHUP)")
        os.kill(pid, signal.SIGHUP)
        time.sleep(2)
    if not docker.engine_running():
        if pid:
            _wait_engine(START_TIMEOUT, log_file)
        else:
            if not shutil.which("dockerd"):
                raise docker.DockerUnavailable("dockerd is not installed (apt-get install docker.io)")
            say(f"starting dockerd (log: {log_file})")
            done.append("start dockerd")
            proc.start(["dockerd", "--config-file", str(DAEMON_JSON)], log_file=log_file)
            _wait_engine(START_TIMEOUT, log_file)
    info = docker.info()
    default_rt = info.get("DefaultRuntime", "")
    if missing and default_rt != RUNTIME_NAME:
        raise docker.DockerUnavailable(
            f"dockerd's default runtime is {default_rt!r}, expected {RUNTIME_NAME!r}: restart "
            f"dockerd so it reads {DAEMON_JSON}")
    return (f"docker engine {info.get('ServerVersion')} ({info.get('Driver')}, "
            f"cgroup {info.get('CgroupDriver')}/v{info.get('CgroupVersion')}, runtime {default_rt})")
