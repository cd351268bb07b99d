"""``notExists``: ``path`` does not resolve in the document."""

from __future__ import annotations

from dataclasses import replace

from chartgate.assertions import exists

VALIDATOR = replace(exists.VALIDATOR, name="notExists", inverse=True)
