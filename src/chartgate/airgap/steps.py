"""Progress with elapsed time per step, cache keys and timing records for the airgap build."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chartgate import cache

KEY_LABEL = "org.chartgate.key"


def key_of(*parts: Any) -> str:
    """A short, stable cache key for JSON-able inputs (versions, file hashes, other keys)."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def hash_tree(root: Path) -> str:
    """Content hash of a directory (relative paths, modes and bytes), for cache keys."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() or p.is_symlink()):
        rel = path.relative_to(root).as_posix()
        if "__pycache__" in rel:
            continue
        h.update(rel.encode() + b"\0")
        if path.is_symlink():
            h.update(b"L" + str(path.readlink()).encode())
        else:
            h.update(oct(path.stat().st_mode & 0o777).encode())
            h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:16]


def hash_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def say(msg: str, tag: str = "airgap") -> None:
    print(f"[chartgate {tag}] {msg}", file=sys.stderr, flush=True)


@dataclass
class Progress:
    """Announces each step, its elapsed time and whether it was cached; keeps a record."""

    name: str = "airgap build"
    tag: str = "airgap"  # the output's prefix: [chartgate <tag>]
    t0: float = field(default_factory=time.monotonic)
    records: list[dict[str, Any]] = field(default_factory=list)

    @contextmanager
    def step(self, title: str) -> Iterator[dict[str, Any]]:
        rec: dict[str, Any] = {"step": title, "cached": False}
        say(f"▶ {title} …", self.tag)
        start = time.monotonic()
        try:
            yield rec
        except BaseException:
            rec["seconds"] = round(time.monotonic() - start, 1)
            rec["failed"] = True
            self.records.append(rec)
            say(f"✗ {title} failed after {rec['seconds']}s", self.tag)
            self.save()
            raise
        rec["seconds"] = round(time.monotonic() - start, 1)
        self.records.append(rec)
        state = "cached" if rec["cached"] else "done"
        detail = f" — {rec['detail']}" if rec.get("detail") else ""
        say(f"✓ {title}: {state} in {rec['seconds']}s (total {time.monotonic() - self.t0:.0f}s){detail}",
            self.tag)

    def total(self) -> float:
        return round(time.monotonic() - self.t0, 1)

    def save(self) -> Path:
        out = cache.subdir("airgap", "logs") / "timings.jsonl"
        with out.open("a") as fh:
            fh.write(json.dumps({"run": self.name, "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                                 "total": self.total(), "steps": self.records}) + "\n")
        return out
