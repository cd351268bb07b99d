"""Whether this process runs in CI: ``CI`` set to ``1``, ``true``, ``yes`` or ``on``.

Under CI a missing prerequisite fails instead of skipping (:func:`missing_prerequisite`),
a missing snapshot fails instead of being written, and nothing is updated in place.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NoReturn

TRUE_VALUES = frozenset({"1", "true", "yes", "on"})


def in_ci(env: Mapping[str, str] | None = None) -> bool:
    """``CI=true`` (any case, surrounding blanks ignored) → True; unset or ``false`` → False."""
    value = (env if env is not None else os.environ).get("CI", "")
    return value.strip().lower() in TRUE_VALUES


def missing_prerequisite(reason: str) -> NoReturn:
    """In a test: a missing prerequisite (a tool, a chart, a cluster) FAILS under CI=true —
    a broken pipeline must not look green — and skips elsewhere."""
    import pytest  # only tests call this; the library does not need pytest otherwise

    if in_ci():
        pytest.fail(f"prerequisite missing under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)
