"""Shared helpers for the policy tests: the fixture corpus, rendered scenarios, and
running real conftest on the same files (parity)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

from chartgate.manifests import ManifestSet, parse
from chartgate.policy.engine import ScenarioPolicy
from chartgate.tools.conftest import Conftest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
POLICIES = ROOT / "src" / "chartgate" / "policies"
DATA = POLICIES / "data"
FIXTURES = HERE / "fixtures"
SCENARIOS = ROOT / "tests" / "scenarios"
CHART = ROOT / "deploy" / "helm" / "clockwork"

_HEADER = re.compile(r"^#[ \t]*expect(-warn|-exempt)?:[ \t]*(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Fixture:
    name: str
    path: Path
    deny: frozenset[str]
    warn: frozenset[str]
    exempt: frozenset[str]
    manifests: ManifestSet

    @property
    def ids(self) -> frozenset[str]:
        return self.deny | self.warn


def load_fixture(path: Path) -> Fixture:
    text = path.read_text()
    head = text.split("\n---", 1)[0]
    found: dict[str, frozenset[str]] = {"": frozenset(), "-warn": frozenset(), "-exempt": frozenset()}
    seen = False
    for m in _HEADER.finditer(head):
        seen = seen or m.group(1) is None
        found[m.group(1) or ""] = frozenset(i.strip() for i in m.group(2).split(",") if i.strip())
    if not seen:
        raise ValueError(f"{path}: no `# expect:` header")
    return Fixture(path.stem, path, found[""], found["-warn"], found["-exempt"], parse(text))


def fixtures() -> list[Fixture]:
    return [load_fixture(p) for p in sorted(FIXTURES.glob("*.yaml"))]


def external_data(directory: Path, external: Sequence[str]) -> Path:
    """A conftest ``--data`` directory declaring ``external`` ("Kind/name") as
    ``chartgate.external_objects`` — what a scenario's externalObjects give chartgate."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "external.yaml").write_text(
        yaml.safe_dump({"chartgate": {"external_objects": list(external)}})
    )
    return directory


def conftest_keys(
    conftest: Conftest,
    files: Mapping[str, Path],
    workers: int = 4,
    data: Mapping[str, Path] | None = None,
) -> dict[str, set[tuple[str, str, str]]]:
    """``{label: {(severity, id, Kind/name)}}`` from real ``conftest test``: one process for
    package main over every file, one ``--combine`` process per file (``--combine``
    merges all given files into one input), given ``data[label]`` as one more ``--data``."""
    by_file = {str(p): label for label, p in files.items()}
    out: dict[str, set[tuple[str, str, str]]] = {label: set() for label in files}
    for r in conftest.test(list(files.values()), namespace="main"):
        if r.severity != "exception":
            out[by_file[r.file]].add(r.key)

    def combined(label: str) -> tuple[str, set[tuple[str, str, str]]]:
        extra = (data or {}).get(label)
        tool = Conftest(conftest.policy_dirs, [*conftest.data, extra], conftest.binary) if extra else conftest
        res = tool.test([files[label]], namespace="combine", combine=True)
        return label, {r.key for r in res if r.severity != "exception"}

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for label, keys in pool.map(combined, list(files)):
            out[label] |= keys
    return out


def chartgate_keys(result: ScenarioPolicy) -> set[tuple[str, str, str]]:
    return {(h.severity, h.id, h.object) for h in result.hits if h.severity in ("deny", "warn")}


def diff(label: str, ours: Iterable[tuple[str, str, str]], theirs: Iterable[tuple[str, str, str]]) -> str:
    ours, theirs = set(ours), set(theirs)
    lines = [f"{label}: chartgate and conftest disagree"]
    for k in sorted(ours - theirs):
        lines.append(f"  only chartgate: {k[0]:5} {k[1]:12} {k[2]}")
    for k in sorted(theirs - ours):
        lines.append(f"  only conftest:  {k[0]:5} {k[1]:12} {k[2]}")
    lines.append(
        f"  both ({len(ours & theirs)}): " + ", ".join(f"{k[1]} {k[2]}" for k in sorted(ours & theirs))
    )
    return "\n".join(lines)
