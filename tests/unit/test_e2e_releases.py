"""chartgate.e2e.release.Releases without a cluster: what every release gets
(ReleaseOptions), the chart it installs, a leftover namespace deleted first, and what a
failed helm command explains."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chartgate.e2e.release import ReleaseError, ReleaseOptions, Releases
from chartgate.tools.helm import HelmError


class FakeKube:
    def __init__(self, existing: set[str]) -> None:
        self.existing = existing
        self.deleted: list[str] = []

    def namespace_exists(self, name: str) -> bool:
        return name in self.existing

    def delete_namespace(self, name: str, wait: bool = False, timeout: float = 120) -> None:
        self.deleted.append(name)


class FailingHelm:
    def install(self, *a: Any, **kw: Any) -> str:
        raise HelmError("install", "Error: context deadline exceeded", ["helm", "install"])


def _releases(tmp_path: Path, options: ReleaseOptions, chart: Path | None = None,
              existing: tuple[str, ...] = ()) -> tuple[Releases, FakeKube]:
    kube = FakeKube(set(existing))
    rels = Releases(FailingHelm(), kube, chart, "kubeconfig", tmp_path, options)  # fakes of Helm, Kube
    return rels, kube


def test_values_come_from_options_namespace_and_test(tmp_path: Path) -> None:
    options = ReleaseOptions(values={"image": {"tag": "1", "repository": "r"}},
                             namespace_values=lambda ns: {"namespace": {"name": ns}})
    rels, kube = _releases(tmp_path, options, chart=tmp_path / "chart", existing=("ns-a",))
    rel = rels.new("web", "ns-a", ("values-dev.yaml",), {"image": {"tag": "2"}})
    assert rel.values == {"image": {"tag": "2", "repository": "r"}, "namespace": {"name": "ns-a"}}
    assert rel.values_files == [str(tmp_path / "chart" / "values-dev.yaml")]
    assert kube.deleted == ["ns-a"], "a leftover namespace of an interrupted run is deleted first"
    assert rels.namespaces == ["ns-a"] and rels.made == [rel]


def test_a_release_names_its_chart_when_there_is_no_default(tmp_path: Path) -> None:
    rels, _ = _releases(tmp_path, ReleaseOptions())
    with pytest.raises(ValueError, match="no chart given"):
        rels.new("web", "ns")
    assert rels.new("web", "ns", chart=tmp_path / "other").chart == tmp_path / "other"


def test_a_failed_helm_command_carries_the_explanation(tmp_path: Path) -> None:
    seen: list[tuple[str, str]] = []

    def explain(kube: Any, release: str, namespace: str) -> str:
        seen.append((release, namespace))
        return "deployment/web-server: 0 of 1 updated replicas available"

    rels, _ = _releases(tmp_path, ReleaseOptions(explain=explain), chart=tmp_path)
    with pytest.raises(ReleaseError, match="0 of 1 updated replicas available"):
        rels.new("web", "ns-b").install()
    assert seen == [("web", "ns-b")]
