"""The chart as it was at its last release, for the upgrade journey on kind.

"The last release" is the newest commit (first-parent history of ``HEAD``) whose
``Chart.yaml`` ``version`` differs from the working tree's: while the working tree
carries an uncommitted bump that is ``HEAD``; once the bump is committed, it is the
commit just before it. When no commit has another version (the chart was never bumped),
``HEAD``'s committed chart is used and :attr:`PreviousChart.how` says so.
``CHARTGATE_E2E_UPGRADE_FROM=REF`` picks the ref instead. The chart is extracted from git
with :func:`chartgate.base_chart.resolve` (``git archive``, cached by tree id).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from chartgate import base_chart
from chartgate.tools import git


@dataclass(frozen=True)
class PreviousChart:
    ref: str  # commit id
    version: str  # its Chart.yaml version
    chart: Path  # the extracted chart directory
    how: str  # why this ref, for the test's output


def _version(text: str | None) -> str | None:
    if text is None:
        return None
    data = yaml.safe_load(text) or {}
    return str(data.get("version", "")) if isinstance(data, dict) else None


def chart_version(chart: Path) -> str:
    """The ``version`` in ``chart``'s Chart.yaml ("" when it has none)."""
    return _version((chart / "Chart.yaml").read_text()) or ""


def last_release_ref(repo: Path, chart_rel: str, current: str) -> tuple[str, str]:
    """``(commit, how)``: the newest commit whose ``chart_rel/Chart.yaml`` version is not
    ``current``."""
    path = f"{chart_rel}/Chart.yaml"
    head = git.rev_parse(repo, "HEAD")
    head_version = _version(git.show(repo, head, path))
    if head_version is not None and head_version != current:
        return head, f"HEAD ({head[:10]}): Chart.yaml version {head_version}, working tree {current}"
    newer = head  # the newest commit known to carry `current`
    for commit in git.commits(repo, head, path):
        version = _version(git.show(repo, commit, path))
        if version is not None and version != current:
            parent = git.first_parent(repo, newer)
            ref = parent or commit
            return ref, (f"{ref[:10]}, just before the bump to {current} in {newer[:10]} "
                         f"(Chart.yaml version {version})")
        newer = commit
    return head, (f"HEAD ({head[:10]}): no commit has a Chart.yaml version other than {current} — "
                  "the chart was never bumped, so the upgrade starts from HEAD's committed chart")


def previous_chart(chart: Path, ref: str | None = None) -> PreviousChart:
    """The chart at ``ref`` (default: the last release) extracted from the git repository
    that holds ``chart``."""
    chart = chart.resolve()
    repo = git.toplevel(chart)
    rel = chart.relative_to(repo.resolve()).as_posix()
    current = chart_version(chart)
    if ref:
        commit, how = git.rev_parse(repo, ref), f"CHARTGATE_E2E_UPGRADE_FROM={ref}"
    else:
        commit, how = last_release_ref(repo, rel, current)
    base = base_chart.resolve(commit, chart)
    return PreviousChart(commit, chart_version(base.path) or "?", base.path, how)
