"""``isNotSubset``: the map (or list) at ``path`` does not contain ``content``."""

from __future__ import annotations

from dataclasses import replace

from chartgate.assertions import is_subset

VALIDATOR = replace(is_subset.VALIDATOR, name="isNotSubset", inverse=True)
