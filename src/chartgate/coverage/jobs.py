"""The helm-unittest suites' renders, for template coverage.

helm-unittest renders every test job itself; with coverage on and the ``unittest`` stage
in the run, each job is rendered once more by the persistent renderer as helm-unittest
renders it (``renderer/coverage.go`` unittestRender: the suite's templates and every
partial, its release defaults and capabilities, the job's values and chart versions) with
the templates instrumented, and its hits join the scenarios' (:func:`chartgate.coverage.
collect`). helm-unittest still runs the suites and alone decides whether they pass.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from chartgate.render import Renderer
from chartgate.stages.unittest import JobNote, RenderJob, render_jobs


@dataclass(frozen=True)
class JobRender:
    """One job's instrumented render: ``chart`` is the chart as the run's scenarios name it."""

    chart: Path
    job: RenderJob
    plan: str
    hits: dict[int, int]
    error: str  # the engine's error when the render failed ("" when it rendered)


@dataclass
class UnittestRenders:
    renders: list[JobRender] = field(default_factory=list)
    notes: list[tuple[Path, JobNote]] = field(default_factory=list)  # jobs not rendered here, per chart

    def add(self, other: UnittestRenders) -> None:
        self.renders += other.renders
        self.notes += other.notes


def render(renderer: Renderer, chart: Path, render_from: Path | None = None,
           key: Path | None = None) -> UnittestRenders:
    """Every job of ``chart``'s suites rendered through ``renderer``'s persistent renderer
    (``render_from``: the chart copy whose dependencies are built, as the unittest stage
    uses; ``key``: the chart path the run's scenarios render, default ``render_from``)."""
    pr = renderer.persistent
    if pr is None or not hasattr(pr, "unittest_covered"):
        raise RuntimeError("template coverage needs the persistent renderer: "
                           "set CHARTGATE_RENDER_BACKEND=persistent or auto")
    jobs, notes = render_jobs(chart)
    src = (render_from or chart).resolve()
    key = (key or src).resolve()

    def one(job: RenderJob) -> JobRender:
        got = pr.unittest_covered(src, job.request())
        return JobRender(key, job, got.plan, got.hits, got.error.message if got.error else "")

    workers = max(1, min(8, len(jobs)))
    with ThreadPoolExecutor(workers, thread_name_prefix="chartgate-unittest-cov") as pool:
        renders = list(pool.map(one, jobs))  # map keeps the suites' order
    return UnittestRenders(renders, [(key, n) for n in notes])
