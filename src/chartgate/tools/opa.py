"""OPA as a local server: start ``opa run --server`` on loopback with Rego modules and data
files, answer queries, stop.

:class:`OpaServer` runs the pinned ``opa`` binary (``chartgate tools install opa``) on a
free ``127.0.0.1`` port. OPA itself loads the paths it is given — Rego modules, data files
and directories of data files (files directly in a directory at the data root, files in
subdirectories under their names, as ``conftest --data`` does) — and compiles them as one
set, so a module that does not compile stops the start with OPA's own ``file:line``
message (:class:`PolicyCompileError`).

The server is always stopped: use it as a context manager; an ``atexit`` hook and a
SIGTERM/SIGHUP handler stop any server still running when the interpreter exits.
Ctrl-C reaches OPA only through us (it runs in its own session), so an interrupted run
stops it on the way out as well.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import re
import signal
import socket
import subprocess
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from chartgate import proc
from chartgate.tools import bootstrap
from chartgate.util.deadline import Terminal, poll_until
from chartgate.util.gogc import server_env
from chartgate.util.lifecycle import Service

# OPA's load/compile errors: "path/x.rego:6: rego_type_error: undefined function f"
_COMPILE_ERROR = re.compile(r"(?P<file>[^\s:][^:\n]*\.rego):(?P<row>\d+): "
                            r"(?P<code>rego_[a-z_]+): (?P<msg>.*)")


class OpaError(RuntimeError):
    """OPA could not be started, loaded or queried."""


class PolicyCompileError(OpaError):
    """A Rego module does not parse or compile; ``locations`` are ``file:line`` strings."""

    def __init__(self, message: str, locations: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.locations = list(locations)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def compile_error(log: str) -> PolicyCompileError | None:
    """The :class:`PolicyCompileError` in OPA's start-up output, if it failed to compile."""
    found = [m for m in (_COMPILE_ERROR.search(line) for line in log.splitlines()) if m]
    if not found:
        return None
    lines = [f"{m['file']}:{m['row']}: {m['code']}: {m['msg'].strip()}" for m in found]
    return PolicyCompileError("Rego does not compile:\n  " + "\n  ".join(dict.fromkeys(lines)),
                              list(dict.fromkeys(f"{m['file']}:{m['row']}" for m in found)))


_LIVE: set[OpaServer] = set()
_LIVE_LOCK = threading.Lock()
_HANDLERS_INSTALLED = False


def _stop_all() -> None:
    with _LIVE_LOCK:
        servers = list(_LIVE)
    for server in servers:
        server.stop()


def _install_handlers() -> None:
    """Stop OPA when the interpreter exits or is told to terminate."""
    global _HANDLERS_INSTALLED
    if _HANDLERS_INSTALLED:
        return
    _HANDLERS_INSTALLED = True
    atexit.register(_stop_all)
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        try:
            previous = signal.getsignal(signum)
        except (ValueError, OSError):  # pragma: no cover - platform without the signal
            continue
        if previous not in (signal.SIG_DFL, None):
            continue  # somebody else (pytest-xdist, a web server) owns it

        def _handler(sig: int, _frame: Any, _prev: Any = previous) -> None:
            _stop_all()
            raise SystemExit(128 + sig)

        signal.signal(signum, _handler)


class OpaServer(Service):
    """A private OPA server holding the given Rego modules and data.

    >>> with OpaServer([Path("p/main.rego"), Path("p/data")], modules={"q.rego": text}) as opa:
    ...     answer = opa.query("q", "out", {"x": 1})

    ``modules`` are extra modules given as text (written to a private directory and loaded
    with the paths)."""

    def __init__(self, paths: Sequence[Path], modules: Mapping[str, str] | None = None,
                 binary: Path | None = None, start_timeout: float = 30.0,
                 query_timeout: float = 300.0) -> None:
        self.paths = [Path(p) for p in paths]
        self.modules = dict(modules or {})
        self._binary = binary
        self.start_timeout = start_timeout
        self.query_timeout = query_timeout
        self.port: int | None = None
        self.requests = 0  # query HTTP requests made (for tests and benchmarks)
        self._proc: subprocess.Popen[bytes] | None = None
        self._client: _Http | None = None
        self._log: Path | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None

    # --- lifecycle ----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> OpaServer:
        if self.running:
            return self
        binary = self._binary or bootstrap.binary("opa")
        _install_handlers()
        self._workdir = tempfile.TemporaryDirectory(prefix="chartgate-opa-")
        work = Path(self._workdir.name)
        self._log = work / "opa.log"
        extra = []
        for module_id, text in self.modules.items():
            path = work / "modules" / module_id
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            extra.append(path)
        last_error = ""
        try:
            for _attempt in range(3):  # another process may take the free port before OPA binds it
                self.port = _free_port()
                self._proc = proc.start(
                    [binary, "run", "--server", "--addr", f"127.0.0.1:{self.port}",
                     "--log-level", "error", "--skip-version-check",
                     "--shutdown-grace-period", "1", *self.paths, *extra],
                    log_file=self._log, env=server_env())
                with _LIVE_LOCK:
                    _LIVE.add(self)
                self._client = _Http(port=self.port, timeout=self.query_timeout)
                ok, last_error = self._wait_healthy()
                if ok:
                    break
                failure = compile_error(self._log_tail())
                if failure is not None:
                    raise failure
                self.stop(keep_log=True)
                if "address already in use" not in last_error:
                    break
            if not self.running:
                raise OpaError(f"OPA ({binary}) did not start on 127.0.0.1: {last_error}")
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_healthy(self) -> tuple[bool, str]:
        assert self._proc is not None and self._client is not None
        process, client = self._proc, self._client

        def healthy() -> tuple[bool, str]:
            if process.poll() is not None:
                raise Terminal(f"exited with code {process.returncode}: {self._log_tail()}")
            return client.check_health(), ""

        done, state, terminal = poll_until(healthy, timeout=self.start_timeout, interval=0.05)
        if done or terminal:
            return done, state
        return False, f"not healthy after {self.start_timeout:.0f}s: {self._log_tail()}"

    def _log_tail(self) -> str:
        if self._log and self._log.exists():
            return self._log.read_text(errors="replace").strip()[-2000:] or "(no output)"
        return "(no output)"

    def stop(self, keep_log: bool = False) -> None:
        """Stop OPA (idempotent)."""
        if self._client is not None:
            with contextlib.suppress(Exception):  # closing must not mask the real error
                self._client.close()
            self._client = None
        if self._proc is not None:
            proc.stop(self._proc, timeout=5)
            self._proc = None
        with _LIVE_LOCK:
            _LIVE.discard(self)
        if not keep_log and self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    # --- queries ------------------------------------------------------------------------
    def query(self, package: str, rule: str, input_data: Mapping[str, Any]) -> Any:
        """``data.<package>.<rule>`` with ``input_data`` as input (one HTTP request)."""
        if not self.running or self._client is None:
            raise OpaError("OPA is not running (use OpaServer as a context manager)")
        self.requests += 1
        path = f"/v1/data/{package.replace('.', '/')}/{rule}"
        try:
            status, body = self._client.request("POST", path, {"input": input_data})
        except OSError as exc:
            raise OpaError(f"OPA at {self.url} did not answer: {exc}; log: {self._log_tail()}") from exc
        if status != 200:
            raise OpaError(f"OPA evaluation failed: HTTP {status} for {path}: "
                           f"{body[:2000].decode(errors='replace')}")
        resp = json.loads(body)
        if "result" not in resp:
            raise OpaError(f"OPA returned no result for data.{package}.{rule}: {resp}")
        return resp["result"]


class _Http:
    """OPA's REST API over loopback with the standard library: one POST per query (a
    handful per run), each on its own connection, so threads can query at once.

    A client library is not worth its import here: ``opa_client`` imports its asyncio
    client (aiohttp) and requests on every start of a cold gate, 0.3-0.7 s of CPU measured
    on this machine, against a few milliseconds for ``http.client``."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port = port
        self.timeout = timeout

    def request(self, method: str, path: str, payload: Any = None) -> tuple[int, bytes]:
        """``(status, body)``; a connection that fails or breaks raises :class:`OSError`."""
        import http.client  # only when a server runs (a warm gate never starts one)

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            body = json.dumps(payload).encode() if payload is not None else None
            headers = {"Content-Type": "application/json"} if body is not None else {}
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        except http.client.HTTPException as exc:  # a malformed or cut-off answer
            raise ConnectionError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            conn.close()

    def check_health(self) -> bool:
        try:
            return self.request("GET", "/health")[0] == 200
        except OSError:
            return False

    def close(self) -> None:
        """Nothing stays open between requests."""
