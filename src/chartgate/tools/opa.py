"""OPA as a local policy server: start, load policies and data, evaluate in batches, stop.

:class:`OpaServer` runs the pinned ``opa`` binary (``chartgate tools install opa``) on a
free ``127.0.0.1`` port, loads every ``*.rego`` of a policy directory (tests excluded)
and every YAML/JSON data file through opa-python-client, and evaluates conftest-style
packages (``deny*``/``violation*``/``warn*`` rules plus ``exception``) for many
documents per HTTP request: a small driver package evaluates ``data.<namespace> with
input as doc`` for every document of the batch inside OPA.

The server is always stopped: use it as a context manager; an ``atexit`` hook and a
SIGTERM/SIGHUP handler stop any server still running when the interpreter exits.
Ctrl-C reaches OPA only through us (it runs in its own session), so an interrupted run
stops it on the way out as well.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as _dt
import json
import re
import signal
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:  # opa_client pulls in aiohttp (~0.3 s): imported when a server starts
    from opa_client import OpaClient

from chartgate import proc
from chartgate.tools import bootstrap
from chartgate.util.deadline import Terminal, poll_until
from chartgate.util.merge import Conflict, deep_merge

FAILURE_RULE = re.compile(r"^(deny|violation)(_[a-zA-Z0-9]+)*$")
WARNING_RULE = re.compile(r"^warn(_[a-zA-Z0-9]+)*$")

DRIVER_ID = "chartgate/batch.rego"
DRIVER_PACKAGE = "chartgate.batch"
DEFAULT_BATCH = 2000  # documents per HTTP request


class OpaError(RuntimeError):
    """OPA could not be started, loaded or queried."""


class PolicyCompileError(OpaError):
    """A policy does not parse or compile; ``locations`` are ``file:line`` strings."""

    def __init__(self, message: str, locations: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.locations = list(locations)


@dataclass(frozen=True)
class RuleResult:
    """One result of one rule for one input (or an honoured exemption)."""

    rule: str  # Rego rule name: deny_clk_sec_001, warn, violation_x, ...
    id: str  # policy id (metadata ``id``), else derived from the rule name
    message: str
    resource: str = ""  # Kind/name (metadata ``resource``), when the rule says
    path: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        """``deny`` (deny/violation rules) or ``warn``."""
        return "deny" if FAILURE_RULE.match(self.rule) else "warn"


@dataclass(frozen=True)
class Exemption:
    """A rule that conftest's ``exception`` switched off for an input."""

    rule: str  # rule suffix as in ``exception``: clk_sec_012
    id: str  # CLK-SEC-012
    reason: str = ""
    expires: str = ""
    source: str = ""
    suppressed: int = 0  # how many results the exemption hid


@dataclass(frozen=True)
class Evaluation:
    """What one input produced: failures + warnings, and honoured exemptions."""

    results: tuple[RuleResult, ...] = ()
    exemptions: tuple[Exemption, ...] = ()


def rule_id(rule: str) -> str:
    """``deny_clk_sec_001`` → ``CLK-SEC-001``; ``deny`` stays ``deny``."""
    for prefix in ("violation_", "deny_", "warn_"):
        if rule.startswith(prefix):
            return rule[len(prefix):].upper().replace("_", "-")
    return rule


def rule_suffix(rule: str) -> str:
    """conftest's ``removeRulePrefix``: the name ``exception`` refers to."""
    if rule in ("deny", "warn", "violation"):
        return ""
    for prefix in ("violation_", "deny_", "warn_"):
        if rule.startswith(prefix):
            return rule[len(prefix):]
    return rule


def _driver(namespaces: Iterable[str]) -> str:
    """The Rego that evaluates whole batches: ``data.chartgate.batch.out``."""
    lines = [
        f"package {DRIVER_PACKAGE}",
        "",
        "import rego.v1",
        "",
        "is_rule(name) if regex.match(`^(deny|violation)(_[a-zA-Z0-9]+)*$`, name)",
        "",
        "is_rule(name) if regex.match(`^warn(_[a-zA-Z0-9]+)*$`, name)",
        "",
        "out := {",
    ]
    # One input's result: its non-empty deny/warn/violation rules, the rule names its
    # `exception` switches off (conftest semantics) and the exemptions in force.
    row = ('{"rules": {name: values | some name, values in p; is_rule(name); count(values) > 0}, '
           '"exception": {x | some k, excs in p; k == "exception"; some exc in excs; some x in exc}, '
           '"exemptions": {e | some k, v in p; k == "exemptions_in_force"; some e in v}}')
    for name in namespaces:
        key = json.dumps(name)
        lines.append(f"\t{key}: {{")
        for kind, var in (("docs", "doc"), ("sets", "cfg")):
            source = f'object.get(input, ["{kind}", {key}], [])'
            lines.append(f'\t\t"{kind}": [{row} | some {var} in {source}; '
                         f"p := data.{name} with input as {var}],")
        lines.append("\t},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _jsonable(value: Any) -> Any:
    """YAML may carry dates/timestamps; OPA (like conftest) sees them as strings."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    return value


def _package_of(text: str) -> str | None:
    m = re.search(r"^package\s+([A-Za-z0-9_.]+)", text, re.MULTILINE)
    return m.group(1) if m else None


def policy_files(policy_dir: Path) -> list[Path]:
    """The policies to load: every ``*.rego`` except ``*_test.rego``."""
    return sorted(p for p in policy_dir.rglob("*.rego") if not p.name.endswith("_test.rego"))


def load_data_files(paths: Iterable[Path]) -> dict[str, Any]:
    """Merge YAML/JSON data files (directories: every such file inside) at the data root,
    as ``conftest --data DIR`` and ``opa run DIR`` do for files directly in DIR."""
    merged: dict[str, Any] = {}
    for root in paths:
        files = sorted(f for f in root.rglob("*") if f.suffix in (".yaml", ".yml", ".json")) \
            if root.is_dir() else [root]
        for f in files:
            doc = yaml.safe_load(f.read_text()) or {}
            if not isinstance(doc, Mapping):
                raise OpaError(f"{f}: a data file must hold a mapping at the top level")
            nested: dict[str, Any] = _jsonable(doc)
            for part in reversed(f.parent.relative_to(root).parts if root.is_dir() else ()):
                nested = {part: nested}
            merged = deep_merge(merged, nested, on_conflict=_defined_twice(f))
    return merged


def _defined_twice(source: Path) -> Conflict:
    def conflict(key: str, old: Any, new: Any) -> Any:
        raise OpaError(f"{source}: data key {key!r} is defined twice")
    return conflict


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


class OpaServer:
    """A private OPA server holding one policy directory and its data.

    >>> with OpaServer(Path("policies"), data=[Path("policies/data")]) as opa:
    ...     evaluations = opa.evaluate("main", documents)
    """

    def __init__(self, policy_dir: Path, data: Sequence[Path] = (), binary: Path | None = None,
                 namespaces: Sequence[str] | None = None, batch_size: int = DEFAULT_BATCH,
                 start_timeout: float = 30.0, query_timeout: float = 300.0) -> None:
        self.policy_dir = Path(policy_dir)
        self.data_paths = [Path(p) for p in data]
        self._binary = binary
        self._namespaces = list(namespaces) if namespaces else None
        self.batch_size = batch_size
        self.start_timeout = start_timeout
        self.query_timeout = query_timeout
        self.port: int | None = None
        self.requests = 0  # evaluation HTTP requests made (for tests and benchmarks)
        self._proc: subprocess.Popen[bytes] | None = None
        self._client: OpaClient | None = None
        self._log: Path | None = None
        self._logdir: tempfile.TemporaryDirectory[str] | None = None
        self.packages: set[str] = set()

    # --- lifecycle ----------------------------------------------------------------------
    def __enter__(self) -> OpaServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> OpaServer:
        if self.running:
            return self
        files = policy_files(self.policy_dir)
        if not files:
            raise OpaError(f"no policies (*.rego) under {self.policy_dir}")
        binary = self._binary or bootstrap.binary("opa")
        _install_handlers()
        self._logdir = tempfile.TemporaryDirectory(prefix="chartgate-opa-")
        self._log = Path(self._logdir.name) / "opa.log"
        last_error = ""
        try:
            for _attempt in range(3):
                self.port = _free_port()
                self._proc = proc.start(
                    [binary, "run", "--server", "--addr", f"127.0.0.1:{self.port}",
                     "--log-level", "error", "--skip-version-check",
                     "--shutdown-grace-period", "1"],
                    log_file=self._log)
                with _LIVE_LOCK:
                    _LIVE.add(self)
                from opa_client import OpaClient

                self._client = OpaClient(host="127.0.0.1", port=self.port,
                                         timeout=self.query_timeout, retries=0)
                ok, last_error = self._wait_healthy()
                if ok:
                    break
                self.stop(keep_log=True)
            else:
                raise OpaError(f"OPA ({binary}) did not start on 127.0.0.1: {last_error}")
            self._load(files)
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
                self._client.close_connection()
            self._client = None
        if self._proc is not None:
            proc.stop(self._proc, timeout=5)
            self._proc = None
        with _LIVE_LOCK:
            _LIVE.discard(self)
        if not keep_log and self._logdir is not None:
            self._logdir.cleanup()
            self._logdir = None

    # --- loading ------------------------------------------------------------------------
    def _load(self, files: list[Path]) -> None:
        """Upload every module (dependencies first: retry until no progress) and the data."""
        from opa_client.errors import RegoParseError

        assert self._client is not None
        # Libraries first: a module calling an undefined function does not compile.
        ordered = sorted(files, key=lambda f: (_package_of(f.read_text()) or "").split(".")[0] != "lib")
        pending = {f.relative_to(self.policy_dir).as_posix(): f.read_text() for f in ordered}
        for text in pending.values():
            pkg = _package_of(text)
            if pkg:
                self.packages.add(pkg)
        errors: dict[str, list[dict[str, Any]]] = {}
        while pending:
            progressed = False
            errors = {}
            for module_id, text in list(pending.items()):
                try:
                    self._client.update_policy_from_string(text, module_id, rego_compat=False)
                except RegoParseError as exc:
                    errors[module_id] = list(exc.errors) or [{"message": exc.message}]
                    continue
                del pending[module_id]
                progressed = True
            if not progressed:
                break
        if pending:
            raise self._compile_error(errors)
        if self.data_paths:
            data = load_data_files(self.data_paths)
            for key, value in data.items():
                if not isinstance(value, dict):
                    raise OpaError(f"data key {key!r} in {self.data_paths} must hold a mapping")
                self._client.update_or_create_data(value, key)
        namespaces = self._namespaces or sorted(p for p in self.packages if not p.startswith("lib"))
        self._namespaces = [n for n in namespaces if n in self.packages]
        try:
            self._client.update_policy_from_string(_driver(self._namespaces), DRIVER_ID,
                                                   rego_compat=False)
        except RegoParseError as exc:  # pragma: no cover - the driver is ours
            raise self._compile_error({DRIVER_ID: list(exc.errors)}) from exc

    def _compile_error(self, errors: Mapping[str, list[dict[str, Any]]]) -> PolicyCompileError:
        """file:line:col messages; root causes first, follow-on errors only counted.

        When a library module does not compile, every module calling it also fails with
        "undefined function": those are noise next to the real error."""
        primary: list[tuple[str, str]] = []
        follow_on: list[tuple[str, str]] = []
        for module_id, errs in errors.items():
            for err in errs:
                loc = err.get("location") or {}
                file = loc.get("file") or module_id
                where = f"{self.policy_dir / file}:{loc.get('row', '?')}"
                msg = str(err.get("message", ""))
                text = f"{where}:{loc.get('col', '?')}: {err.get('code', 'error')}: {msg}"
                if msg.startswith(("undefined function", "error limit reached")):
                    follow_on.append((where, text))
                else:
                    primary.append((where, text))
        shown = primary or follow_on[:20]
        lines = list(dict.fromkeys(t for _, t in shown))
        if primary and follow_on:
            files = len({w.rsplit(":", 1)[0] for w, _ in follow_on})
            lines.append(f"(+ {len(follow_on)} follow-on 'undefined function' errors in {files} modules "
                         f"that use the ones above)")
        return PolicyCompileError(
            f"policies in {self.policy_dir} do not compile:\n  " + "\n  ".join(lines),
            list(dict.fromkeys(w for w, _ in shown)))

    # --- evaluation ---------------------------------------------------------------------
    @property
    def namespaces(self) -> list[str]:
        return list(self._namespaces or [])

    def evaluate(self, namespace: str, documents: Sequence[Mapping[str, Any]]) -> list[Evaluation]:
        """Evaluate package ``namespace`` once per document (conftest's per-document mode)."""
        return self._evaluate(namespace, "docs", [_jsonable(d) for d in documents])

    def evaluate_combined(self, namespace: str,
                          sets: Sequence[Sequence[Mapping[str, Any]]],
                          paths: Sequence[str] | None = None) -> list[Evaluation]:
        """Evaluate ``namespace`` once per set of documents, each presented as conftest's
        ``--combine`` input ``[{path, contents}]`` (one entry per document)."""
        inputs = []
        for i, docs in enumerate(sets):
            path = paths[i] if paths else f"set-{i}.yaml"
            inputs.append([{"path": path, "contents": _jsonable(d)} for d in docs])
        return self._evaluate(namespace, "sets", inputs)

    def _evaluate(self, namespace: str, key: str, inputs: list[Any]) -> list[Evaluation]:
        if namespace not in self.namespaces:  # no such package: nothing to report
            return [Evaluation() for _ in inputs]
        out: list[Evaluation] = []
        size = self.batch_size if key == "docs" else max(1, self.batch_size // 20)
        for start in range(0, len(inputs), size):
            chunk = inputs[start:start + size]
            rows = self._query({key: {namespace: chunk}})[namespace][key]
            out.extend(_evaluation(row) for row in rows)
        return out

    def _query(self, input_data: Mapping[str, Any]) -> Mapping[str, Any]:
        if not self.running or self._client is None:
            raise OpaError("OPA is not running (use OpaServer as a context manager)")
        import requests  # with opa_client: only when OPA is actually queried

        self.requests += 1
        try:
            resp = self._client.query_rule(input_data=input_data, package_path=DRIVER_PACKAGE,
                                           rule_name="out")
        except requests.HTTPError as exc:
            body = exc.response.text[:2000] if exc.response is not None else ""
            raise OpaError(f"OPA evaluation failed: {exc}: {body}") from exc
        except requests.RequestException as exc:
            raise OpaError(f"OPA at {self.url} did not answer: {exc}; log: {self._log_tail()}") from exc
        if "result" not in resp:
            raise OpaError(f"OPA returned no result for data.{DRIVER_PACKAGE}.out: {resp}")
        return resp["result"]


def _evaluation(row: Mapping[str, Any]) -> Evaluation:
    excepted = set(row.get("exception") or ())
    in_force = {e.get("id"): e for e in row.get("exemptions") or () if isinstance(e, Mapping)}
    results: list[RuleResult] = []
    exemptions: list[Exemption] = []
    for rule in sorted(row.get("rules") or {}):
        values = row["rules"][rule]
        suffix = rule_suffix(rule)
        parsed = [_result(rule, v) for v in values]
        if suffix and suffix in excepted:
            rid = parsed[0].id if parsed else rule_id(rule)
            info = in_force.get(rid, {})
            exemptions.append(Exemption(rule=suffix, id=rid, reason=info.get("reason", ""),
                                        expires=info.get("expires", ""),
                                        source=info.get("source", ""), suppressed=len(parsed)))
            continue
        results.extend(parsed)
    return Evaluation(results=tuple(results), exemptions=tuple(exemptions))


def _result(rule: str, value: Any) -> RuleResult:
    if isinstance(value, str):
        return RuleResult(rule=rule, id=rule_id(rule), message=value)
    if isinstance(value, Mapping):
        meta = {k: v for k, v in value.items() if k not in ("msg", "_loc")}
        return RuleResult(rule=rule, id=str(meta.get("id") or rule_id(rule)),
                          message=str(value.get("msg", "")), resource=str(meta.get("resource", "")),
                          path=str(meta.get("path", "")), metadata=meta)
    return RuleResult(rule=rule, id=rule_id(rule), message=json.dumps(value))
