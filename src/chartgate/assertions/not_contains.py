"""``notContains``: the list at ``path`` does not contain ``content``."""

from __future__ import annotations

from dataclasses import replace

from chartgate.assertions import contains

VALIDATOR = replace(contains.VALIDATOR, name="notContains", inverse=True)
