"""Render once: every scenario goes through ``helm template`` exactly once per run.

Results are cached on disk, keyed by a hash of the chart's files, the template inputs
(values files' contents included) and the helm version, so an unchanged chart re-renders
nothing (the parsed documents are cached beside the text, so a warm run parses no YAML).
Renders run in parallel; every stage reads the same :class:`Rendered`. Identical inputs
in flight at the same time render once.

Rendering goes through ``helm template`` or, when available, the persistent renderer
(:mod:`chartgate.tools.renderer`: the same Helm SDK in one long-lived process, byte-identical
output, no process per scenario). ``backend=`` / ``CHARTGATE_RENDER_BACKEND`` choose.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import pickle
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from chartgate import cache
from chartgate.manifests import ManifestSet, parse
from chartgate.render_args import TemplateArgs
from chartgate.results_cache import body_key, remember_body_keys
from chartgate.scenario import Scenario
from chartgate.tools.helm import Helm, HelmError
from chartgate.util.files import atomic_write

log = logging.getLogger("chartgate.render")

# bump when ManifestSet/Document change shape: old pickles are then ignored
PARSED_FORMAT = "1"


@dataclass
class Rendered:
    """One scenario's render: manifests, or Helm's error."""

    scenario: Scenario
    manifests: ManifestSet | None
    error: str | None
    seconds: float
    cache_hit: bool
    # with coverage on: the coverage plan the probe ids refer to, and probe id → times run
    coverage_plan: str = ""
    coverage_hits: dict[int, int] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def chart_digest(chart: Path) -> str:
    """Hash of every file in the chart directory (names + contents)."""
    h = hashlib.sha256()
    for f in sorted(p for p in chart.rglob("*") if p.is_file()):
        rel = f.relative_to(chart).as_posix()
        if rel.startswith("tests/") or "/__snapshot__/" in f"/{rel}":
            continue  # helm-unittest suites do not change what renders
        h.update(rel.encode() + b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


class Renderer:
    """Renders scenarios through one :class:`Helm` (or the persistent renderer standing in
    for it), with a disk cache and a run-level memo."""

    def __init__(self, helm: Helm | None = None, cache_dir: Path | None = None,
                 use_cache: bool = True, workers: int | None = None,
                 backend: str | None = None, coverage: bool = False) -> None:
        self.helm = helm or Helm()
        self.cache_dir = cache_dir or cache.subdir("render")
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.use_cache = use_cache
        self.workers = workers or max(2, (os.cpu_count() or 2))
        self.backend = backend  # auto | persistent | helm (None: $CHARTGATE_RENDER_BACKEND or auto)
        self._chart_digests: dict[Path, str] = {}
        self._files: dict[str, bytes] = {}
        self._keys: dict[tuple[Path, TemplateArgs], str] = {}
        self._packing: list[threading.Event] = []  # packs being written (wait_packed)
        self._version: str | None = None
        self._memo: dict[str, Rendered] = {}
        self._inflight: dict[str, Future[Rendered]] = {}
        self._lock = threading.Lock()
        self._fast: object | None = None  # PersistentRenderer, created on the first real render
        self._fast_checked = False
        self.renders = 0  # renders actually done: helm processes or persistent-renderer requests
        # template coverage: every render instrumented (needs the persistent renderer)
        self.coverage = coverage
        if coverage:
            self.backend = "persistent"

    @property
    def persistent(self) -> object | None:
        """The persistent renderer in use (``None``: one ``helm template`` per render)."""
        with self._lock:
            if not self._fast_checked:
                self._fast_checked = True
                from chartgate.tools import renderer as fast

                self._fast = fast.for_helm(self.helm, self.backend, workers=os.cpu_count())
            return self._fast

    def close(self) -> None:
        """Stop the persistent renderer, if one was started (it is also stopped at exit)."""
        fast, self._fast = self._fast, None
        if fast is not None:
            fast.close()  # type: ignore[attr-defined]

    def _digest(self, chart: Path) -> str:
        if chart not in self._chart_digests:
            self._chart_digests[chart] = chart_digest(chart)
        return self._chart_digests[chart]

    def key(self, chart: Path, args: TemplateArgs) -> str:
        """The render cache's key: the chart's files, helm's version, the template inputs
        and the values files' contents (computed once per renderer and input)."""
        memo = self._keys.get((chart, args))
        if memo is None:
            memo = self._keys[(chart, args)] = self._key(chart, args)
        return memo

    def _key(self, chart: Path, args: TemplateArgs) -> str:
        h = hashlib.sha256()
        h.update(self._digest(chart).encode())
        h.update(self._helm_version().encode())
        # TemplateArgs' fields are flat (strings, tuples): the same JSON as asdict(), without
        # its recursive copies
        fields = {f.name: getattr(args, f.name) for f in dataclasses.fields(args)}
        h.update(json.dumps(fields, sort_keys=True, default=str).encode())
        for vf in args.values_files:
            h.update(self._file_bytes(vf))
        return h.hexdigest()[:32]

    def _file_bytes(self, path: str) -> bytes:
        """A values file's content, read once per renderer (matrix scenarios share files)."""
        data = self._files.get(path)
        if data is None:
            data = self._files[path] = Path(path).read_bytes()
        return data

    def _helm_version(self) -> str:
        """``helm version``, remembered on disk per binary (path, size, mtime): asking helm
        costs a process start on every run, a large part of a warm run."""
        if self._version is None:
            memo = None
            if type(self.helm) is Helm and self.helm.binary is not None:
                binary = Path(self.helm.binary).resolve()
                with contextlib.suppress(OSError):
                    st = binary.stat()
                    memo = self.cache_dir / "helm-version" / hashlib.sha256(
                        f"{binary}\0{st.st_size}\0{st.st_mtime_ns}".encode()).hexdigest()[:32]
            if memo is not None and self.use_cache and memo.is_file():
                self._version = memo.read_text()
            else:
                self._version = self.helm.version
                if memo is not None and self.use_cache:
                    memo.parent.mkdir(parents=True, exist_ok=True)
                    atomic_write(memo, self._version)
        return self._version

    def _template(self, chart: Path, args: TemplateArgs) -> str:
        fast = self.persistent
        if fast is not None:
            from chartgate.tools.renderer import RendererError

            try:
                return fast.template(chart, args)  # type: ignore[attr-defined]
            except RendererError as exc:
                log.warning("persistent renderer failed (%s); rendering with helm", exc)
        return self.helm.template(chart, args)

    def render(self, scenario: Scenario) -> Rendered:
        key = self.key(scenario.chart, scenario.args)
        with self._lock:
            memo = self._memo.get(key)
            if memo is None:
                waiting = self._inflight.get(key)
                if waiting is None:
                    mine: Future[Rendered] = Future()
                    self._inflight[key] = mine
        if memo is not None:
            return dataclasses.replace(memo, scenario=scenario, seconds=0.0, cache_hit=True)
        if waiting is not None:  # the same inputs are being rendered by another thread
            first = waiting.result()
            return dataclasses.replace(first, scenario=scenario, seconds=0.0, cache_hit=True)
        try:
            result = self._render(scenario, key)
        except BaseException as exc:
            with self._lock:
                self._inflight.pop(key, None)
            mine.set_exception(exc)
            raise
        with self._lock:
            self._memo[key] = result
            self._inflight.pop(key, None)
        mine.set_result(result)
        return result

    def _render(self, scenario: Scenario, key: str) -> Rendered:
        t0 = time.perf_counter()
        hit = False
        text = err = None
        manifests: ManifestSet | None = None
        out_file = self.cache_dir / f"{key}.yaml"
        err_file = self.cache_dir / f"{key}.err"
        parsed_file = self.cache_dir / f"{key}.p{PARSED_FORMAT}.pickle"
        if self.coverage:
            return self._render_covered(scenario, key, t0)
        if self.use_cache and out_file.exists():
            text, hit = out_file.read_text(), True
            manifests = _load_parsed(parsed_file, text)
        elif self.use_cache and err_file.exists():
            err, hit = err_file.read_text(), True
        else:
            try:
                with self._lock:
                    self.renders += 1
                text = self._template(scenario.chart, scenario.args)
                if self.use_cache:
                    atomic_write(out_file, text)
            except HelmError as exc:
                err = exc.message
                if self.use_cache:
                    atomic_write(err_file, err)
        if text is not None and manifests is None:
            manifests = parse(text)
            if self.use_cache:
                atomic_write(parsed_file, pickle.dumps(manifests, pickle.HIGHEST_PROTOCOL))
        return Rendered(scenario, manifests, err, time.perf_counter() - t0, hit)

    def _render_covered(self, scenario: Scenario, key: str, t0: float) -> Rendered:
        """An instrumented render (or its cached text, error and hits: the cache entry is
        keyed by the renderer's source too, since that decides the probes)."""
        from chartgate.tools import renderer as fast

        cov_file = self.cache_dir / f"{key}.cov-{fast.source_hash()}.json"
        if self.use_cache and cov_file.exists():
            data = json.loads(cov_file.read_text())
            text, err, plan = data["text"], data["error"], data["plan"]
            hits = {int(k): v for k, v in data["hits"].items()}
            hit = True
        else:
            pr = self.persistent
            if pr is None:
                raise RuntimeError("template coverage needs the persistent renderer: "
                                   "`chartgate tools install renderer` (Go)")
            with self._lock:
                self.renders += 1
            out = pr.template_covered(scenario.chart, scenario.args)  # type: ignore[attr-defined]
            text, plan, hits, hit = out.text, out.plan, out.hits, False
            err = out.error.message if out.error is not None else None
            if self.use_cache:
                atomic_write(cov_file, json.dumps({"text": text, "error": err, "plan": plan,
                                                   "hits": {str(k): v for k, v in sorted(hits.items())}}))
        manifests = parse(text) if text is not None else None
        return Rendered(scenario, manifests, err, time.perf_counter() - t0, hit, plan, hits)

    def coverage_plan(self, chart: Path) -> tuple[str, dict[str, object]]:
        """The coverage plan of ``chart`` (probes, value reads, sources) from the renderer."""
        pr = self.persistent
        if pr is None:
            raise RuntimeError("template coverage needs the persistent renderer: "
                               "`chartgate tools install renderer` (Go)")
        return pr.coverage_plan(chart)  # type: ignore[attr-defined]

    def _pool_size(self) -> int:
        if self._fast is not None or (not self._fast_checked and _may_use_persistent(self.backend)):
            # requests in flight keep the renderer's cores busy while Python parses
            return max(self.workers, 2 * (os.cpu_count() or 2))
        return self.workers

    def render_all(self, scenarios: Iterable[Scenario]) -> dict[str, Rendered]:
        out = {name: future.result() for name, future in self.submit_all(scenarios).items()}
        self.wait_packed()
        return out

    def wait_packed(self) -> None:
        """Wait until the packs of finished runs are written (a run's last render writes it)."""
        with self._lock:
            packing, self._packing = self._packing, []
        for written in packing:
            written.wait()

    def submit_all(self, scenarios: Iterable[Scenario]) -> dict[str, Future[Rendered]]:
        """Start rendering ``scenarios`` in the background, in order; each result when it is
        ready (the caller goes on with other work meanwhile). The whole set comes from its
        pack when an earlier run rendered exactly these inputs (see :meth:`_load_pack`)."""
        items = list(scenarios)
        pack = None
        if self.use_cache and not self.coverage and items:
            try:
                pack = self._pack_file([self.key(s.chart, s.args) for s in items])
            except OSError:  # a values file that cannot be read: its render reports it
                pack = None
            if pack is not None and self._load_pack(pack, items):
                pack = None  # nothing new to write
        pool = ThreadPoolExecutor(max_workers=self._pool_size(), thread_name_prefix="chartgate-render")
        try:
            futures = {s.name: pool.submit(self.render, s) for s in items}
        finally:
            pool.shutdown(wait=False)  # the queued renders still run
        if pack is not None:
            self._write_pack_when_done(pack, list(futures.values()))
        return futures

    # --- the pack: one file holding every render of a run ---------------------------------
    # A warm run reads one pickle instead of two files per scenario, and identical documents
    # of different scenarios come back as one object (a matrix repeats most of its documents),
    # with the digest every stage keys its results by (results_cache.body_key).
    PACKS_KEPT = 8

    def _pack_file(self, keys: Iterable[str]) -> Path:
        h = hashlib.sha256(f"pack\0{PARSED_FORMAT}\0".encode())
        for key in sorted(set(keys)):
            h.update(key.encode() + b"\0")
        return self.cache_dir / "packs" / f"{h.hexdigest()[:32]}.pickle"

    def _load_pack(self, file: Path, items: list[Scenario]) -> bool:
        """Put the pack's renders into this run's memo; False if there is none (or it does
        not hold every scenario's render)."""
        try:
            data = pickle.loads(file.read_bytes())
        except Exception:
            return False
        if not (isinstance(data, dict) and data.get("format") == PARSED_FORMAT):
            return False
        renders = data.get("renders")
        if not isinstance(renders, dict):
            return False
        keyed = [(self.key(s.chart, s.args), s) for s in items]
        if any(key not in renders for key, _ in keyed):
            return False
        remember_body_keys(data.get("body_keys") or ())
        with self._lock:
            for key, sc in keyed:
                manifests, error = renders[key]
                self._memo.setdefault(key, Rendered(sc, manifests, error, 0.0, True))
        return True

    def _write_pack_when_done(self, file: Path, futures: list[Future[Rendered]]) -> None:
        left = [len(futures)]
        lock = threading.Lock()
        written = threading.Event()
        with self._lock:
            self._packing.append(written)

        def done(_f: Future[Rendered]) -> None:
            with lock:
                left[0] -= 1
                if left[0]:
                    return
            try:
                if all(f.exception() is None for f in futures):
                    self._write_pack(file, futures)
            finally:
                written.set()

        for f in futures:
            f.add_done_callback(done)

    def _write_pack(self, file: Path, futures: list[Future[Rendered]]) -> None:
        """Pack every render of ``futures`` (finished, none failed) into ``file``."""
        renders: dict[str, tuple[ManifestSet | None, str | None]] = {}
        bodies: dict[int, object] = {}
        for f in futures:
            r = f.result()
            renders[self.key(r.scenario.chart, r.scenario.args)] = (r.manifests, r.error)
            for doc in r.manifests or ():
                bodies.setdefault(id(doc.body), doc.body)
        body_keys = [(body, body_key(body)) for body in bodies.values()]
        try:
            atomic_write(file, pickle.dumps({"format": PARSED_FORMAT, "renders": renders,
                                             "body_keys": body_keys}, pickle.HIGHEST_PROTOCOL))
            olds = sorted(file.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
            for old in olds[self.PACKS_KEPT:]:
                old.unlink(missing_ok=True)
        except OSError as exc:  # a cache that cannot be written only costs the next run time
            log.warning("render pack %s not written: %s", file, exc)


def _may_use_persistent(backend: str | None) -> bool:
    from chartgate.tools import renderer as fast

    try:
        return fast.wanted_backend(backend) != "helm"
    except ValueError:
        return False


def _load_parsed(file: Path, text: str) -> ManifestSet | None:
    """The cached parse of ``text`` (written by this renderer), or ``None`` to parse again."""
    try:
        data = pickle.loads(file.read_bytes())
    except Exception:
        return None
    if not isinstance(data, ManifestSet) or data.raw != text:
        return None
    return data
