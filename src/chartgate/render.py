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
from dataclasses import asdict, dataclass
from pathlib import Path

from chartgate import cache
from chartgate.manifests import ManifestSet, parse
from chartgate.render_args import TemplateArgs
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
        h = hashlib.sha256()
        h.update(self._digest(chart).encode())
        h.update(self.helm.version.encode())
        h.update(json.dumps(asdict(args), sort_keys=True, default=str).encode())
        for vf in args.values_files:
            h.update(Path(vf).read_bytes())
        return h.hexdigest()[:32]

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
        items = list(scenarios)
        with ThreadPoolExecutor(max_workers=self._pool_size()) as pool:
            results = list(pool.map(self.render, items))
        return {s.name: r for s, r in zip(items, results, strict=True)}

    def submit_all(self, scenarios: Iterable[Scenario]) -> dict[str, Future[Rendered]]:
        """Start rendering ``scenarios`` in the background, in order; each result when it is
        ready (the caller goes on with other work meanwhile)."""
        pool = ThreadPoolExecutor(max_workers=self._pool_size(), thread_name_prefix="chartgate-render")
        try:
            return {s.name: pool.submit(self.render, s) for s in scenarios}
        finally:
            pool.shutdown(wait=False)  # the queued renders still run


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
