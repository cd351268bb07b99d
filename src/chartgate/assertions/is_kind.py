"""``isKind``: the document's kind is ``of``.

    - isKind: {of: Deployment}
    - isKind: Deployment
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chartgate.assertions.common import AssertionArgsError, Check, Validator
from chartgate.manifests import Document


def of(args: Mapping[str, Any], rule: str) -> str:
    value = args.get("of", args.get("value"))
    if not isinstance(value, str):
        raise AssertionArgsError(f"{rule}: needs `of: <string>`, got {dict(args)}")
    return value


def check(doc: Document, args: Mapping[str, Any]) -> Check:
    want = of(args, "isKind")
    return Check(ok=doc.kind == want, path="kind", expected=want, actual=doc.kind)


VALIDATOR = Validator(name="isKind", params=("of",), doc_check=check)
