"""Helm commands as a chart's docs print them (e.g. ``deploy/README.md``).

A scenario that claims to run "the documented command" finds it in the docs' fenced code
blocks by its beginning and splits it like a shell would, so the test runs what a reader
copies and fails when the docs change the command under it. Example: the line

    helm install clockwork ./deploy/helm/clockwork -f deploy/helm/clockwork/values-dev.yaml \
        -n clockwork --create-namespace

becomes ``HelmCommand(action="install", release="clockwork", values_files=("values-dev.yaml",),
namespace="clockwork", create_namespace=True, wait=False)``. The release itself is then
driven through :class:`chartgate.e2e.release.Release` (the helm wrapper builds the argv).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


class DocsError(AssertionError):
    """A documented command is missing, ambiguous or uses a flag this parser does not know."""


def code_lines(doc: Path) -> list[str]:
    """The stripped lines inside the fenced code blocks of a Markdown file."""
    out: list[str] = []
    fenced = False
    for line in doc.read_text().splitlines():
        text = line.strip()
        if text.startswith("```"):
            fenced = not fenced
            continue
        if fenced and text:
            out.append(text)
    return out


def documented(doc: Path, prefix: str) -> str:
    """The one code line of ``doc`` starting with ``prefix`` (several identical lines count
    once); an error naming the file if there is none or more than one."""
    found = sorted({ln for ln in code_lines(doc) if ln.startswith(prefix)})
    if len(found) != 1:
        raise DocsError(f"{doc}: expected one command starting with {prefix!r} in a code block, "
                        f"found {len(found)}: {found}")
    return found[0]


@dataclass(frozen=True)
class HelmCommand:
    """A documented ``helm install|upgrade RELEASE CHART [flags]`` line."""

    line: str
    action: str
    release: str
    chart: str
    namespace: str | None = None
    values_files: tuple[str, ...] = ()  # file names inside the chart directory
    sets: tuple[str, ...] = ()  # --set KEY=VALUE, in order
    create_namespace: bool = False
    wait: bool = False

    @classmethod
    def parse(cls, line: str, chart_path: str | None = None) -> HelmCommand:
        """Parse one documented line; with ``chart_path`` (e.g. ``./deploy/helm/clockwork``)
        the command must name exactly that chart. Values files must be in the chart's directory."""
        argv = shlex.split(line)
        if len(argv) < 4 or argv[0] != "helm" or argv[1] not in ("install", "upgrade"):
            raise DocsError(f"not a `helm install|upgrade RELEASE CHART` command: {line}")
        action, release, chart = argv[1:4]
        if chart_path is not None and chart != chart_path:
            raise DocsError(f"documented chart path {chart!r} is not {chart_path!r}: {line}")
        namespace: str | None = None
        files: list[str] = []
        sets: list[str] = []
        create_ns = wait = False
        rest = argv[4:]
        i = 0
        while i < len(rest):
            flag = rest[i]
            value = rest[i + 1] if i + 1 < len(rest) else None
            if flag in ("-f", "--values", "-n", "--namespace", "--set") and value is None:
                raise DocsError(f"{flag} without a value: {line}")
            if flag in ("-f", "--values"):
                path = PurePosixPath(str(value))
                if path.parent != PurePosixPath(chart):
                    raise DocsError(f"values file {value} is not in the chart directory {chart}: {line}")
                files.append(path.name)
                i += 2
            elif flag in ("-n", "--namespace"):
                namespace = value
                i += 2
            elif flag == "--set":
                sets.append(str(value))
                i += 2
            elif flag == "--create-namespace":
                create_ns = True
                i += 1
            elif flag == "--wait" or flag.startswith("--wait="):
                wait = True
                i += 1
            else:
                raise DocsError(f"flag {flag!r} of the documented command is not understood: {line}")
        return cls(line, action, release, chart, namespace, tuple(files), tuple(sets), create_ns, wait)

    def set_args(self, *more: str) -> list[str]:
        """``--set`` arguments: the documented ones, then ``more`` (later wins in Helm)."""
        return [a for kv in (*self.sets, *more) for a in ("--set", kv)]


def documented_helm(docs: list[Path], prefix: str, chart_path: str | None = None) -> HelmCommand:
    """The command starting with ``prefix``, which every file in ``docs`` must print
    identically (e.g. deploy/README.md and docs/deployment.md match command by command);
    ``chart_path`` as in :meth:`HelmCommand.parse`."""
    lines = {doc: documented(doc, prefix) for doc in docs}
    if len(set(lines.values())) != 1:
        raise DocsError("the docs print different commands for "
                        f"{prefix!r}: " + "; ".join(f"{d}: {ln}" for d, ln in lines.items()))
    return HelmCommand.parse(next(iter(lines.values())), chart_path)
