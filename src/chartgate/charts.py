"""Charts as a maintainer has them: finding them under a path (one chart or a monorepo),
the scenarios a chart brings by itself, its dependencies, and splitting the work of many
charts into CI shards.

- :func:`find_charts` — a path that is a chart is that chart; otherwise every directory
  below it holding a ``Chart.yaml`` (chart-testing's ``charts/<name>/`` layout and deeper
  ones; a chart's own directory is not searched further, so its ``charts/`` subcharts and
  ``file://`` sources beside it are not charts of their own). Library charts are found but
  not rendered alone (Helm cannot install them); the charts that depend on them render them.
- :func:`chart_scenarios` — what ``helm template`` and chart-testing would check with no
  configuration: the chart's defaults, and one scenario per ``ci/*-values.yaml``.
- :func:`render_path` — a chart whose dependencies are all in ``charts/`` renders where it
  is; one with missing ``file://`` dependencies renders from a copy in the cache where
  ``helm dependency build`` ran offline (the maintainer's tree is never written to); a
  missing remote dependency is an error naming it.
- :func:`changed_charts` — chart-testing's ``list-changed``: charts with a file changed
  since the merge base of a ref and HEAD, with the ``Chart.yaml`` version bump check.
- :func:`shard` — the deterministic K-of-N split of work units.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import yaml

from chartgate import cache
from chartgate.render import chart_digest
from chartgate.render_args import DEFAULT_NAMESPACE, DEFAULT_RELEASE, TemplateArgs
from chartgate.scenario import ALL_STAGES, Expectations, Scenario
from chartgate.semver import version_bumped
from chartgate.tools import git
from chartgate.tools.helm import Helm

T = TypeVar("T")
_SKIP_DIRS = {".git", ".tox", ".venv", "node_modules", "__pycache__"}


class ChartError(ValueError):
    """A chart cannot be found, read or prepared; the message names the file and key."""


@dataclass(frozen=True)
class Dependency:
    """One entry of ``Chart.yaml``'s ``dependencies``."""

    name: str
    version: str
    repository: str
    alias: str = ""

    @property
    def local(self) -> bool:
        """A ``file://`` dependency: a directory beside the chart, built from source."""
        return self.repository.startswith("file://")


@dataclass(frozen=True)
class Chart:
    """One chart directory and what its ``Chart.yaml`` says."""

    path: Path  # resolved chart directory
    name: str
    version: str
    type: str = "application"  # or "library": never rendered on its own
    dependencies: tuple[Dependency, ...] = ()

    @property
    def library(self) -> bool:
        return self.type == "library"

    @classmethod
    def load(cls, path: Path) -> Chart:
        path = path.resolve()
        file = path / "Chart.yaml"
        try:
            raw = yaml.safe_load(file.read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise ChartError(f"{file}: cannot read the chart: {exc}") from exc
        if not isinstance(raw, dict) or not raw.get("name"):
            raise ChartError(f"{file}: not a chart (no `name`)")
        deps = []
        for i, d in enumerate(raw.get("dependencies") or []):
            if not isinstance(d, dict) or not d.get("name"):
                raise ChartError(f"{file}: dependencies[{i}] has no `name`")
            deps.append(Dependency(name=str(d["name"]), version=str(d.get("version", "")),
                                   repository=str(d.get("repository", "") or ""),
                                   alias=str(d.get("alias", "") or "")))
        return cls(path=path, name=str(raw["name"]), version=str(raw.get("version", "")),
                   type=str(raw.get("type") or "application"), dependencies=tuple(deps))


def find_charts(path: Path) -> list[Chart]:
    """The chart at ``path``, or every chart below it (sorted by path)."""
    path = path.resolve()
    if not path.exists():
        raise ChartError(f"{path}: no such file or directory")
    if (path / "Chart.yaml").is_file():
        return [Chart.load(path)]
    found: list[Chart] = []

    def walk(d: Path) -> None:
        for sub in sorted(p for p in d.iterdir() if p.is_dir()):
            if sub.name in _SKIP_DIRS or sub.name.startswith("."):
                continue
            if (sub / "Chart.yaml").is_file():
                found.append(Chart.load(sub))
            else:
                walk(sub)

    if path.is_dir():
        walk(path)
    if not found:
        raise ChartError(f"{path}: no Helm chart here (no Chart.yaml in it or below it)")
    return found


def label(chart: Chart, charts: Sequence[Chart]) -> str:
    """How results name the chart: its name, or its path when two charts share a name."""
    if sum(c.name == chart.name for c in charts) > 1:
        common = Path(*_common_parts([c.path for c in charts]))
        return chart.path.relative_to(common).as_posix()
    return chart.name


def _common_parts(paths: Sequence[Path]) -> tuple[str, ...]:
    parts = [p.parts for p in paths]
    out = []
    for group in zip(*parts, strict=False):
        if len(set(group)) != 1:
            break
        out.append(group[0])
    return tuple(out)


def ci_values(chart: Path) -> list[Path]:
    """chart-testing's convention: ``ci/*-values.yaml``, one install/lint per file."""
    return sorted((chart / "ci").glob("*-values.yaml"))


# --- the scenarios a chart brings -------------------------------------------------------------
def _covers(given: Sequence[Scenario], chart: Path, values: tuple[str, ...]) -> bool:
    """A given scenario already renders ``chart`` with exactly these values files and no ``set``."""
    return any(s.chart.resolve() == chart and tuple(s.args.values_files) == values and not s.args.set_json
               for s in given)


@dataclass(frozen=True)
class ChartDefaults:
    """Template inputs the CLI gives every scenario it makes."""

    release: str = DEFAULT_RELEASE
    namespace: str = DEFAULT_NAMESPACE
    kube_version: str | None = None
    api_versions: tuple[str, ...] = ()
    external_objects: tuple[str, ...] = ()  # "Kind/name" the cluster provides (policy data)
    stages: tuple[str, ...] = field(default=tuple(s for s in ALL_STAGES if s != "snapshot"))


def chart_scenarios(chart: Chart, prefix: str = "", defaults: ChartDefaults | None = None,
                    given: Sequence[Scenario] = ()) -> list[Scenario]:
    """The chart's defaults and one scenario per ``ci/*-values.yaml``, named
    ``<prefix>defaults`` and ``<prefix>ci/<file stem>``; one that a ``given`` scenario
    already covers (same chart, same values files, no ``set``) is left out. They run every
    stage but ``snapshot`` (a generated scenario has no reviewed snapshot to compare with)."""
    d = defaults or ChartDefaults()
    out = []
    for values in [None, *ci_values(chart.path)]:
        files = (str(values),) if values else ()
        if _covers(given, chart.path, files):
            continue
        name = f"{prefix}ci/{values.stem}" if values else f"{prefix}defaults"
        args = TemplateArgs(release=d.release, namespace=d.namespace, values_files=files,
                            kube_version=d.kube_version, api_versions=d.api_versions)
        desc = f"{chart.name} with {values.relative_to(chart.path)}" if values else f"{chart.name} defaults"
        out.append(Scenario(name=name, file=values or chart.path / "Chart.yaml", chart=chart.path,
                            description=desc, args=args, expect=Expectations(snapshot=False),
                            stages=d.stages, external_objects=d.external_objects))
    return out


# --- dependencies ------------------------------------------------------------------------------
def _vendored(chart: Path) -> set[str]:
    """Names of the subcharts in ``charts/`` (directories and ``.tgz`` archives)."""
    names: set[str] = set()
    sub = chart / "charts"
    if not sub.is_dir():
        return names
    for p in sub.iterdir():
        if p.is_dir() and (p / "Chart.yaml").is_file():
            names.add(Chart.load(p).name)
        elif p.name.endswith((".tgz", ".tar.gz")):
            names.add(_archive_name(p))
    return names


def _archive_name(archive: Path) -> str:
    try:
        with tarfile.open(archive) as tar:
            for m in tar.getmembers():
                parts = m.name.split("/")
                if len(parts) == 2 and parts[1] == "Chart.yaml":
                    f = tar.extractfile(m)
                    raw = yaml.safe_load(f.read()) if f else None
                    return str((raw or {}).get("name") or parts[0])
    except (tarfile.TarError, OSError, yaml.YAMLError) as exc:
        raise ChartError(f"{archive}: not a packaged chart: {exc}") from exc
    raise ChartError(f"{archive}: not a packaged chart (no <name>/Chart.yaml inside)")


def missing_dependencies(chart: Chart) -> list[Dependency]:
    have = _vendored(chart.path)
    return [d for d in chart.dependencies if d.name not in have]


def _local_source(chart: Chart, dep: Dependency) -> Path:
    src = (chart.path / dep.repository[len("file://"):]).resolve()
    if not (src / "Chart.yaml").is_file():
        raise ChartError(f"{chart.path / 'Chart.yaml'}: dependency {dep.name!r} points at "
                         f"{dep.repository}, but {src} holds no Chart.yaml")
    return src


def render_path(chart: Chart, helm: Helm | None = None) -> Path:
    """Where ``chart`` renders from: itself, or a cache copy with its ``file://``
    dependencies built (see the module docstring)."""
    missing = missing_dependencies(chart)
    if not missing:
        return chart.path
    remote = [d for d in missing if not d.local]
    if remote:
        names = ", ".join(f"{d.name} {d.version} from {d.repository or '(no repository)'}" for d in remote)
        raise ChartError(
            f"{chart.path / 'Chart.yaml'}: dependencies not in charts/ and not local: {names}. "
            "chartgate builds dependencies offline: vendor them (run `helm dependency build` where "
            "the repository is reachable and keep charts/*.tgz) or point `repository` at a file:// path")
    sources = {d.name: _local_source(chart, d) for d in missing}
    h = hashlib.sha256(chart_digest(chart.path).encode())
    for name in sorted(sources):
        h.update(name.encode() + b"\0" + chart_digest(sources[name]).encode())
    dest = cache.subdir("charts") / h.hexdigest()[:24] / chart.path.name
    if (dest / ".chartgate-complete").is_file():
        return dest
    tmp = dest.parent / f".{chart.path.name}.{os.getpid()}.{threading.get_ident()}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(chart.path, tmp, symlinks=True)
    raw = yaml.safe_load((tmp / "Chart.yaml").read_text())
    for d in raw.get("dependencies") or []:
        if d.get("name") in sources:  # the copy lives elsewhere: file:// paths made absolute
            d["repository"] = f"file://{sources[d['name']]}"
    (tmp / "Chart.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    (tmp / "Chart.lock").unlink(missing_ok=True)  # its digest is of the original Chart.yaml
    (helm or Helm()).dependency_build(tmp)
    (tmp / ".chartgate-complete").write_text(str(chart.path) + "\n")
    # another process may have finished the same copy meanwhile (and may be reading it)
    if (dest / ".chartgate-complete").is_file():
        shutil.rmtree(tmp, ignore_errors=True)
        return dest
    shutil.rmtree(dest, ignore_errors=True)  # an unfinished copy
    try:
        tmp.replace(dest)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not (dest / ".chartgate-complete").is_file():
            raise
    return dest


# --- monorepos: what changed, and shards -------------------------------------------------------
@dataclass(frozen=True)
class Changed:
    chart: Chart
    files: tuple[str, ...]
    old_version: str | None  # None: the chart is new since the base
    bumped: bool

    def problem(self) -> str:
        """Why chart-testing would refuse the change ("" = fine)."""
        if self.old_version is None or self.bumped:
            return ""
        rel = "Chart.yaml"
        return (f"{rel} version {self.chart.version} is not greater than {self.old_version} at the "
                f"base, but the chart changed: bump `version` in {self.chart.path / rel}")


def changed_charts(charts: Sequence[Chart], base: str) -> list[Changed]:
    """Charts with a file changed since the merge base of ``base`` and HEAD (committed,
    staged, unstaged or untracked), chart-testing's ``list-changed``; each with whether
    its ``Chart.yaml`` version went up."""
    if not charts:
        return []
    repo = git.toplevel(charts[0].path)
    merge_base = git.merge_base(repo, base)
    out = []
    for c in charts:
        rel = c.path.relative_to(repo).as_posix()
        files = git.changed_files(repo, merge_base, [rel])
        if not files:
            continue
        old_text = git.show(repo, merge_base, f"{rel}/Chart.yaml")
        old = str((yaml.safe_load(old_text) or {}).get("version", "")) if old_text is not None else None
        bumped = old is None or version_bumped(old, c.version)
        out.append(Changed(chart=c, files=tuple(files), old_version=old, bumped=bumped))
    return out


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/3"`` → ``(2, 3)``; shards count from 1."""
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard {text!r}: expected K/N, e.g. 1/2") from None
    if n < 1 or not 1 <= k <= n:
        raise ValueError(f"--shard {text!r}: K must be between 1 and N")
    return k, n


def shard(units: Sequence[T], k: int, n: int) -> list[T]:
    """Units ``k-1``, ``k-1+n``, ``k-1+2n`` … of ``units`` (already in a stable order): every
    unit in exactly one shard, shard sizes differing by at most one."""
    return [u for i, u in enumerate(units) if i % n == k - 1]
