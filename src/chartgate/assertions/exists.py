"""``exists``: ``path`` resolves in the document (its value may be anything, even null).

    - exists: {path: spec.template.spec.securityContext}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chartgate.assertions.common import MISSING, Check, Validator, lookup, path_arg
from chartgate.manifests import Document


def check(doc: Document, args: Mapping[str, Any]) -> Check:
    path = path_arg(args, "exists")
    actual = lookup(doc, path)
    return Check(ok=actual is not MISSING, path=path, actual=actual)


def summary(c: Check, negate: bool) -> str:
    if negate:
        return f"path exists (value {c.actual!r}) but must not"
    return "path does not exist"


VALIDATOR = Validator(name="exists", params=("path",), doc_check=check, summary=summary)
