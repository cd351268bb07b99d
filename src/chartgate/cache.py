"""Where chartgate keeps heavy, reusable things: built tools, Go caches, images, renders.

One directory, ``$CHARTGATE_CACHE`` (default ``~/.cache/chartgate``); everything inside is
keyed by pinned versions or content hashes, so a warm machine skips the work.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


def root() -> Path:
    base = os.environ.get("CHARTGATE_CACHE") or str(Path.home() / ".cache" / "chartgate")
    path = Path(base).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def subdir(*parts: str) -> Path:
    path = root().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def locked(name: str) -> Iterator[None]:
    """An exclusive inter-process lock (``flock`` on ``locks/NAME.lock``): parallel sessions
    (pytest-xdist workers) build a shared artefact once; the others then find it cached."""
    path = subdir("locks") / f"{name}.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
