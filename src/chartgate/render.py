"""Render once: every scenario goes through ``helm template`` exactly once per run.

Results are cached on disk, keyed by a hash of the chart's files, the template inputs
(values files' contents included) and the helm version, so an unchanged chart re-renders
nothing. Renders run in parallel; every stage reads the same :class:`Rendered`.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from chartgate import cache
from chartgate.manifests import ManifestSet, parse
from chartgate.scenario import Scenario
from chartgate.tools.helm import Helm, HelmError, TemplateArgs


@dataclass
class Rendered:
    """One scenario's render: manifests, or Helm's error."""

    scenario: Scenario
    manifests: ManifestSet | None
    error: str | None
    seconds: float
    cache_hit: bool

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
    """Renders scenarios through one :class:`Helm`, with a disk cache and a run-level memo."""

    def __init__(self, helm: Helm | None = None, cache_dir: Path | None = None,
                 use_cache: bool = True, workers: int | None = None) -> None:
        self.helm = helm or Helm()
        self.cache_dir = cache_dir or cache.subdir("render")
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.use_cache = use_cache
        self.workers = workers or max(2, (os.cpu_count() or 2))
        self._chart_digests: dict[Path, str] = {}
        self._memo: dict[str, Rendered] = {}
        self._lock = threading.Lock()
        self.renders = 0  # helm processes actually spawned (for tests and benchmarks)

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

    def render(self, scenario: Scenario) -> Rendered:
        key = self.key(scenario.chart, scenario.args)
        with self._lock:
            if key in self._memo:
                memo = self._memo[key]
                return Rendered(scenario, memo.manifests, memo.error, 0.0, True)
        t0 = time.perf_counter()
        hit = False
        text = err = None
        out_file = self.cache_dir / f"{key}.yaml"
        err_file = self.cache_dir / f"{key}.err"
        if self.use_cache and out_file.exists():
            text, hit = out_file.read_text(), True
        elif self.use_cache and err_file.exists():
            err, hit = err_file.read_text(), True
        else:
            try:
                with self._lock:
                    self.renders += 1
                text = self.helm.template(scenario.chart, scenario.args)
                if self.use_cache:
                    _atomic_write(out_file, text)
            except HelmError as exc:
                err = exc.message
                if self.use_cache:
                    _atomic_write(err_file, err)
        manifests = parse(text) if text is not None else None
        result = Rendered(scenario, manifests, err, time.perf_counter() - t0, hit)
        with self._lock:
            self._memo[key] = result
        return result

    def render_all(self, scenarios: Iterable[Scenario]) -> dict[str, Rendered]:
        items = list(scenarios)
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            results = list(pool.map(self.render, items))
        return {s.name: r for s, r in zip(items, results, strict=True)}


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)
