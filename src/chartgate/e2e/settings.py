"""Environment switches of the e2e library (documented in :mod:`chartgate.e2e`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from chartgate.util.ci import missing_prerequisite as missing  # fails under CI=true, skips elsewhere

__all__ = ["DEFAULT_CLUSTER", "Settings", "missing"]

DEFAULT_CLUSTER = "chartgate-e2e"


@dataclass(frozen=True)
class Settings:
    kubeconfig: str | None  # a running cluster to use instead of creating one
    cluster: str  # the kind cluster's name (created, reused, or loaded into)
    artifacts: Path  # where failure diagnostics go
    chart: Path | None = None  # the chart releases install unless a test names another
    helm_timeout: str = "4m"
    reuse: bool = False
    upgrade_from: str | None = None  # git ref of the chart an upgrade journey starts from

    @classmethod
    def from_env(cls, rootdir: Path) -> Settings:
        art = os.environ.get("CHARTGATE_E2E_ARTIFACTS") or str(rootdir / ".e2e-artifacts")
        chart = os.environ.get("CHARTGATE_E2E_CHART")
        return cls(kubeconfig=os.environ.get("CHARTGATE_E2E_KUBECONFIG") or None,
                   cluster=os.environ.get("CHARTGATE_CLUSTER") or DEFAULT_CLUSTER,
                   artifacts=Path(art),
                   chart=Path(chart).resolve() if chart else None,
                   helm_timeout=os.environ.get("CHARTGATE_E2E_HELM_TIMEOUT") or "4m",
                   reuse=os.environ.get("CHARTGATE_E2E_REUSE", "") == "1",
                   upgrade_from=os.environ.get("CHARTGATE_E2E_UPGRADE_FROM") or None)
