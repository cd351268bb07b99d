"""Chart monorepos: `chartgate check DIR` finds every chart, `--changed --base REF` checks
only the charts changed since REF (with chart-testing's version-bump rule), and
`--shard K/N` splits the work so that the merged shard reports equal the unsharded one."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from chartgate.charts import find_charts, parse_shard, shard
from chartgate.cli import main

CHARTS = Path(__file__).resolve().parents[1] / "charts"
STAGES = "render,assertions,k8s-schema,values-schema,unittest"


def test_every_chart_under_a_directory_is_found() -> None:
    found = {c.name: c.type for c in find_charts(CHARTS)}
    assert found == {"alpha": "application", "beta": "application", "common-lib": "library",
                     "crd-widgets": "application", "uses-library": "application",
                     "with-ci-values": "application", "with-local-dep": "application",
                     "with-tgz-dep": "application", "unittest-covered": "application"}
    # subcharts (charts/, deps/) are not charts of their own


def test_shard_is_a_deterministic_partition() -> None:
    units = list(range(11))
    parts = [shard(units, k, 3) for k in (1, 2, 3)]
    assert sorted(u for p in parts for u in p) == units
    assert [len(p) for p in parts] == [4, 4, 3]
    assert parse_shard("2/3") == (2, 3)
    for bad in ("0/2", "3/2", "1", "a/b"):
        with pytest.raises(ValueError, match="--shard"):
            parse_shard(bad)


def _broken_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "charts"
    shutil.copytree(CHARTS, tree)
    values = tree / "crd-widgets" / "values.yaml"
    values.write_text(values.read_text().replace("size: 3", "size: 30"))
    suite = tree / "with-ci-values" / "tests" / "deployment_test.yaml"
    suite.write_text(suite.read_text().replace("value: 1}", "value: 7}"))
    return tree


def _run(tree: Path, out: Path, *extra: str) -> int:
    return main(["check", str(tree), "--stages", STAGES, "--junit", str(out / "r.xml"),
                 "--sarif", str(out / "r.sarif"), "--json", str(out / "r.json"), *extra])


def _timeless_json(path: Path) -> Any:
    data = json.loads(path.read_text())
    data.pop("duration")
    for r in data["results"]:
        r.pop("duration")
    return data


def _timeless_xml(path: Path) -> str:
    return re.sub(r' time="[0-9.]+"', "", path.read_text())


def test_merged_shards_equal_the_unsharded_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = _broken_tree(tmp_path)
    whole, one, two, merged = (tmp_path / n for n in ("whole", "one", "two", "merged"))
    assert _run(tree, whole) == 1
    assert _run(tree, one, "--shard", "1/2") == 1
    assert _run(tree, two, "--shard", "2/2") == 0  # the failures both fall into shard 1
    capsys.readouterr()
    names = [{r["scenario"] for r in json.loads((d / "r.json").read_text())["results"]} for d in (one, two)]
    assert names[0] and names[1] and not names[0] & names[1]
    for f in ("r.xml", "r.sarif", "r.json"):
        assert main(["report", "merge", str(one / f), str(two / f), "-o", str(merged / f)]) == 0
    assert _timeless_json(merged / "r.json") == _timeless_json(whole / "r.json")
    assert _timeless_xml(merged / "r.xml") == _timeless_xml(whole / "r.xml")
    assert json.loads((merged / "r.sarif").read_text()) == json.loads((whole / "r.sarif").read_text())
    sarif = json.loads((whole / "r.sarif").read_text())["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif}
    assert any(u.endswith("crd-widgets/templates/widget.yaml") for u in uris), uris
    assert any(u.endswith("with-ci-values/tests/deployment_test.yaml") for u in uris), uris
    cases = list(ET.parse(whole / "r.xml").getroot().iter("testcase"))
    unit = [c for c in cases if c.get("classname") == "unittest"]
    by_chart = sorted(c.get("name", "").split(":", 1)[0] for c in unit)
    assert by_chart == ["unittest-covered"] * 6 + ["with-ci-values"] * 3, by_chart
    assert all(":tests/" in c.get("name", "") for c in unit)


def test_report_merge_refuses_mixed_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / "b.xml").write_text("<testsuites/>")
    assert main(["report", "merge", str(tmp_path / "a.json"), str(tmp_path / "b.xml"),
                 "-o", str(tmp_path / "m.json")]) == 2
    assert "b.xml" in capsys.readouterr().err


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def test_changed_checks_only_changed_charts_and_wants_a_version_bump(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(CHARTS / "monorepo", repo)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    _git(repo, "checkout", "-qb", "feature")
    charts = repo / "charts"

    assert main(["check", str(charts), "--changed", "--base", "main", "--stages", "render"]) == 0
    assert "no chart changed since main" in capsys.readouterr().out

    values = charts / "beta" / "values.yaml"
    values.write_text(values.read_text().replace("replicas: 1", "replicas: 2"))
    _git(repo, "commit", "-qam", "beta: two replicas")
    report = tmp_path / "r.json"
    for extra, stage in ((["--no-upgrade"], "chart-version"), ([], "upgrade")):
        assert main(["check", str(charts), "--changed", "--base", "main", "--stages", "render",
                     "--json", str(report), *extra]) == 1
        out = capsys.readouterr().out
        results = json.loads(report.read_text())["results"]
        assert {r["scenario"].split(":")[0] for r in results} == {"beta"}  # alpha did not change
        [bump] = [r for r in results if r["status"] == "failed"]
        assert bump["stage"] == stage
        assert "version 0.1.0 is not greater than 0.1.0" in out
        assert str(charts / "beta" / "Chart.yaml") in out

    chart_yaml = charts / "beta" / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text().replace("version: 0.1.0", "version: 0.1.1"))
    assert main(["check", str(charts), "--changed", "--base", "main", "--stages", "render"]) == 0
    assert "beta:defaults" in capsys.readouterr().out
