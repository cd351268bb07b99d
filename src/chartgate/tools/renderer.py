"""The persistent renderer: ``helm template`` for many scenarios in one process.

``chartgate/renderer/`` (a small Go program shipped as package data, built against the Helm SDK at
exactly the version ``versions.toml`` pins for ``helm``) renders charts the way
``helm template`` does — same engine, values merging (``--values``, ``--set-json``),
``--kube-version``, ``--api-versions``, ``--is-upgrade``, ``--show-only``, release and
namespace, values-schema validation, ``# Source:`` comments, hooks included, NOTES
excluded — over a JSON-lines protocol on stdin/stdout, concurrently on every core.
Spawning ``helm`` costs ≈ 40–100 ms per scenario; a render in the long-lived process costs a
few milliseconds. ``tests/unit/test_renderer_parity.py`` proves byte-identical output (and
identical error text) to ``helm template`` for every scenario of ``tests/scenarios``.

:class:`PersistentRenderer` quacks like :class:`chartgate.tools.helm.Helm` for rendering
(``version`` and ``template(chart, args)``, raising :class:`HelmError` with the text helm
would print), so :class:`chartgate.render.Renderer` can use either.

The binary is built with :func:`chartgate.tools.go.build_local` into
``$CHARTGATE_CACHE/bin/renderer-<source hash>/``; ``CHARTGATE_RENDERER`` overrides its
path. Which backend the renderer uses: ``CHARTGATE_RENDER_BACKEND`` = ``auto`` (default:
the persistent renderer when it is built, else helm), ``persistent`` (build it if needed)
or ``helm`` (one ``helm template`` process per scenario — the reference).
"""

from __future__ import annotations

import atexit
import hashlib
import itertools
import json
import logging
import os
import threading
import weakref
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chartgate import cache, proc
from chartgate.render_args import TemplateArgs
from chartgate.tools import go
from chartgate.tools.helm import HelmError, clean_error
from chartgate.tools.versions import tool
from chartgate.util.files import atomic_output
from chartgate.util.gogc import server_env

log = logging.getLogger("chartgate.renderer")

BINARY = "chartgate-renderer"
BACKENDS = ("auto", "persistent", "helm")
ENV_BACKEND = "CHARTGATE_RENDER_BACKEND"


class RendererError(RuntimeError):
    """The persistent renderer could not be built, started, or died (not a chart error)."""


def source_dir() -> Path:
    """The renderer's Go source: ``renderer/`` inside the installed ``chartgate`` package
    (package data, so a wheel carries it as well as an editable install)."""
    return Path(__file__).resolve().parents[1] / "renderer"


def _source_files(src: Path) -> list[Path]:
    return sorted([*src.glob("*.go"), src / "go.mod", src / "go.sum"])


def source_hash(src: Path | None = None) -> str:
    src = src or source_dir()
    h = hashlib.sha256()
    for f in _source_files(src):
        if f.is_file():
            h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def binary_path(src: Path | None = None) -> Path:
    override = os.environ.get("CHARTGATE_RENDERER")
    if override:
        return Path(override)
    return cache.root() / "bin" / f"renderer-{source_hash(src)}" / BINARY


def is_built(src: Path | None = None) -> bool:
    src = src or source_dir()
    if os.environ.get("CHARTGATE_RENDERER"):
        return binary_path(src).is_file()
    return (src / "go.mod").is_file() and binary_path(src).is_file()


def ensure(src: Path | None = None, stream: bool = False) -> Path:
    """The renderer binary, built from :func:`source_dir` if missing."""
    src = src or source_dir()
    out = binary_path(src)
    if out.is_file():
        return out
    if not (src / "go.mod").is_file():
        raise RendererError(f"no renderer source at {src} "
                            "(the chartgate package was installed without its package data?)")
    try:
        with atomic_output(out) as tmp:
            go.build_local(src, ".", tmp, stream=stream)
    except Exception as exc:
        raise RendererError(f"building the persistent renderer failed: {exc}") from exc
    return out


def wanted_backend(explicit: str | None = None) -> str:
    choice = (explicit or os.environ.get(ENV_BACKEND) or "auto").strip().lower()
    if choice not in BACKENDS:
        raise ValueError(f"{ENV_BACKEND}={choice!r}: expected one of {', '.join(BACKENDS)}")
    return choice


_LIVE: weakref.WeakSet[PersistentRenderer] = weakref.WeakSet()


def _close_all() -> None:
    for r in list(_LIVE):
        r.close()


atexit.register(_close_all)


class PersistentRenderer:
    """One long-lived renderer process; thread-safe (requests are matched by id)."""

    def __init__(self, binary: Path | None = None, workers: int | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.binary = binary or ensure()
        self.workers = workers or max(1, os.cpu_count() or 1)
        self.env = dict(env or {})
        self._proc: Any = None
        self._lock = threading.Lock()
        self._pending: dict[int, Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._reader: threading.Thread | None = None
        self._version: str | None = None
        self.requests = 0
        _LIVE.add(self)

    # --- process lifecycle ---------------------------------------------------------------
    def _start(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        self._proc = proc.start_pipe([self.binary, f"-workers={self.workers}"], env=server_env(self.env))
        self._reader = threading.Thread(target=self._read_loop, args=(self._proc,), daemon=True,
                                        name="chartgate-renderer-reader")
        self._reader.start()

    def _read_loop(self, p: Any) -> None:
        for line in p.stdout:
            try:
                msg = json.loads(line)
            except json.JSONDecodeError:
                continue
            with self._lock:
                fut = self._pending.pop(msg.get("id"), None)
            if fut is not None:
                fut.set_result(msg)
        # EOF: the process is gone; fail whatever still waits
        with self._lock:
            pending, self._pending = self._pending, {}
        for fut in pending.values():
            fut.set_exception(RendererError(f"the persistent renderer exited (code {p.poll()})"))

    def close(self) -> None:
        p, self._proc = self._proc, None
        if p is None:
            return
        try:
            if p.stdin:
                p.stdin.close()
            p.wait(5)
        except Exception:
            proc.stop(p)
        if p.stdout:
            p.stdout.close()

    def __enter__(self) -> PersistentRenderer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- requests ------------------------------------------------------------------------
    def _call(self, payload: dict[str, Any], timeout: float = 600) -> dict[str, Any]:
        fut: Future[dict[str, Any]] = Future()
        line = None
        with self._lock:
            self._start()
            rid = next(self._ids)
            payload = {**payload, "id": rid}
            self._pending[rid] = fut
            line = (json.dumps(payload) + "\n").encode()
            try:
                self._proc.stdin.write(line)
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError) as exc:
                self._pending.pop(rid, None)
                raise RendererError(f"the persistent renderer is not running: {exc}") from exc
            self.requests += 1
        return fut.result(timeout)

    @property
    def version(self) -> str:
        """The Helm SDK version the renderer was built with (``v4.3.1``)."""
        if self._version is None:
            self._version = str(self._call({"op": "version"}).get("stdout", ""))
        return self._version

    def template(self, chart: Path, args: TemplateArgs) -> str:
        """What ``helm template RELEASE CHART <args>`` prints, or its :class:`HelmError`."""
        msg = self._call(request(chart, args))
        if msg.get("ok"):
            return str(msg.get("stdout", ""))
        raise HelmError("template", clean_error("Error: " + str(msg.get("error", ""))))

    def template_covered(self, chart: Path, args: TemplateArgs) -> CoveredRender:
        """:meth:`template` with the templates instrumented: the same text or error, plus
        how often each probe of the chart's coverage plan ran."""
        msg = self._call({**request(chart, args), "coverage": True})
        hits = {int(k): int(v) for k, v in (msg.get("coverage") or {}).items()}
        if msg.get("ok"):
            return CoveredRender(str(msg.get("stdout", "")), None, str(msg.get("plan", "")), hits)
        err = HelmError("template", clean_error("Error: " + str(msg.get("error", ""))))
        return CoveredRender(None, err, str(msg.get("plan", "")), hits)

    def unittest_covered(self, chart: Path, job: dict[str, Any]) -> CoveredRender:
        """One helm-unittest test job's render (``job``: :meth:`chartgate.stages.unittest.
        RenderJob.request`) as helm-unittest makes it, with the templates instrumented."""
        msg = self._call({"op": "unittest-job", "chart": str(chart), "job": job})
        hits = {int(k): int(v) for k, v in (msg.get("coverage") or {}).items()}
        if msg.get("ok"):
            return CoveredRender(str(msg.get("stdout", "")), None, str(msg.get("plan", "")), hits)
        return CoveredRender(None, HelmError("template", str(msg.get("error", ""))),
                             str(msg.get("plan", "")), hits)

    def coverage_plan(self, chart: Path) -> tuple[str, dict[str, Any]]:
        """The chart's coverage plan: ``(plan id, {"files", "probes", "reads"})`` (see
        ``renderer/coverage.go``)."""
        msg = self._call({"op": "coverage-plan", "chart": str(chart)})
        if not msg.get("ok"):
            raise RendererError(f"coverage plan of {chart}: {msg.get('error')}")
        return str(msg.get("plan", "")), json.loads(str(msg.get("stdout", "{}")))


@dataclass(frozen=True)
class CoveredRender:
    """One instrumented render: the text or the error ``helm template`` gives, the coverage
    plan the probe ids refer to, and probe id → times it ran (probes that never ran are
    absent)."""

    text: str | None
    error: HelmError | None
    plan: str
    hits: dict[int, int]


def request(chart: Path, args: TemplateArgs) -> dict[str, Any]:
    """The protocol request for one render (mirrors :func:`chartgate.tools.helm.template_argv`)."""
    return {
        "chart": str(chart),
        "release": args.release,
        "namespace": args.namespace,
        "values": list(args.values_files),
        "set_json": [f"{k}={v}" for k, v in args.set_json],
        "kube_version": args.kube_version or "",
        "api_versions": list(args.api_versions),
        "is_upgrade": args.is_upgrade,
        "show_only": list(args.show_only),
    }


def pinned_helm_version() -> str:
    """The helm version ``versions.toml`` pins (the renderer's go.mod must match it)."""
    return tool("helm").version


def for_helm(helm: Any, backend: str | None = None, workers: int | None = None) -> PersistentRenderer | None:
    """A persistent renderer that may stand in for ``helm``, or ``None`` (use helm itself).

    Only for the real pinned Helm 4 (not Helm 3, not a test double), and only when the
    renderer's Helm SDK version equals helm's own version."""
    choice = wanted_backend(backend)
    if choice == "helm":
        return None
    from chartgate.tools.helm import Helm

    if type(helm) is not Helm or helm.tool != "helm" or helm.env:
        if choice == "persistent":
            log.warning("persistent renderer not used: only for the pinned Helm 4 binary")
        return None
    if choice == "auto" and not is_built():
        return None
    try:
        r = PersistentRenderer(workers=workers)
        if r.version != helm.version.split("+")[0]:
            log.warning("persistent renderer built with Helm %s, helm is %s: using helm",
                        r.version, helm.version)
            r.close()
            return None
        return r
    except (RendererError, proc.ProcessError, OSError) as exc:
        if choice == "persistent":
            raise
        log.warning("persistent renderer unavailable (%s): using helm", exc)
        return None
