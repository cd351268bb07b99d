"""A long-running helper (a server, a worker process) used with ``with``: started on
entry, stopped on exit — also when the body raises."""

from __future__ import annotations

from typing import Self


class Service:
    """Subclasses define :meth:`start` (returns self, a no-op when running) and
    :meth:`stop` (idempotent)."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
