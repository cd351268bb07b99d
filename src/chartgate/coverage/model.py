"""Template coverage over a run: the renderer's coverage plan (probes of each template)
and the hits of every scenario's render, summed into lines, branches and defines.

A probe is a block of a template (the file's body, a ``define`` body, an arm of
``if``/``with``/``range``) or an arm of a ``default``/``ternary``/``coalesce`` input that
is a plain field. Branch arms share a group; a template line is covered when a block that
contains code on it ran.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Probe:
    id: int
    file: str  # chart-relative: templates/deployment.yaml (charts/sub/templates/x.yaml)
    line: int
    kind: str  # file, define, then, else, body, empty, set, unset
    cond: str  # `if .Values.x`, `.Values.x | default "a"`, the define's name
    group: int  # branch group; -1: not a branch
    arm: int
    explicit_else: bool
    lines: tuple[int, ...]
    needs_cluster: bool = False  # the condition depends on lookup (empty under helm template)

    @property
    def is_branch(self) -> bool:
        return self.group >= 0


@dataclass(frozen=True)
class ValueRead:
    path: str  # dotted path under .Values ("" = .Values itself; "[]" = a list element)
    file: str
    line: int
    whole: bool  # the value itself is used (printed, passed to a function)
    write: bool = False  # set/unset of this key by the template itself


@dataclass
class Plan:
    """What the renderer instrumented in one chart (``renderer/coverage.go``)."""

    id: str
    sources: dict[str, str]  # chart-relative file → source text
    not_instrumented: dict[str, str]  # file → why
    probes: list[Probe]
    reads: list[ValueRead]

    @classmethod
    def from_json(cls, plan_id: str, data: Mapping[str, Any]) -> Plan:
        def rel(name: str) -> str:  # helm's "clockwork/templates/x.yaml" → "templates/x.yaml"
            return name.split("/", 1)[1] if "/" in name else name

        sources, skipped = {}, {}
        for f in data.get("files") or []:
            sources[rel(f["name"])] = f["source"]
            if not f.get("instrumented"):
                skipped[rel(f["name"])] = f.get("reason", "")
        probes = [Probe(p["id"], rel(p["file"]), p["line"], p["kind"], p.get("cond", ""), p["group"],
                        p["arm"], bool(p.get("explicit_else")), tuple(p.get("lines") or ()),
                        bool(p.get("needs_cluster")))
                  for p in data.get("probes") or []]
        reads = [ValueRead(r["path"], rel(r["file"]), r["line"], bool(r["whole"]), bool(r.get("write")))
                 for r in data.get("reads") or []]
        return cls(plan_id, sources, skipped, probes, reads)


@dataclass
class BranchArm:
    probe: Probe
    hits: int
    scenarios: int


@dataclass
class FileCoverage:
    file: str
    source: str
    lines: dict[int, int] = field(default_factory=dict)  # line → hits (max over its blocks)
    arms: list[BranchArm] = field(default_factory=list)
    # arms never taken whose condition depends on lookup: no render without a cluster can
    # take them, so they are listed but not counted
    unreachable: list[BranchArm] = field(default_factory=list)
    defines: list[tuple[str, int, int]] = field(default_factory=list)  # (name, line, hits)
    instrumented: bool = True

    @property
    def lines_total(self) -> int:
        return len(self.lines)

    @property
    def lines_hit(self) -> int:
        return sum(1 for h in self.lines.values() if h > 0)

    @property
    def arms_total(self) -> int:
        return len(self.arms)

    @property
    def arms_hit(self) -> int:
        return sum(1 for a in self.arms if a.hits > 0)

    def line_rate(self) -> float:
        return self.lines_hit / len(self.lines) if self.lines else 1.0

    def branch_rate(self) -> float:
        return self.arms_hit / len(self.arms) if self.arms else 1.0


@dataclass
class TemplateCoverage:
    """Coverage of one chart's templates over the scenarios of a run."""

    chart: str  # chart directory as given (for report paths)
    plan: Plan
    scenarios: int
    files: list[FileCoverage]

    def _sum(self, name: str) -> int:
        return sum(int(getattr(f, name)) for f in self.files)

    # totals over the files: lines and branch arms, instrumented and hit
    lines_total = property(lambda self: self._sum("lines_total"))
    lines_hit = property(lambda self: self._sum("lines_hit"))
    arms_total = property(lambda self: self._sum("arms_total"))
    arms_hit = property(lambda self: self._sum("arms_hit"))

    def branch_percent(self) -> float:
        return 100.0 * self.arms_hit / self.arms_total if self.arms_total else 100.0

    def line_percent(self) -> float:
        return 100.0 * self.lines_hit / self.lines_total if self.lines_total else 100.0

    def uncovered(self) -> list[BranchArm]:
        return [a for f in self.files for a in f.arms if a.hits == 0]

    def unreachable(self) -> list[BranchArm]:
        """Arms not counted: never taken, and only a cluster (lookup) could take them."""
        return [a for f in self.files for a in f.unreachable]


def aggregate(chart: str, plan: Plan, hits_per_scenario: Iterable[Mapping[int, int]]) -> TemplateCoverage:
    """Sum the scenarios' hits over ``plan``."""
    total: dict[int, int] = {}
    seen: dict[int, int] = {}
    n = 0
    for hits in hits_per_scenario:
        n += 1
        for pid, c in hits.items():
            total[pid] = total.get(pid, 0) + c
            seen[pid] = seen.get(pid, 0) + 1
    files: dict[str, FileCoverage] = {}
    for name in sorted(plan.sources):
        files[name] = FileCoverage(name, plan.sources[name], instrumented=name not in plan.not_instrumented)
    for p in plan.probes:
        fc = files.setdefault(p.file, FileCoverage(p.file, ""))
        h = total.get(p.id, 0)
        for ln in p.lines:
            fc.lines[ln] = max(fc.lines.get(ln, 0), h)
        if p.kind == "define":
            fc.defines.append((p.cond, p.line, h))
        if p.is_branch:
            arms = fc.unreachable if h == 0 and p.needs_cluster else fc.arms
            arms.append(BranchArm(p, h, seen.get(p.id, 0)))
    for fc in files.values():
        fc.arms.sort(key=lambda a: (a.probe.line, a.probe.group, a.probe.arm))
        fc.unreachable.sort(key=lambda a: (a.probe.line, a.probe.group, a.probe.arm))
        fc.defines.sort(key=lambda d: (d[1], d[0]))
        fc.lines = dict(sorted(fc.lines.items()))
    return TemplateCoverage(chart, plan, n, [files[k] for k in sorted(files)])


def describe(arm: BranchArm) -> str:
    """``templates/deployment.yaml:54: else of "if .Values.x" never taken``."""
    p = arm.probe
    word = p.cond.split(" ", 1)[0]
    if p.kind == "then":
        what = f'"{p.cond}" never taken'
    elif p.kind == "else":
        what = f'else of "{p.cond}" never taken' if p.explicit_else else f'"{p.cond}" never skipped'
    elif p.kind == "body":
        what = f'"{p.cond}" never iterated'
    elif p.kind == "empty":
        what = (f'else of "{p.cond}" never taken' if p.explicit_else
                else f'"{p.cond}" never over an empty collection')
    elif p.kind == "unset":
        what = (f'"{p.cond}": its input is never false' if word == "ternary"
                else f'"{p.cond}": its input is never empty (the fallback is never used)')
    elif p.kind == "set":
        what = (f'"{p.cond}": its input is never true' if word == "ternary"
                else f'"{p.cond}": its input is never set (only the fallback is used)')
    else:
        what = f'"{p.cond}" never run'
    return f"{p.file}:{p.line}: {what}"
