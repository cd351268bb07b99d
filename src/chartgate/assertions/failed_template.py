"""``failedTemplate``: rendering failed, and Helm's error matches ``errorPattern`` (a
regex) or contains ``errorMessage``. It judges the render, not a document, so it takes
the render error (``None`` = rendered fine).

    - failedTemplate: {errorPattern: "database.url is required"}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chartgate.assertions.common import Failure, compile_pattern


def check(error: str | None, args: Mapping[str, Any], negate: bool = False) -> list[Failure]:
    pattern = args.get("errorPattern")
    message = args.get("errorMessage", args.get("value"))
    title = "not failedTemplate" if negate else "failedTemplate"
    if error is None:
        if negate:
            return []
        want = pattern or message or "any error"
        return [Failure(rule="failedTemplate", title=title, expected=want, actual="<rendered without error>",
                        message="the chart rendered, but a failure was expected")]
    if negate:
        return [Failure(rule="failedTemplate", title=title, message="rendering failed", actual=error)]
    if pattern is not None and not compile_pattern(pattern, "failedTemplate").search(error):
        return [Failure(rule="failedTemplate", title=title, message="the error does not match errorPattern",
                        expected=pattern, actual=error)]
    if message is not None and str(message) not in error:
        return [Failure(rule="failedTemplate", title=title, message="the error does not contain errorMessage",
                        expected=message, actual=error)]
    return []
