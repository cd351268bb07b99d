"""Wall-clock waits for e2e tests: :func:`eventually`, on :func:`chartgate.util.deadline.poll_until`.

For objects the :class:`chartgate.tools.kube.Kube` waits do not cover (a custom
condition, an HTTP answer through a port-forward), a test waits with
``eventually("what", fn, timeout=…)``: ``fn`` is called until it returns something
truthy, which is returned; on timeout the failure names ``what`` and the last value or
error ``fn`` gave.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from chartgate.util.deadline import poll_until

T = TypeVar("T")


def eventually(what: str, fn: Callable[[], T | None], timeout: float = 30, interval: float = 1,
               transient: tuple[type[BaseException], ...] = (Exception,)) -> T:
    """Until ``fn`` returns something truthy; wall-clock bounded. Exceptions of the
    ``transient`` types count as "not yet" (others propagate at once); the last value or
    exception is in the failure message."""
    got: list[T] = []

    def check() -> tuple[bool, str]:
        value = fn()
        if value:
            got.append(value)
        return bool(value), str(value)

    done, last, _ = poll_until(check, timeout=timeout, interval=interval, transient=transient)
    if not done:
        raise AssertionError(f"{what}: not true within {timeout:g}s (last: {last[:600]})")
    return got[-1]
