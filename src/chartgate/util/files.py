"""Atomic file writes: readers see the old file or the new one, never a partial file —
content written here (:func:`atomic_write`) or a file a program writes (:func:`atomic_output`).

The content goes to a temporary file next to the target (unique per process and thread,
so concurrent writers of the same cache entry do not clobber each other's temporary file)
and is renamed over the target.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def atomic_write(path: Path, data: str | bytes, *, mode: int | None = None) -> None:
    """Write ``data`` (text or bytes) to ``path`` atomically, creating the parent directory;
    ``mode`` (e.g. ``0o755``) is set before the file appears under its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data)
        if mode is not None:
            tmp.chmod(mode)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """A temporary path next to ``path`` for a program to write (``go build -o``, ``docker
    save -o``): renamed over ``path`` when the block succeeds, removed when it fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
