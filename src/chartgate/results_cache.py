"""Per-stage result caches on disk: what a stage computed for an input digest, reused by
the next run when nothing that decides the result changed.

A cache is one pickle file per (stage, salt); the salt is a digest of everything besides
the input that decides a result (the stage's code version, the schema tree, the policy
files and data, the OPA version, the day for date-dependent policy exemptions …). Keys
are digests of the inputs (a rendered document's body, a scenario's merged values).
A changed chart changes the documents, so only new documents are evaluated; a changed
policy or schema changes the salt, so everything is evaluated again.

``CHARTGATE_RESULT_CACHE=0`` (or the gate's ``use_cache=False``) disables them.
Files live in ``$CHARTGATE_RESULTS_DIR`` (default ``$CHARTGATE_CACHE/results/``); the
newest few per stage are kept.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from chartgate import cache
from chartgate.util.files import atomic_write

KEEP_PER_STAGE = 8
FORMAT = "1"


def results_dir() -> Path:
    """``$CHARTGATE_RESULTS_DIR`` or ``$CHARTGATE_CACHE/results``."""
    override = os.environ.get("CHARTGATE_RESULTS_DIR")
    if override:
        path = Path(override)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return cache.subdir("results")


def enabled() -> bool:
    return os.environ.get("CHARTGATE_RESULT_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
        h.update(b"\0")
    return h.hexdigest()


def files_digest(paths: list[Path]) -> str:
    """Names and contents of ``paths`` (sorted; missing files count as absent)."""
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(str(p).encode() + b"\0")
        if p.is_file():
            h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


_BODY_KEYS: dict[int, tuple[Any, str]] = {}  # id(body) -> (body, digest): bodies are shared, read-only
_BODY_KEYS_MAX = 50_000


def body_key(body: Any) -> str:
    """Digest of a parsed document: the same text parses to the same repr (key order
    included), so this is a cheap identity for "the same document". Remembered per body
    object (every stage asks for the same bodies)."""
    hit = _BODY_KEYS.get(id(body))
    if hit is not None and hit[0] is body:
        return hit[1]
    key = hashlib.sha1(repr(body).encode()).hexdigest()
    if isinstance(body, dict):
        if len(_BODY_KEYS) > _BODY_KEYS_MAX:
            _BODY_KEYS.clear()
        _BODY_KEYS[id(body)] = (body, key)
    return key


def remember_body_keys(pairs: Iterable[tuple[Any, str]]) -> None:
    """``(body, body_key(body))`` pairs computed earlier (a render pack stores them beside
    the bodies), so :func:`body_key` answers them without hashing."""
    for body, key in pairs:
        if isinstance(body, dict):
            _BODY_KEYS[id(body)] = (body, key)


class ResultCache:
    """A dict persisted to one file; load on first use, :meth:`save` writes it back if it
    changed. Thread-safe. ``directory=None`` uses ``$CHARTGATE_CACHE/results``."""

    def __init__(self, stage: str, salt: str, directory: Path | None = None,
                 enabled_: bool | None = None) -> None:
        self.stage = stage
        self.enabled = enabled() if enabled_ is None else enabled_
        self.directory = directory
        self.file_name = f"{stage}-{digest(FORMAT, salt)[:20]}.pickle"
        self._data: dict[str, Any] | None = None
        self._dirty = False
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def path(self) -> Path:
        return (self.directory or results_dir()) / self.file_name

    def exists(self) -> bool:
        return self.enabled and self.path.is_file()

    def _load(self) -> dict[str, Any]:
        if self._data is None:
            data: dict[str, Any] = {}
            if self.enabled:
                try:
                    loaded = pickle.loads(self.path.read_bytes())
                    if isinstance(loaded, dict):
                        data = loaded
                except Exception:
                    data = {}
            self._data = data
        return self._data

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            data = self._load()
            if key in data:
                self.hits += 1
                return data[key]
            self.misses += 1
            return default

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._load()

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._load()[key] = value
            self._dirty = True

    def save(self) -> None:
        """Write the file if anything was added (atomically), and prune old salts."""
        with self._lock:
            if not (self.enabled and self._dirty and self._data is not None):
                return
            path = self.path
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, pickle.dumps(self._data, pickle.HIGHEST_PROTOCOL))
            self._dirty = False
        olds = sorted(path.parent.glob(f"{self.stage}-*.pickle"), key=lambda p: p.stat().st_mtime,
                      reverse=True)
        for old in olds[KEEP_PER_STAGE:]:
            old.unlink(missing_ok=True)
