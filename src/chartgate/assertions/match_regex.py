"""``matchRegex``: the string at ``path`` matches ``pattern`` (searched, like helm-unittest).

    - matchRegex: {path: spec.template.spec.containers[0].image, pattern: ":v\\d+"}
    - matchRegex: {path: data.URL, pattern: "^postgres://", decodeBase64: true}
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from chartgate.assertions.common import Check, Validator, compile_pattern, fmt, require, typed_value
from chartgate.manifests import Document


def check(doc: Document, args: Mapping[str, Any]) -> Check:
    path, pattern = require(args, "path", "pattern", rule="matchRegex")
    regex = compile_pattern(pattern, "matchRegex")
    actual = typed_value(doc, path, pattern, str, "not a string")
    if isinstance(actual, Check):
        return actual
    if args.get("decodeBase64"):
        try:
            actual = base64.b64decode(actual, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            return Check(ok=False, path=path, expected=pattern, actual=actual, error=f"not base64: {exc}")
    return Check(ok=regex.search(actual) is not None, path=path, expected=pattern, actual=actual)


def summary(c: Check, negate: bool) -> str:
    if negate:
        return f"{fmt(c.actual)} matches /{c.expected}/ but must not"
    return f"{fmt(c.actual)} does not match /{c.expected}/"


VALIDATOR = Validator(name="matchRegex", params=("path", "pattern"), doc_check=check, summary=summary)
