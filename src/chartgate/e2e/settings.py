"""Environment switches of the e2e stage (documented in :mod:`chartgate.e2e`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from chartgate.util.ci import in_ci

DEFAULT_CLUSTER = "chartgate-e2e"
DOUBLE_V1 = "1.0.0"
DOUBLE_V2 = "1.0.1"
DOUBLE_ABRUPT = "1.0.0-abrupt"  # the broken-shutdown variant: exits at once on SIGTERM


def missing(reason: str) -> None:
    """A missing prerequisite: FAIL under CI=true (a broken pipeline must not look green),
    skip elsewhere."""
    if in_ci():
        pytest.fail(f"e2e prerequisite missing under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass(frozen=True)
class Settings:
    real_image: str | None
    real_image_next: str | None
    kubeconfig: str | None
    cluster: str
    artifacts: Path
    chart: Path | None = None
    helm_timeout: str = "4m"
    reuse: bool = False
    upgrade_from: str | None = None  # git ref of the chart the upgrade journey starts from

    def real_image_problem(self) -> str | None:
        """Why the real-image mode cannot run (None: it can, or the double is used). It
        needs two different images: rolling updates and rollbacks to the same image roll
        nothing, so they would pass without proving anything."""
        if not self.real_image:
            return None
        if not self.real_image_next:
            return (f"CLOCKWORK_E2E_IMAGE={self.real_image} needs CLOCKWORK_E2E_IMAGE_NEXT: a second "
                    "image of the server (another build or version, loaded into the cluster) for the "
                    "rolling update, `kubectl set image` and rollback scenarios")
        if self.real_image_next == self.real_image:
            return (f"CLOCKWORK_E2E_IMAGE_NEXT={self.real_image_next} is the same image as "
                    "CLOCKWORK_E2E_IMAGE: an update to the same image rolls nothing; name a different one")
        return None

    @classmethod
    def from_env(cls, rootdir: Path) -> Settings:
        art = os.environ.get("CHARTGATE_E2E_ARTIFACTS") or str(rootdir / ".e2e-artifacts")
        chart = os.environ.get("CHARTGATE_E2E_CHART")
        return cls(real_image=os.environ.get("CLOCKWORK_E2E_IMAGE") or None,
                   real_image_next=os.environ.get("CLOCKWORK_E2E_IMAGE_NEXT") or None,
                   kubeconfig=os.environ.get("CHARTGATE_E2E_KUBECONFIG") or None,
                   cluster=os.environ.get("CHARTGATE_CLUSTER") or DEFAULT_CLUSTER,
                   artifacts=Path(art),
                   chart=Path(chart).resolve() if chart else None,
                   helm_timeout=os.environ.get("CHARTGATE_E2E_HELM_TIMEOUT") or "4m",
                   reuse=os.environ.get("CHARTGATE_E2E_REUSE", "") == "1",
                   upgrade_from=os.environ.get("CHARTGATE_E2E_UPGRADE_FROM") or None)
