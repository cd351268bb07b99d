"""The chart an upgrade starts from (``--base``): a git ref of the repository the chart
lives in, a chart directory, or a packaged chart (``.tgz``).

A git ref or a package is extracted once into ``$CHARTGATE_CACHE/upgrade-base/<content
id>/`` (the git tree id, or the package's SHA-256), so the render cache — keyed by chart
content — serves a repeated run with the same base without rendering again.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from chartgate import cache
from chartgate.tools import git


class BaseChartError(ValueError):
    """``--base`` names nothing usable; the message says what was tried."""


@dataclass(frozen=True)
class BaseChart:
    path: Path  # chart directory (holds Chart.yaml)
    label: str  # how reports name it: "HEAD~1 (deploy/helm/clockwork at 1a2b3c4)"


def resolve(spec: str, chart: Path) -> BaseChart:
    """The base chart ``spec`` names, for the working-tree chart ``chart``."""
    candidate = Path(spec).expanduser()
    if candidate.is_file() and candidate.name.endswith((".tgz", ".tar.gz")):
        return _from_package(candidate.resolve())
    if candidate.is_dir():
        if not (candidate / "Chart.yaml").is_file():
            raise BaseChartError(f"--base {spec}: directory has no Chart.yaml")
        return BaseChart(candidate.resolve(), f"directory {candidate}")
    return _from_git(spec, chart.resolve())


def _extract(archive: Path, dest: Path) -> None:
    with tarfile.open(archive) as tar:
        if sys.version_info >= (3, 11, 4):
            tar.extractall(dest, filter="data")
        else:  # pragma: no cover - older 3.11 patch releases
            tar.extractall(dest)  # our own git archive or a chart package


def _publish(work: Path, chart_dir: Path, dest: Path) -> None:
    """Move the extracted chart into the cache atomically (a concurrent run may win)."""
    final = dest / "chart"
    if final.is_dir():
        return
    staged = dest / f".chart.{work.name}"
    shutil.move(str(chart_dir), staged)
    try:
        staged.rename(final)
    except OSError:
        shutil.rmtree(staged, ignore_errors=True)


def _from_git(ref: str, chart: Path) -> BaseChart:
    try:
        repo = git.toplevel(chart)
    except git.GitError as exc:
        raise BaseChartError(f"--base {ref}: not a chart directory or .tgz, and {chart} is not in a "
                             f"git repository ({exc})") from exc
    rel = chart.relative_to(repo.resolve()).as_posix()
    try:
        tree = git.tree_id(repo, ref, rel)
    except git.GitError as exc:
        raise BaseChartError(f"--base {ref}: no chart at {rel} in git ref {ref!r} of {repo} "
                             "(is the ref fetched? in CI use a full clone: fetch-depth 0)") from exc
    dest = cache.subdir("upgrade-base", tree)
    if not (dest / "chart" / "Chart.yaml").is_file():
        with tempfile.TemporaryDirectory(dir=dest) as tmp:
            work = Path(tmp)
            git.archive(repo, ref, rel, work / "chart.tar")
            _extract(work / "chart.tar", work / "x")
            _publish(work, work / "x" / rel, dest)
    return BaseChart(dest / "chart", f"{ref} ({rel} at tree {tree[:10]})")


def _from_package(package: Path) -> BaseChart:
    digest = hashlib.sha256(package.read_bytes()).hexdigest()[:32]
    dest = cache.subdir("upgrade-base", f"pkg-{digest}")
    if not (dest / "chart" / "Chart.yaml").is_file():
        with tempfile.TemporaryDirectory(dir=dest) as tmp:
            work = Path(tmp)
            try:
                _extract(package, work / "x")
            except tarfile.TarError as exc:
                raise BaseChartError(f"--base {package}: not a chart package: {exc}") from exc
            tops = [p for p in (work / "x").iterdir() if (p / "Chart.yaml").is_file()]
            if len(tops) != 1:
                raise BaseChartError(f"--base {package}: expected one chart directory with a "
                                     f"Chart.yaml at the top of the package, found {len(tops)}")
            _publish(work, tops[0], dest)
    return BaseChart(dest / "chart", f"package {package.name}")
