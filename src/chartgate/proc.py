"""The one place chartgate spawns processes.

Every external program goes through :func:`run` (or :func:`start` for servers) so that
timeouts, logging and error messages are uniform: a failure always says which command
ran, its exit code and the tail of its stderr.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("chartgate.proc")

STDERR_TAIL = 4000


class ProcessError(RuntimeError):
    """A command exited non-zero (or could not start, or timed out)."""

    def __init__(self, argv: Sequence[str], returncode: int | None, stdout: str, stderr: str,
                 reason: str = "") -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        cmd = shlex.join(self.argv)
        what = reason or f"exited with code {returncode}"
        tail = stderr.strip()[-STDERR_TAIL:] or stdout.strip()[-STDERR_TAIL:]
        super().__init__(f"`{cmd}` {what}" + (f":\n{tail}" if tail else ""))


@dataclass(frozen=True)
class Result:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str


def _env(extra: Mapping[str, str] | None) -> dict[str, str] | None:
    if not extra:
        return None
    env = dict(os.environ)
    env.update(extra)
    return env


def run(argv: Sequence[str | Path], *, env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None, timeout: float | None = 600, check: bool = True,
        input: str | None = None, stream: bool = False) -> Result:
    """Run a command to completion and capture its output.

    ``stream=True`` lets output go straight to the terminal (long builds show
    progress); nothing is captured then.
    """
    args = [str(a) for a in argv]
    log.debug("run: %s", shlex.join(args))
    try:
        if stream:
            cp = subprocess.run(args, env=_env(env), cwd=cwd, timeout=timeout, text=True,
                                input=input)
            res = Result(args, cp.returncode, "", "")
        else:
            cp = subprocess.run(args, env=_env(env), cwd=cwd, timeout=timeout, text=True,
                                input=input, capture_output=True)
            res = Result(args, cp.returncode, cp.stdout, cp.stderr)
    except FileNotFoundError as exc:
        raise ProcessError(args, None, "", "", f"could not start: {exc.strerror}") from exc
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise ProcessError(args, None, out, err, f"timed out after {timeout}s") from exc
    if check and res.returncode != 0:
        raise ProcessError(args, res.returncode, res.stdout, res.stderr)
    return res


def run_json(argv: Sequence[str | Path], *, error: type[Exception], what: str,
             empty: str = "null", ok_codes: tuple[int, ...] = (0, 1), input: str | None = None,
             timeout: float | None = 600) -> Any:
    """Run a tool whose report is JSON on stdout and whose exit codes ``ok_codes`` mean
    "ran" (e.g. 1 = findings); any other code, or output that is not JSON, raises ``error``."""
    res = run(argv, check=False, timeout=timeout, input=input)
    if res.returncode not in ok_codes:
        detail = res.stderr.strip() or res.stdout.strip()
        raise error(f"{what} exited {res.returncode}: {detail}")
    try:
        return json.loads(res.stdout or empty)
    except json.JSONDecodeError as exc:
        raise error(f"{what} printed no JSON: {res.stdout[:500]} {res.stderr[:500]}") from exc


def start(argv: Sequence[str | Path], *, env: Mapping[str, str] | None = None,
          cwd: str | Path | None = None, log_file: Path | None = None) -> subprocess.Popen[bytes]:
    """Start a long-running process (a server). The caller must stop it."""
    args = [str(a) for a in argv]
    log.debug("start: %s", shlex.join(args))
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
    try:
        return subprocess.Popen(args, env=_env(env), cwd=cwd, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    except FileNotFoundError as exc:
        raise ProcessError(args, None, "", "", f"could not start: {exc.strerror}") from exc


def start_pipe(argv: Sequence[str | Path], *, env: Mapping[str, str] | None = None,
               cwd: str | Path | None = None, stderr: Path | None = None) -> subprocess.Popen[bytes]:
    """Start a long-running process spoken to over stdin/stdout (a line protocol).

    stderr goes to ``stderr`` (a log file) or is discarded. The caller must :func:`stop` it."""
    args = [str(a) for a in argv]
    log.debug("start (pipes): %s", shlex.join(args))
    err = open(stderr, "ab") if stderr else subprocess.DEVNULL  # noqa: SIM115
    try:
        return subprocess.Popen(args, env=_env(env), cwd=cwd, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=err, start_new_session=True)
    except FileNotFoundError as exc:
        raise ProcessError(args, None, "", "", f"could not start: {exc.strerror}") from exc


def stop(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Terminate a process started by :func:`start`, killing it if it lingers."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)
