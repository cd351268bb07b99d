"""Loaded scenarios come from the cache only while nothing the loader reads changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartgate import scenario_cache
from chartgate.scenario import Defaults


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Defaults, list[int]]:
    monkeypatch.setenv("CHARTGATE_RESULTS_DIR", str(tmp_path / "results"))
    chart = tmp_path / "chart"
    chart.mkdir()
    (chart / "values-x.yaml").write_text("a: 1\n")
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "one.yaml").write_text("values: [values-x.yaml]\nexpect: {}\n")
    calls: list[int] = []
    real = scenario_cache.load_dir

    def counting(*a: object, **k: object) -> object:
        calls.append(1)
        return real(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(scenario_cache, "load_dir", counting)
    return scenarios, Defaults(chart=chart), calls


def test_an_unchanged_directory_is_loaded_once(setup: tuple[Path, Defaults, list[int]]) -> None:
    scenarios, defaults, calls = setup
    first = scenario_cache.load(scenarios, defaults)
    second = scenario_cache.load(scenarios, defaults)
    assert [s.name for s in second] == [s.name for s in first] == ["one"] and len(calls) == 1
    assert second[0].args == first[0].args


def test_a_changed_file_or_a_missing_values_file_loads_again(setup: tuple[Path, Defaults, list[int]]) -> None:
    scenarios, defaults, calls = setup
    scenario_cache.load(scenarios, defaults)
    (scenarios / "two.yaml").write_text("expect: {}\n")
    assert [s.name for s in scenario_cache.load(scenarios, defaults)] == ["one", "two"]
    (defaults.chart / "values-x.yaml").unlink()
    with pytest.raises(Exception, match=r"values-x\.yaml"):
        scenario_cache.load(scenarios, defaults)
    assert len(calls) == 3


def test_off_without_the_cache(setup: tuple[Path, Defaults, list[int]]) -> None:
    scenarios, defaults, calls = setup
    scenario_cache.load(scenarios, defaults, use_cache=False)
    scenario_cache.load(scenarios, defaults, use_cache=False)
    assert len(calls) == 2
