"""Wall-clock deadlines: the one polling loop every wait in chartgate runs on.

A wait asks "is it done yet?" until a **deadline** passes — never a loop count, so a
slow check (an API call that takes 7 s) cannot stretch a 20 s wait into minutes. The
clock is injectable: unit tests pass a fake one and run instantly.

This module depends on nothing but the standard library; the Kubernetes waits
(:mod:`chartgate.tools.kube_waits`), kubectl, OPA, the air-gapped engine and node
builds and the e2e tests all use :func:`poll_until`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK = SystemClock()


class Terminal(Exception):
    """Raised by a check when the thing waited for reached a state it cannot recover from."""


Check = Callable[[], tuple[bool, str]]


def poll_until(check: Check, *, timeout: float, interval: float = 1.0,
               clock: Clock = SYSTEM_CLOCK,
               transient: tuple[type[BaseException], ...] = ()) -> tuple[bool, str, bool]:
    """Call ``check`` until it returns ``(True, state)`` or the wall-clock deadline passes.

    Returns ``(done, last_state, terminal)``. ``check`` may raise :class:`Terminal` to
    stop early (``terminal=True``); exceptions listed in ``transient`` are recorded as
    the state and retried. The check always runs at least once, and once more right at
    the deadline, so a slow API call never eats the last chance.
    """
    deadline = clock.monotonic() + timeout
    last = ""
    while True:
        try:
            done, last = check()
        except Terminal as exc:
            return False, str(exc), True
        except transient as exc:
            done, last = False, f"{type(exc).__name__}: {str(exc).strip()[:300]}"
        if done:
            return True, last, False
        now = clock.monotonic()
        if now >= deadline:
            return False, last, False
        clock.sleep(max(0.0, min(interval, deadline - now)))

