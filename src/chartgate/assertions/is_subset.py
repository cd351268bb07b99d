"""``isSubset``: the map (or list) at ``path`` contains ``content``: every key of
``content`` is present with a matching value (recursively).

    - isSubset: {path: metadata.labels, content: {app.kubernetes.io/name: clockwork}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chartgate.assertions.common import Check, Validator, fmt, is_subset, require, typed_value
from chartgate.manifests import Document


def check(doc: Document, args: Mapping[str, Any]) -> Check:
    path, content = require(args, "path", "content", rule="isSubset")
    actual = typed_value(doc, path, content, Mapping | list, "not a map or list")
    if isinstance(actual, Check):
        return actual
    return Check(ok=is_subset(content, actual), path=path, expected=content, actual=actual)


def summary(c: Check, negate: bool) -> str:
    if negate:
        return f"{fmt(c.expected)} is contained in the value but must not be"
    return f"{fmt(c.expected)} is not contained in the value"


VALIDATOR = Validator(name="isSubset", params=("path", "content"), doc_check=check, summary=summary)
