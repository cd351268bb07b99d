"""The stage's own failure path, on purpose: a release whose readiness probe points at a
path the server does not serve (``/api/ready`` → 404) must fail ``helm install --wait``
with a message that names the Deployment, its conditions and the probe failure, and the
artifacts collector must write the namespace's events, describe output, YAML, container
logs and Helm history. Every other scenario only reaches this code when it breaks, so
without this test a broken diagnostics path would go unnoticed until the day it matters.

The broken probe checks every second from the container's start, so the pod shows its
404 within seconds and helm's timeout can be short: the failure then carries the same
evidence as after a long wait, without waiting out minutes for an outcome known early.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from contract import names

from chartgate.e2e import diagnostics
from chartgate.e2e.release import ReleaseError, Releases
from chartgate.tools.kube import Kube

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_seconds(30)]  # xdist hands out long files first

NS = "clockwork-broken"
RELEASE = "clockwork-broken"
N = names(RELEASE)
WRONG_PATH = "/api/ready"
# the wrong path, probed every second from the start: the 404 shows within seconds
BROKEN_READINESS = {"deployment": {"readinessProbe": {"path": WRONG_PATH, "initialDelaySeconds": 0,
                                                      "periodSeconds": 1, "failureThreshold": 1}}}
HELM_TIMEOUT = "30s"  # the pod starts within seconds: ample for the probe to fail many times


def test_z_broken_readiness_is_diagnosed(releases: Releases, kube: Kube, tmp_path: Path) -> None:
    # the plan's dev install, with the readiness path broken (the in-cluster PostgreSQL and
    # the migration hook stay as they are: only the probe is wrong)
    rel = releases.new(RELEASE, NS, ("values-dev.yaml",))
    with pytest.raises(ReleaseError) as failed:
        rel.install(BROKEN_READINESS, timeout=HELM_TIMEOUT)
    message = str(failed.value)
    for expected in (f"deployment/{N['deployment']} -n {NS}",  # the culprit, by kind, name, namespace
                     "Available=False",  # its conditions
                     "Readiness probe failed",  # the event that explains it
                     "404",
                     "--- logs "):  # and the server's log
        assert expected in message, f"{expected!r} missing from the install failure:\n{message}"

    dest, summary = diagnostics.collect(kube, tmp_path, "tests/e2e/x.py::test_z", [NS], [rel])
    files = {p.name for p in (dest / NS).iterdir()}
    for expected in ("events.txt", "describe.txt", "deployments.yaml", "pods.yaml",
                     f"helm-history-{RELEASE}.txt"):
        assert expected in files, f"{expected} not among the collected artifacts {sorted(files)}"
    assert any(f.startswith(f"logs-{N['deployment']}-") and f.endswith("-server.txt") for f in files), files
    assert "Readiness probe failed" in (dest / NS / "events.txt").read_text()
    assert f"path: {WRONG_PATH}" in (dest / NS / "deployments.yaml").read_text()
    assert "failed" in (dest / NS / f"helm-history-{RELEASE}.txt").read_text()
    # the report's summary points at the pod that is not Ready and at the warning events
    assert N["deployment"] in summary and "recent Warning events" in summary, summary
