"""One recursive merge of nested mappings, with the policy for each caller as a keyword.

``deep_merge({"a": {"x": 1}}, {"a": {"y": 2}})`` → ``{"a": {"x": 1, "y": 2}}``; the
inputs are never modified. The callers differ only in what happens besides merging maps:

* Helm values: ``null_deletes=True`` (an override of ``null`` removes the key);
* scenario fragments: ``concat_lists=True`` (lists add up instead of replacing).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any], *, null_deletes: bool = False,
               concat_lists: bool = False) -> dict[str, Any]:
    """``base`` with ``override`` merged in: mappings merge recursively, anything else from
    ``override`` replaces. The result is a deep copy: it shares no mutable value with either
    input, so callers may modify it."""
    out: dict[str, Any] = copy.deepcopy(dict(base))
    _merge_into(out, override, null_deletes, concat_lists)
    return out


def _merge_into(out: dict[str, Any], override: Mapping[str, Any], null_deletes: bool,
                concat_lists: bool) -> None:
    for key, new in override.items():
        old = out.get(key)
        if null_deletes and new is None:
            out.pop(key, None)
        elif isinstance(old, Mapping) and isinstance(new, Mapping):
            sub = old if isinstance(old, dict) else dict(old)
            _merge_into(sub, new, null_deletes, concat_lists)
            out[key] = sub
        elif concat_lists and isinstance(old, list) and isinstance(new, list):
            out[key] = [*old, *copy.deepcopy(new)]
        else:
            out[key] = copy.deepcopy(new)
