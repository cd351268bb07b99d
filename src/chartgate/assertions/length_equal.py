"""``lengthEqual``: the list/map/string at ``path`` (or at every one of ``paths``) has
``count`` elements.

    - lengthEqual: {path: spec.template.spec.containers, count: 1}
    - lengthEqual: {paths: [spec.rules, spec.tls], count: 2}
"""

from __future__ import annotations

from collections.abc import Mapping, Sized
from typing import Any

from chartgate.assertions.common import AssertionArgsError, Check, Validator, typed_value
from chartgate.manifests import Document


def check(doc: Document, args: Mapping[str, Any]) -> Check:
    paths = args.get("paths") or ([args["path"]] if "path" in args else [])
    count = args.get("count")
    if not paths or not isinstance(count, int) or isinstance(count, bool):
        raise AssertionArgsError(
            f"lengthEqual: needs `path` (or `paths`) and `count: <int>`, got {dict(args)}")
    for path in paths:
        actual = typed_value(doc, path, count, Sized, "it has no length")
        if isinstance(actual, Check):
            return actual
        if len(actual) != count:
            return Check(ok=False, path=path, expected=count, actual=len(actual))
    return Check(ok=True, path=", ".join(paths), expected=count, actual=count)


def summary(c: Check, negate: bool) -> str:
    if negate:
        return f"length is {c.actual} but must not be"
    return f"expected length {c.expected}, got {c.actual}"


VALIDATOR = Validator(name="lengthEqual", params=("path", "count"), doc_check=check, summary=summary)
