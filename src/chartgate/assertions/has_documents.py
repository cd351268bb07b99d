"""``hasDocuments``: the selection holds exactly ``count`` documents.

    - hasDocuments: {count: 1}
      select: {kind: Ingress}
    - hasDocuments: 5
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chartgate.assertions.common import AssertionArgsError, Check, Validator
from chartgate.manifests import Document


def check(docs: Sequence[Document], args: Mapping[str, Any]) -> Check:
    count = args.get("count", args.get("value"))
    if not isinstance(count, int) or isinstance(count, bool):
        raise AssertionArgsError(f"hasDocuments: needs `count: <int>`, got {dict(args)}")
    return Check(ok=len(docs) == count, expected=count, actual=len(docs))


def summary(c: Check, negate: bool) -> str:
    if negate:
        return f"expected any number of documents but {c.expected}, got {c.actual}"
    return f"expected {c.expected} document(s), got {c.actual}"


VALIDATOR = Validator(name="hasDocuments", params=("count",), set_check=check, summary=summary)
