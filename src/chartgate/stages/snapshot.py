"""Snapshot stage: each scenario's manifests, normalised and written as stable YAML to
``tests/snapshots/<scenario>.yaml``, compared on every run.

* Volatile fields are normalised before comparing: ``checksum/*`` annotations, the
  ``helm.sh/chart`` label (changes with every version bump), Secret ``data`` /
  ``stringData`` values (generated passwords, certificates), plus any extra
  ``(kind, path)`` the caller names.
* ``update=True`` (``--update-snapshots``) rewrites snapshots and deletes obsolete ones.
* CI mode (``CI=true`` or ``ci=True``): a missing snapshot is a failure, and so is an
  obsolete snapshot file that no scenario owns. Outside CI a missing snapshot is written
  and reported as a NOTE; an obsolete one is a WARNING.
* A mismatch fails with a unified diff.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from chartgate.manifests import ManifestSet, PathError, parse_path
from chartgate.render import Rendered
from chartgate.report.model import Finding, Severity
from chartgate.stages.common import render_failed
from chartgate.util.ci import in_ci
from chartgate.util.files import atomic_write

STAGE = "snapshot"
NORMALISED = "<normalised>"
DEFAULT_DIR = Path("tests/snapshots")
HEADER = "# chartgate snapshot of scenario {name!r}; update with --update-snapshots\n"


def snapshot_filename(scenario: str) -> str:
    """A filename-safe, collision-free name: ``matrix[db=ext,tls=on]`` →
    ``matrix_db_ext_tls_on-1a2b3c4d.yaml`` (the hash is added only when characters had to
    be replaced)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", scenario).strip("_.") or "scenario"
    if safe != scenario:
        safe += "-" + hashlib.sha1(scenario.encode()).hexdigest()[:8]
    return safe + ".yaml"


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str)


def _set_path(body: Any, path: str, value: Any) -> None:
    """Replace the value at ``path`` if it exists (``*`` as a key matches every key)."""
    try:
        parts = parse_path(path)
    except PathError:
        return

    def walk(node: Any, rest: list[Any]) -> None:
        if not rest:
            return
        head, tail = rest[0], rest[1:]
        if head == "*" and isinstance(node, dict):
            keys = list(node)
        elif ((isinstance(head, int) and isinstance(node, list) and -len(node) <= head < len(node))
              or (isinstance(head, str) and isinstance(node, dict) and head in node)):
            keys = [head]
        else:
            return
        for k in keys:
            if tail:
                walk(node[k], tail)
            else:
                node[k] = value

    walk(body, parts)


def _normalise_annotations(node: Any) -> None:
    """``checksum/*`` annotations anywhere (pod templates included)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "annotations" and isinstance(v, dict):
                for ak in v:
                    if str(ak).startswith("checksum/"):
                        v[ak] = NORMALISED
            else:
                _normalise_annotations(v)
    elif isinstance(node, list):
        for x in node:
            _normalise_annotations(x)


def _normalise_labels(node: Any) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("labels", "matchLabels") and isinstance(v, dict) and "helm.sh/chart" in v:
                v["helm.sh/chart"] = re.sub(r"-v?\d+\.\d+\.\d+\S*$", "-<version>", str(v["helm.sh/chart"]))
            else:
                _normalise_labels(v)
    elif isinstance(node, list):
        for x in node:
            _normalise_labels(x)


def normalise(body: Mapping[str, Any], extra: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """A copy of ``body`` with volatile fields replaced by ``<normalised>``."""
    out: dict[str, Any] = copy.deepcopy(dict(body))
    _normalise_annotations(out)
    _normalise_labels(out)
    if out.get("kind") == "Secret":
        for field in ("data", "stringData"):
            if isinstance(out.get(field), dict):
                out[field] = {k: NORMALISED for k in out[field]}
    for kind, path in extra:
        if kind in ("*", out.get("kind")):
            _set_path(out, path, NORMALISED)
    return out


def snapshot_text(scenario: str, manifests: ManifestSet, extra: Sequence[tuple[str, str]] = ()) -> str:
    """Stable YAML: documents in render order, keys sorted, a ``# Source:`` line each."""
    chunks = [HEADER.format(name=scenario)]
    for doc in manifests:
        body = yaml.dump(normalise(doc.body, extra), Dumper=_Dumper, sort_keys=True,
                         default_flow_style=False, allow_unicode=True, width=100)
        source = f"# Source: {doc.template}\n" if doc.source else ""
        chunks.append(f"---\n{source}{body}")
    return "".join(chunks)


def unified_diff(old: str, new: str, name: str) -> str:
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 fromfile=f"{name} (snapshot)", tofile=f"{name} (rendered)", n=3)
    return "".join(lines)


class SnapshotStage:
    name = STAGE

    def __init__(self, directory: Path | None = None, update: bool = False, ci: bool | None = None,
                 volatile: Sequence[tuple[str, str]] = ()) -> None:
        self.directory = directory or DEFAULT_DIR
        self.update = update
        self.ci = in_ci() if ci is None else ci
        self.volatile = tuple(volatile)
        self.scenarios: set[str] = set()  # scenarios that own a snapshot, for obsolete detection
        self.opted_out: set[str] = set()  # scenarios with `snapshot: false` (their files are obsolete)

    def path_for(self, scenario: str) -> Path:
        return self.directory / snapshot_filename(scenario)

    def prepare(self, rendered: Mapping[str, Rendered]) -> None:
        """Remember every scenario that owns a snapshot (for :meth:`obsolete`)."""
        for r in rendered.values():
            takes = r.scenario.expect.snapshot and r.scenario.wants(self.name)
            (self.scenarios if takes else self.opted_out).add(r.scenario.name)

    def check(self, rendered: Rendered) -> list[Finding]:
        scenario = rendered.scenario
        if not scenario.expect.snapshot:
            return []
        if rendered.manifests is None:
            return render_failed(self.name, rendered)
        self.scenarios.add(scenario.name)
        file = self.path_for(scenario.name)
        text = snapshot_text(scenario.name, rendered.manifests, self.volatile)

        def finding(rule: str, message: str, severity: Severity = Severity.ERROR) -> Finding:
            return Finding(stage=self.name, rule=rule, message=message, severity=severity,
                           scenario=scenario.name, template=str(file.resolve()))

        if not file.exists():
            if self.ci and not self.update:
                return [finding("missing", f"no snapshot {file} (CI mode: snapshots must be committed; "
                                           f"run with --update-snapshots and commit it)")]
            self._write(file, text)
            return [finding("written", f"snapshot {file} did not exist and was written; commit it",
                            Severity.NOTE)]
        old = file.read_text()
        if old == text:
            return []
        if self.update:
            self._write(file, text)
            return [finding("updated", f"snapshot {file} updated", Severity.NOTE)]
        diff = unified_diff(old, text, file.name)
        return [finding("mismatch", f"rendered manifests differ from snapshot {file} "
                                    f"(run with --update-snapshots if intended):\n{diff}")]

    def obsolete(self, scenarios: Iterable[str] | None = None) -> list[Finding]:
        """Snapshot files no scenario owns: failures in CI, deleted in update mode,
        warnings otherwise. ``scenarios`` defaults to the names seen by :meth:`prepare`
        and :meth:`check`."""
        names = set(scenarios) if scenarios is not None else self.scenarios
        if not self.directory.is_dir():
            return []
        wanted = {snapshot_filename(n) for n in names}
        out = []
        for file in sorted(self.directory.glob("*.yaml")):
            if file.name in wanted:
                continue
            if self.update:
                file.unlink()
                out.append(Finding(stage=self.name, rule="obsolete", severity=Severity.NOTE,
                                   template=str(file.resolve()),
                                   message=f"obsolete snapshot {file} deleted (no scenario owns it)"))
                continue
            severity = Severity.ERROR if self.ci else Severity.WARNING
            out.append(Finding(stage=self.name, rule="obsolete", severity=severity,
                               template=str(file.resolve()),
                               message=f"obsolete snapshot {file}: no scenario owns it "
                                       f"(delete it or run with --update-snapshots)"))
        return out

    def finish(self, scenarios: Iterable[str]) -> list[Finding]:
        """Run-level check (the gate calls it once, with every scenario name): obsolete
        snapshots. Scenarios that opted out of snapshots do not own a file."""
        return self.obsolete([n for n in scenarios if n not in self.opted_out])

    @staticmethod
    def _write(file: Path, text: str) -> None:
        atomic_write(file, text)
