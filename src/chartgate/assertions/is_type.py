"""``isType``: the value at ``path`` has a YAML type: string, int, float, number, bool,
list, map or null.

    - isType: {path: spec.replicas, type: int}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chartgate.assertions.common import (
    MISSING,
    AssertionArgsError,
    Check,
    Validator,
    lookup,
    missing,
    require,
)
from chartgate.manifests import Document

TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "str": (str,),
    "int": (int,), "integer": (int,),
    "float": (float,),
    "number": (int, float),
    "bool": (bool,), "boolean": (bool,),
    "list": (list,), "array": (list,), "slice": (list,),
    "map": (dict,), "object": (dict,),
    "null": (type(None),),
}


def type_name(value: Any) -> str:
    for name in ("bool", "int", "float", "string", "list", "map", "null"):
        t = TYPES[name]
        if isinstance(value, t) and not (name == "int" and isinstance(value, bool)):
            return name
    return type(value).__name__


def check(doc: Document, args: Mapping[str, Any]) -> Check:
    path, want = require(args, "path", "type", rule="isType")
    if want not in TYPES:
        raise AssertionArgsError(f"isType: unknown type {want!r}; one of {', '.join(sorted(TYPES))}")
    actual = lookup(doc, path)
    if actual is MISSING:
        return missing(doc, path, want)
    ok = isinstance(actual, TYPES[want]) and not (isinstance(actual, bool) and bool not in TYPES[want])
    return Check(ok=ok, path=path, expected=want, actual=type_name(actual))


def summary(c: Check, negate: bool) -> str:
    if negate:
        return f"value is a {c.actual} but must not be"
    return f"expected a {c.expected}, got a {c.actual}"


VALIDATOR = Validator(name="isType", params=("path", "type"), doc_check=check, summary=summary)
