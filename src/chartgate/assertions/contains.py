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

from chartgate.assertions.common import Check, Validator, fmt, is_subset, require, typed_value
from chartgate.manifests import Document


def check(doc: Document, args: Mapping[str, Any]) -> Check:
    path, content = require(args, "path", "content", rule="contains")
    actual = typed_value(doc, path, content, list, "not a list")
    if isinstance(actual, Check):
        return actual
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
