"""``contains``: the list at ``path`` contains ``content``.

    - contains: {path: spec.template.spec.containers[0].env, content: {name: PORT, value: "8080"}}
    - contains: {path: spec.ports, content: {port: 80}, any: true}   # partial match
    - contains: {path: metadata.finalizers, content: x, count: 1}     # exactly once

``any: true`` matches an element that *contains* ``content`` (a subset); without it an
element must equal ``content``. ``count`` requires exactly that many matching elements.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chartgate.assertions.common import (
    MISSING,
    Check,
    Validator,
    fmt,
    is_subset,
    lookup,
    missing,
    require,
)
from chartgate.manifests import Document


def check(doc: Document, args: Mapping[str, Any]) -> Check:
    path, content = require(args, "path", "content", rule="contains")
    actual = lookup(doc, path)
    if actual is MISSING:
        return missing(doc, path, content)
    if not isinstance(actual, list):
        return Check(ok=False, path=path, expected=content, actual=actual,
                     error=f"value is a {type(actual).__name__}, not a list")
    partial = bool(args.get("any", False))
    hits = sum(1 for item in actual if (is_subset(content, item) if partial else item == content))
    count = args.get("count")
    ok = hits == count if count is not None else hits > 0
    return Check(ok=ok, path=path, expected=content, actual=actual)


def summary(c: Check, negate: bool) -> str:
    if negate:
        return f"list contains {fmt(c.expected)} but must not"
    return f"list does not contain {fmt(c.expected)} (or not the required number of times)"


VALIDATOR = Validator(name="contains", params=("path", "content"), doc_check=check, summary=summary)
