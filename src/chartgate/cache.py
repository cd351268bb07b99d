"""Where chartgate keeps heavy, reusable things: built tools, Go caches, images, renders.

One directory, ``$CHARTGATE_CACHE`` (default ``~/.cache/chartgate``); everything inside is
keyed by pinned versions or content hashes, so a warm machine skips the work.
"""

from __future__ import annotations

import os
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
