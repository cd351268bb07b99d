"""``notMatchRegex``: the string at ``path`` does not match ``pattern``."""

from __future__ import annotations

from dataclasses import replace

from chartgate.assertions import match_regex

VALIDATOR = replace(match_regex.VALIDATOR, name="notMatchRegex", inverse=True)
