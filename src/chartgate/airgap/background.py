"""``chartgate cluster up --background`` and ``chartgate cluster wait``: create a cluster in a
detached process while the caller builds its images, then join it.

Creating a kind cluster takes about a minute, mostly the node booting and the system pods
starting; building a chart's test images needs no cluster. A CI job runs them one after the
other because its steps are sequential — ``up --background`` returns at once, ``wait`` blocks
until the cluster is ready (or reports why it is not), printing the creation's log either way.

The detached process is ``chartgate cluster up`` itself, started with ``--status-file``: it
records there when the node runs (phase ``created``: images can be ``kind load``ed from then
on, while it still waits for the node and the system pods) and its exit code when it ends, so
``wait`` (another process, not its parent) knows how far it got and how it ended; a process
that died without an exit code counts as failed.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from chartgate import cache, proc
from chartgate.util.deadline import poll_until
from chartgate.util.files import atomic_write


@dataclass(frozen=True)
class Job:
    """Where a background ``cluster up`` of ``name`` keeps its log and status."""

    name: str

    @property
    def dir(self) -> Path:
        return cache.subdir("kind", "background")

    @property
    def log(self) -> Path:
        return self.dir / f"{self.name}.log"

    @property
    def status(self) -> Path:
        return self.dir / f"{self.name}.status.json"

    @property
    def pid_file(self) -> Path:
        return self.dir / f"{self.name}.pid"


def start(name: str, up_args: list[str]) -> Job:
    """Start ``chartgate cluster up --name NAME *up_args`` detached; return its job."""
    job = Job(name)
    for stale in (job.log, job.status, job.pid_file):
        stale.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "chartgate", "cluster", "up", "--name", name, *up_args,
            "--status-file", str(job.status)]
    child = proc.start(argv, log_file=job.log)
    atomic_write(job.pid_file, str(child.pid))
    return job


def write_status(path: Path, returncode: int) -> None:
    """Record how ``cluster up`` ended. Its output goes to the log file block-buffered, so
    flush it first: ``wait`` reads the log as soon as the status exists."""
    _write(path, {"phase": "done", "returncode": returncode})


def write_created(path: Path) -> None:
    _write(path, {"phase": "created"})


def _write(path: Path, status: dict[str, object]) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    atomic_write(path, json.dumps(status))


def _status(job: Job) -> dict:
    try:
        return dict(json.loads(job.status.read_text()))
    except (OSError, ValueError):
        return {}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (its parent, the command that started it, has not reaped it) is not alive
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return True


def wait(name: str, timeout: float, created: bool = False) -> tuple[int, str]:
    """Block until the background ``cluster up`` of ``name`` ends — or, with ``created``,
    until its node runs — (at most ``timeout`` seconds); return its exit code (0 for a
    created node still being waited on) and its log so far. 1 when it died without an exit
    code; raises ``TimeoutError`` naming the log when it is still running at the deadline,
    and ``FileNotFoundError`` when no background creation of ``name`` was started."""
    job = Job(name)
    if not job.pid_file.exists():
        raise FileNotFoundError(f"no background `chartgate cluster up --name {name}` was started "
                                f"(no {job.pid_file})")
    pid = int(job.pid_file.read_text())

    def ended() -> tuple[bool, str]:
        status = _status(job)
        return "returncode" in status or (created and bool(status)) or not _alive(pid), ""

    done, _, _ = poll_until(ended, timeout=timeout, interval=0.5)
    status = _status(job)  # read before the log: the log is then at least as far as the status
    log = job.log.read_text(errors="replace") if job.log.exists() else ""
    if not done:
        raise TimeoutError(f"cluster {name!r} is still being created after {timeout:.0f}s "
                           f"(pid {pid}, log {job.log})")
    if "returncode" in status:
        return int(status["returncode"]), log
    if created and status.get("phase") == "created":
        return 0, log
    return 1, log + f"\n(the background `cluster up` (pid {pid}) ended without an exit code)\n"
