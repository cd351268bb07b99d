"""``isEmpty``: the value at ``path`` is empty: missing, null, "", [], {}, 0 or false
(Helm's notion of empty).

    - isEmpty: {path: spec.template.spec.tolerations}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chartgate.assertions.common import MISSING, Check, Validator, lookup, path_arg
from chartgate.manifests import Document


def empty(value: Any) -> bool:
    return value is MISSING or value is None or value in ("", 0, False) or value == [] or value == {}


def check(doc: Document, args: Mapping[str, Any]) -> Check:
    path = path_arg(args, "isEmpty")
    actual = lookup(doc, path)
    return Check(ok=empty(actual), path=path, actual=actual)


def summary(c: Check, negate: bool) -> str:
    if negate:
        return f"expected a non-empty value, got {c.actual!r}"
    return f"expected an empty value, got {c.actual!r}"


VALIDATOR = Validator(name="isEmpty", params=("path",), doc_check=check, summary=summary)
