"""``isNotNull``: the value at ``path`` exists and is not null."""

from __future__ import annotations

from dataclasses import replace

from chartgate.assertions import is_null

VALIDATOR = replace(is_null.VALIDATOR, name="isNotNull", inverse=True)
