"""``equal``: the value at ``path`` equals ``value``.

    - equal: {path: spec.replicas, value: 2}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chartgate.assertions.common import MISSING, Check, Validator, lookup, missing, require
from chartgate.manifests import Document


def check(doc: Document, args: Mapping[str, Any]) -> Check:
    path, value = require(args, "path", "value", rule="equal")
    actual = lookup(doc, path)
    if actual is MISSING:
        return missing(doc, path, value)
    return Check(ok=actual == value, path=path, expected=value, actual=actual)


VALIDATOR = Validator(name="equal", params=("path", "value"), doc_check=check)
