"""The stage protocol shared by every stage."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from chartgate.render import Rendered
from chartgate.report.model import Finding


class Stage(Protocol):
    name: str

    def prepare(self, rendered: Mapping[str, Rendered]) -> None:
        """Batch work across all scenarios (called once per run, before any check)."""

    def check(self, rendered: Rendered) -> list[Finding]:
        """Findings for one scenario (empty = passed)."""
        ...
