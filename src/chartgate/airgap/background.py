"""``chartgate cluster up --background`` and ``chartgate cluster wait``: create a cluster in a
detached process while the caller builds its images, then join it.

Creating a kind cluster takes about a minute, mostly the node booting and the system pods
starting; building a chart's test images needs no cluster. A CI job runs them one after the
other because its steps are sequential — ``up --background`` returns at once, ``wait`` blocks
until the cluster is ready (or reports why it is not), printing the creation's log either way.

The detached process is ``chartgate cluster up`` itself, started with ``--status-file``: it
writes its exit code there when it ends, so ``wait`` (another process, not its parent) knows
how it ended; a process that died without writing it counts as failed.
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
    atomic_write(path, json.dumps({"returncode": returncode}))


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


def wait(name: str, timeout: float) -> tuple[int, str]:
    """Block until the background ``cluster up`` of ``name`` ends (at most ``timeout``
    seconds); return its exit code and log. 1 when it died without a status; raises
    ``TimeoutError`` naming the log when it is still running at the deadline, and
    ``FileNotFoundError`` when no background creation of ``name`` was started."""
    job = Job(name)
    if not job.pid_file.exists():
        raise FileNotFoundError(f"no background `chartgate cluster up --name {name}` was started "
                                f"(no {job.pid_file})")
    pid = int(job.pid_file.read_text())

    def ended() -> tuple[bool, str]:
        return job.status.exists() or not _alive(pid), ""

    done, _, _ = poll_until(ended, timeout=timeout, interval=0.5)
    log = job.log.read_text(errors="replace") if job.log.exists() else ""
    if not done:
        raise TimeoutError(f"cluster {name!r} is still being created after {timeout:.0f}s "
                           f"(pid {pid}, log {job.log})")
    if not job.status.exists():
        return 1, log + f"\n(the background `cluster up` (pid {pid}) ended without a status)\n"
    return int(json.loads(job.status.read_text())["returncode"]), log
