"""Helpers the stages share: the finding a stage returns when the chart did not render,
and the "did you mean" hint for an unknown key."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from chartgate.render import Rendered
from chartgate.report.model import Finding


def render_failed(stage: str, rendered: Rendered) -> list[Finding]:
    """The one finding a manifest-reading stage returns when there is nothing to read."""
    return [Finding(stage=stage, rule="render", scenario=rendered.scenario.name,
                    message=f"the chart did not render, nothing to check: {rendered.error}")]


def did_you_mean(key: str, known: Iterable[str]) -> str:
    """``" (did you mean 'replicas'?)"`` for ``replicaz`` among the known keys, else ``""``."""
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""
