"""chartgate.charts: reading charts, naming them in a monorepo, and building file://
dependencies offline in a cache copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chartgate.charts import Chart, ChartError, find_charts, label, missing_dependencies, render_path
from chartgate.tools.helm import Helm

CHARTS = Path(__file__).resolve().parents[1] / "charts"


def _chart(path: Path, name: str, extra: str = "") -> Path:
    path.mkdir(parents=True)
    (path / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n{extra}")
    return path


def test_file_dependency_is_built_once_in_a_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    helm = Helm()  # the pinned binary from the real cache; the copies go to an empty one
    monkeypatch.setenv("CHARTGATE_CACHE", str(tmp_path / "cache"))
    chart = tmp_path / "with-local-dep"
    shutil.copytree(CHARTS / "with-local-dep", chart)
    c = Chart.load(chart)
    assert [d.name for d in missing_dependencies(c)] == ["greeter"]
    copy = render_path(c, helm)
    assert copy.is_relative_to(tmp_path / "cache") and (copy / "charts" / "greeter-0.1.0.tgz").is_file()
    assert not (chart / "charts").exists() and not (chart / "Chart.lock").exists()
    stamp = (copy / ".chartgate-complete").stat().st_mtime_ns
    assert render_path(c, helm) == copy  # built once
    assert (copy / ".chartgate-complete").stat().st_mtime_ns == stamp
    assert not list(copy.parent.glob(".*partial"))
    assert missing_dependencies(Chart.load(copy)) == []


def test_a_file_dependency_without_a_chart_is_named(tmp_path: Path) -> None:
    chart = _chart(tmp_path / "app", "app",
                   "dependencies:\n  - name: lib\n    version: 0.1.0\n    repository: file://../nowhere\n")
    with pytest.raises(ChartError, match=r"dependency 'lib' points at file://../nowhere, but .* holds no"):
        render_path(Chart.load(chart))


def test_not_a_chart(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "Chart.yaml").write_text("description: no name\n")
    with pytest.raises(ChartError, match="not a chart"):
        find_charts(tmp_path)
    (tmp_path / "x" / "Chart.yaml").write_text("name: [unclosed\n")
    with pytest.raises(ChartError, match="cannot read the chart"):
        Chart.load(tmp_path / "x")


def test_monorepo_labels_and_skipped_directories(tmp_path: Path) -> None:
    _chart(tmp_path / "team-a" / "web", "web")
    _chart(tmp_path / "team-b" / "web", "web")
    _chart(tmp_path / "team-b" / "api", "api")
    _chart(tmp_path / ".git" / "hidden", "hidden")
    _chart(tmp_path / "node_modules" / "pkg", "pkg")
    found = find_charts(tmp_path)
    assert sorted(label(c, found) for c in found) == ["api", "team-a/web", "team-b/web"]
    with pytest.raises(ChartError, match="no such file"):
        find_charts(tmp_path / "missing")
