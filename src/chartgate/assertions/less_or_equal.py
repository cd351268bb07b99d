"""``lessOrEqual``: the value at ``path`` is <= ``value`` (numbers, quantities, strings)."""

from __future__ import annotations

import operator

from chartgate.assertions.common import Validator
from chartgate.assertions.greater_or_equal import make_check, summary_for

VALIDATOR = Validator(name="lessOrEqual", params=("path", "value"),
                      doc_check=make_check("lessOrEqual", operator.le), summary=summary_for("<="))
