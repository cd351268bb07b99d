"""Snapshots: normalisation, update mode, CI mode (missing/obsolete fail), readable diffs."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartgate.manifests import parse
from chartgate.render import Rendered
from chartgate.report.model import Severity
from chartgate.scenario import Expectations, Scenario
from chartgate.stages.snapshot import (
    NORMALISED,
    SnapshotStage,
    normalise,
    snapshot_filename,
    snapshot_text,
)
from chartgate.util.ci import in_ci

TEXT = """---
# Source: clockwork/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: db
  labels: {helm.sh/chart: clockwork-0.3.1, app: clockwork}
data: {password: {password}}
stringData: {token: {token}}
---
# Source: clockwork/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {helm.sh/chart: clockwork-0.3.1, app: clockwork}
  annotations: {checksum/top: abc, keep: me}
spec:
  replicas: {replicas}
  selector: {matchLabels: {app: clockwork}}
  template:
    metadata:
      annotations: {checksum/config: {checksum}, rollme: {rollme}}
    spec:
      containers: [{name: server, image: "app:1", command: ["sh", "-c", "echo a\\necho b"]}]
"""


def rendered(name: str = "prod", replicas: int = 2, seed: str = "1", snapshot: bool = True) -> Rendered:
    text = (TEXT.replace("{password}", f"cGFzcw{seed}=").replace("{token}", f"t{seed}")
            .replace("{replicas}", str(replicas)).replace("{checksum}", f"sum{seed}")
            .replace("{rollme}", f"r{seed}"))
    sc = Scenario(name=name, file=Path(f"{name}.yaml"), chart=Path("c"),
                  expect=Expectations(snapshot=snapshot))
    return Rendered(sc, parse(text), None, 0.0, False)


VOLATILE = (("Deployment", "spec.template.metadata.annotations.rollme"),)


def stage(tmp_path: Path, **kw: object) -> SnapshotStage:
    return SnapshotStage(tmp_path / "snapshots", volatile=VOLATILE, **kw)  # type: ignore[arg-type]


def test_volatile_fields_are_normalised() -> None:
    docs = rendered().manifests
    assert docs is not None
    secret, deploy = (normalise(d.body, VOLATILE) for d in docs)
    assert secret["data"] == {"password": NORMALISED} and secret["stringData"] == {"token": NORMALISED}
    assert secret["metadata"]["labels"] == {"helm.sh/chart": "clockwork-<version>", "app": "clockwork"}
    assert deploy["metadata"]["annotations"] == {"checksum/top": NORMALISED, "keep": "me"}
    assert deploy["spec"]["template"]["metadata"]["annotations"] == {"checksum/config": NORMALISED,
                                                                     "rollme": NORMALISED}
    assert docs.documents[1].body["metadata"]["annotations"]["checksum/top"] == "abc"  # original untouched


def test_snapshot_text_is_stable_and_readable() -> None:
    a = snapshot_text("prod", rendered(seed="1").manifests, VOLATILE)  # type: ignore[arg-type]
    b = snapshot_text("prod", rendered(seed="2").manifests, VOLATILE)  # type: ignore[arg-type]
    assert a == b
    assert "# Source: templates/deployment.yaml" in a
    assert "- |-\n" in a and "  echo a\n" in a  # multi-line strings as literal blocks
    assert a.index("apiVersion: apps/v1") < a.index("kind: Deployment") < a.index("metadata:\n  annotations")


def test_filenames_are_safe_and_unique() -> None:
    assert snapshot_filename("prod-ha") == "prod-ha.yaml"
    a = snapshot_filename("matrix[db=ext,tls=on]")
    b = snapshot_filename("matrix[db_ext,tls=on]")
    assert a.startswith("matrix_db_ext_tls_on-") and a.endswith(".yaml") and "/" not in a
    assert a != b


def test_missing_snapshot_outside_ci_is_written_and_noted(tmp_path: Path) -> None:
    st = stage(tmp_path, ci=False)
    (f,) = st.check(rendered())
    assert f.severity is Severity.NOTE and f.rule == "written"
    written = (tmp_path / "snapshots" / "prod.yaml").read_text()
    assert written.startswith("# chartgate snapshot of scenario 'prod'")
    assert st.check(rendered(seed="9")) == []  # volatile fields changed only: still equal


def test_missing_snapshot_in_ci_fails_and_writes_nothing(tmp_path: Path) -> None:
    st = stage(tmp_path, ci=True)
    (f,) = st.check(rendered())
    assert f.severity is Severity.ERROR and f.rule == "missing" and "CI mode" in f.message
    assert not (tmp_path / "snapshots" / "prod.yaml").exists()


def test_ci_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CI", "true")
    assert in_ci() and SnapshotStage(tmp_path).ci
    monkeypatch.setenv("CI", "false")
    assert not in_ci() and not SnapshotStage(tmp_path).ci
    assert in_ci({"CI": "1"}) and not in_ci({})


def test_mismatch_fails_with_a_unified_diff(tmp_path: Path) -> None:
    st = stage(tmp_path, ci=True, update=False)
    stage(tmp_path, update=True).check(rendered(replicas=2))
    (f,) = st.check(rendered(replicas=3))
    assert f.severity is Severity.ERROR and f.rule == "mismatch"
    assert "--- prod.yaml (snapshot)" in f.message and "+++ prod.yaml (rendered)" in f.message
    assert "-  replicas: 2" in f.message and "+  replicas: 3" in f.message
    assert f.template.endswith("snapshots/prod.yaml")


def test_update_mode_rewrites(tmp_path: Path) -> None:
    stage(tmp_path, ci=False).check(rendered(replicas=2))
    (f,) = stage(tmp_path, update=True, ci=True).check(rendered(replicas=3))
    assert f.severity is Severity.NOTE and f.rule == "updated"
    assert stage(tmp_path, ci=True).check(rendered(replicas=3)) == []


def test_obsolete_snapshots_fail_in_ci_warn_outside_and_are_deleted_on_update(tmp_path: Path) -> None:
    stage(tmp_path, ci=False).check(rendered("prod"))
    stage(tmp_path, ci=False).check(rendered("old"))
    (f,) = stage(tmp_path, ci=True).obsolete(["prod"])
    assert f.severity is Severity.ERROR and f.rule == "obsolete" and "old.yaml" in f.message
    (f,) = stage(tmp_path, ci=False).obsolete(["prod"])
    assert f.severity is Severity.WARNING
    assert stage(tmp_path, ci=True).obsolete(["prod", "old"]) == []
    (f,) = stage(tmp_path, update=True).obsolete(["prod"])
    assert f.severity is Severity.NOTE and not (tmp_path / "snapshots" / "old.yaml").exists()
    assert SnapshotStage(tmp_path / "nowhere").obsolete([]) == []


def test_finish_uses_prepare_to_drop_opted_out_scenarios(tmp_path: Path) -> None:
    stage(tmp_path, ci=False).check(rendered("prod"))
    stage(tmp_path, ci=False).check(rendered("was-snapshotted"))
    st = stage(tmp_path, ci=True)
    st.prepare({"prod": rendered("prod"), "was-snapshotted": rendered("was-snapshotted", snapshot=False)})
    assert st.scenarios == {"prod"}
    (f,) = st.finish(["prod", "was-snapshotted"])
    assert "was-snapshotted.yaml" in f.message
    assert st.obsolete() == [f]  # defaults to the scenarios prepare() saw


def test_opted_out_and_failed_renders(tmp_path: Path) -> None:
    st = stage(tmp_path, ci=True)
    assert st.check(rendered(snapshot=False)) == []
    r = rendered()
    (f,) = st.check(Rendered(r.scenario, None, "boom", 0.0, False))
    assert f.rule == "render"
