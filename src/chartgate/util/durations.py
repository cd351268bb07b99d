"""Go-style durations as the tools accept them (``helm --timeout 5m``, ``kubectl --timeout=90s``).

``parse_duration("1m30s")`` → 90.0; ``"2h"``, ``"500ms"``, ``"1.5s"`` and a bare number of
seconds (``"90"``) work too.
"""

from __future__ import annotations

import re

_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def parse_duration(text: str, default: float | None = None) -> float:
    """Seconds in ``text``. An empty or malformed text returns ``default`` when one is given,
    else raises ``ValueError`` naming the text."""
    value = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return float(value)
    parts = _PART.findall(value)
    if value and "".join(n + u for n, u in parts) == value:
        return sum(float(n) * _UNITS[u] for n, u in parts)
    if default is not None:
        return default
    raise ValueError(f"not a duration: {text!r} (expected e.g. 90s, 5m, 1m30s)")
