"""``greaterOrEqual``: the value at ``path`` is >= ``value``. Numbers compare as numbers,
Kubernetes quantities (``500m``, ``128Mi``, ``1Gi``) by their amount, other strings
lexically.

    - greaterOrEqual: {path: spec.replicas, value: 2}
    - greaterOrEqual: {path: spec.template.spec.containers[0].resources.limits.memory, value: 256Mi}
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from chartgate.assertions.common import MISSING, Check, Validator, lookup, missing, require
from chartgate.manifests import Document

_SUFFIX = {
    "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
    "k": Decimal(10) ** 3, "M": Decimal(10) ** 6, "G": Decimal(10) ** 9, "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15, "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10, "Mi": Decimal(2) ** 20, "Gi": Decimal(2) ** 30, "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50, "Ei": Decimal(2) ** 60,
}
_QUANTITY = re.compile(r"^([+-]?\d+(?:\.\d+)?)(?:[eE]([+-]?\d+))?(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]?)$")


def comparable(value: Any) -> Decimal | str | None:
    """A number for numbers and quantities; the string itself otherwise; None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str):
        m = _QUANTITY.match(value.strip())
        if m:
            exp = Decimal(10) ** int(m.group(2)) if m.group(2) else Decimal(1)
            return Decimal(m.group(1)) * exp * _SUFFIX[m.group(3)]
        return value
    return None


def make_check(rule: str, op: Callable[[Any, Any], bool]) -> Callable[[Document, Mapping[str, Any]], Check]:
    def check(doc: Document, args: Mapping[str, Any]) -> Check:
        path, value = require(args, "path", "value", rule=rule)
        actual = lookup(doc, path)
        if actual is MISSING:
            return missing(doc, path, value)
        a, b = comparable(actual), comparable(value)
        if a is None or b is None or isinstance(a, str) != isinstance(b, str):
            return Check(ok=False, path=path, expected=value, actual=actual,
                         error=f"cannot compare {actual!r} with {value!r}")
        return Check(ok=op(a, b), path=path, expected=value, actual=actual)

    return check


def summary_for(symbol: str) -> Callable[[Check, bool], str]:
    def summary(c: Check, negate: bool) -> str:
        return f"expected {'not ' if negate else ''}{symbol} {c.expected!r}, got {c.actual!r}"

    return summary


VALIDATOR = Validator(name="greaterOrEqual", params=("path", "value"),
                      doc_check=make_check("greaterOrEqual", operator.ge), summary=summary_for(">="))
