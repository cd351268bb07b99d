"""``notEqual``: the value at ``path`` is not ``value`` (``equal`` inverted)."""

from __future__ import annotations

from dataclasses import replace

from chartgate.assertions import equal

VALIDATOR = replace(equal.VALIDATOR, name="notEqual", inverse=True)
