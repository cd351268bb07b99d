"""``isAPIVersion``: the document's apiVersion is ``of``.

    - isAPIVersion: {of: apps/v1}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chartgate.assertions.common import Check, Validator
from chartgate.assertions.is_kind import of
from chartgate.manifests import Document


def check(doc: Document, args: Mapping[str, Any]) -> Check:
    want = of(args, "isAPIVersion")
    return Check(ok=doc.api_version == want, path="apiVersion", expected=want, actual=doc.api_version)


VALIDATOR = Validator(name="isAPIVersion", params=("of",), doc_check=check)
