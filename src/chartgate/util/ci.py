"""Whether this process runs in CI: ``CI`` set to ``1``, ``true``, ``yes`` or ``on``.

Under CI a missing prerequisite fails instead of skipping, a missing snapshot fails instead
of being written, and nothing is updated in place.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

TRUE_VALUES = frozenset({"1", "true", "yes", "on"})


def in_ci(env: Mapping[str, str] | None = None) -> bool:
    """``CI=true`` (any case, surrounding blanks ignored) → True; unset or ``false`` → False."""
    value = (env if env is not None else os.environ).get("CI", "")
    return value.strip().lower() in TRUE_VALUES
