"""Kubernetes' own Pod Security Admission as a test oracle: the Go program under
``psa-oracle/`` (built once through :mod:`chartgate.tools.go`, cached by its sources and
the Go toolchain) evaluates a whole corpus in one process, JSON lines in and out."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chartgate import cache, proc
from chartgate.tools import go
from chartgate.tools.versions import section, tool

SOURCE = Path(__file__).resolve().parent / "psa-oracle"
LEVELS = ("baseline", "restricted")


def policy_version() -> str:
    """``v1.X`` of the pinned Kubernetes (``[tools.kubernetes]``): the PSS policy version."""
    m = re.fullmatch(r"v1\.(\d+)\.\d+", tool("kubernetes").version)
    if not m:
        raise ValueError(f"[tools.kubernetes] version {tool('kubernetes').version} is not v1.X.Y")
    return f"v1.{m.group(1)}"


def pinned_module_version() -> str:
    return str(section("pod-security-admission")["version"])


def _key() -> str:
    h = hashlib.sha256()
    for name in ("go.mod", "go.sum", "main.go"):
        h.update(name.encode() + b"\0" + (SOURCE / name).read_bytes() + b"\0")
    h.update(go.toolchain_version().encode())
    return h.hexdigest()[:16]


def binary() -> Path:
    """The built oracle, from the cache when its sources and toolchain are unchanged."""
    out = cache.subdir("psa-oracle", _key()) / "psa-oracle"
    if not out.exists():
        with cache.locked("psa-oracle"):
            if not out.exists():
                go.build_local(SOURCE, ".", out)
    return out


@dataclass(frozen=True)
class Verdict:
    """PSA's verdict on one object: ``{level: {check id: allowed}}``."""

    id: str
    levels: Mapping[str, Mapping[str, bool]]


def evaluate(objects: Mapping[str, Mapping[str, Any]], oracle: Path | None = None,
             timeout: float = 300) -> dict[str, Verdict]:
    """``{id: object}`` → ``{id: Verdict}`` in one oracle process."""
    lines = "".join(json.dumps({"id": i, "object": o}) + "\n" for i, o in objects.items())
    res = proc.run([oracle or binary(), "-version", policy_version()], input=lines, timeout=timeout)
    out: dict[str, Verdict] = {}
    errors: list[str] = []
    for line in res.stdout.splitlines():
        row = json.loads(line)
        if row.get("error"):
            errors.append(f"{row['id']}: {row['error']}")
            continue
        out[row["id"]] = Verdict(row["id"], {lvl: row[lvl] for lvl in LEVELS})
    if errors:
        raise RuntimeError("psa-oracle could not evaluate:\n  " + "\n  ".join(errors[:20]))
    return out


def required_versions(gomod: Path = SOURCE / "go.mod") -> dict[str, str]:
    """``{module: version}`` of the oracle's go.mod ``require`` lines."""
    found: dict[str, str] = {}
    for line in gomod.read_text().splitlines():
        m = re.match(r"^\s*(?:require\s+)?([\w./-]+)\s+(v\S+)", line)
        if m and not line.lstrip().startswith(("module", "go ")):
            found[m.group(1)] = m.group(2)
    return found


def checks(verdicts: Sequence[Verdict], level: str) -> set[str]:
    return {c for v in verdicts for c in v.levels[level]}
