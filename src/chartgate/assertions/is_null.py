"""``isNull``: the value at ``path`` is null or the path does not exist.

    - isNull: {path: spec.replicas}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chartgate.assertions.common import MISSING, Check, Validator, lookup, path_arg
from chartgate.manifests import Document


def check(doc: Document, args: Mapping[str, Any]) -> Check:
    path = path_arg(args, "isNull")
    actual = lookup(doc, path)
    return Check(ok=actual is None or actual is MISSING, path=path, expected=None, actual=actual)


def summary(c: Check, negate: bool) -> str:
    if negate:
        return "value is null or missing"
    return f"expected null, got {c.actual!r}"


VALIDATOR = Validator(name="isNull", params=("path",), doc_check=check, summary=summary)
