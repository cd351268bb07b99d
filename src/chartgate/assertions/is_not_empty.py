"""``isNotEmpty``: the value at ``path`` exists and is not empty."""

from __future__ import annotations

from dataclasses import replace

from chartgate.assertions import is_empty

VALIDATOR = replace(is_empty.VALIDATOR, name="isNotEmpty", inverse=True)
