"""The shared helpers in chartgate.util: CI detection, deep merge, durations, atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from chartgate.util.ci import in_ci, missing_prerequisite
from chartgate.util.durations import parse_duration
from chartgate.util.files import atomic_output, atomic_write
from chartgate.util.lifecycle import Service
from chartgate.util.merge import deep_merge
from chartgate.util.yamlload import safe_load


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "on", " true "])
def test_in_ci_true(value: str) -> None:
    assert in_ci({"CI": value})


@pytest.mark.parametrize("value", ["", "0", "false", "no", "off", "maybe"])
def test_in_ci_false(value: str) -> None:
    assert not in_ci({"CI": value})


def test_in_ci_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert in_ci()
    monkeypatch.delenv("CI")
    assert not in_ci()


def test_deep_merge_maps_merge_and_inputs_are_untouched() -> None:
    base = {"deployment": {"image": {"repository": "clockwork", "tag": "1.0.0"}, "replicas": 1}, "l": [1]}
    over = {"deployment": {"image": {"tag": "1.0.1"}}, "x": {"y": [1]}, "l": [2]}
    out = deep_merge(base, over)
    assert out == {"deployment": {"image": {"repository": "clockwork", "tag": "1.0.1"}, "replicas": 1},
                   "l": [2], "x": {"y": [1]}}
    out["deployment"]["image"]["repository"] = "changed"
    out["x"]["y"].append(2)
    assert base["deployment"]["image"]["repository"] == "clockwork"
    assert over["x"] == {"y": [1]}


def test_deep_merge_null_deletes_like_helm() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "gone": {"x": 1}}
    assert deep_merge(base, {"a": {"c": [3]}, "gone": None}, null_deletes=True) == {"a": {"b": 1, "c": [3]}}
    assert deep_merge(base, {"gone": None}) == {"a": {"b": 1, "c": [1, 2]}, "gone": None}


def test_deep_merge_concat_lists() -> None:
    out = deep_merge({"expect": {"contains": [1]}, "s": 1}, {"expect": {"contains": [2]}, "s": 2},
                     concat_lists=True)
    assert out == {"expect": {"contains": [1, 2]}, "s": 2}


@pytest.mark.parametrize(("text", "seconds"), [
    ("90s", 90), ("5m", 300), ("1m30s", 90), ("2h", 7200), ("500ms", 0.5), ("1.5s", 1.5), ("90", 90),
    (" 4m ", 240), ("1h2m3s", 3723),
])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5x", "m", "1m 30s", "-1s", "s5"])
def test_parse_duration_malformed(text: str) -> None:
    assert parse_duration(text, default=600) == 600
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_atomic_write_text_bytes_mode(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "f.yaml"
    atomic_write(target, "a: 1\n")
    assert target.read_text() == "a: 1\n"
    atomic_write(target, b"\x00\x01", mode=0o755)
    assert target.read_bytes() == b"\x00\x01"
    assert os.stat(target).st_mode & 0o777 == 0o755
    assert sorted(p.name for p in target.parent.iterdir()) == ["f.yaml"]  # no temporary left


def test_atomic_write_failure_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("old")
    with pytest.raises(TypeError):
        atomic_write(target, 42)  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_missing_prerequisite_fails_under_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="prerequisite missing under CI=true: no chart"):
        missing_prerequisite("no chart")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="no chart"):
        missing_prerequisite("no chart")


def test_atomic_output_renames_on_success_and_cleans_up_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "bin" / "tool"
    with atomic_output(target) as tmp:
        assert tmp.parent == target.parent and tmp != target
        tmp.write_text("built")
        assert not target.exists()
    assert target.read_text() == "built"
    with pytest.raises(RuntimeError, match="build failed"), atomic_output(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("build failed")
    assert target.read_text() == "built"
    assert sorted(p.name for p in target.parent.iterdir()) == ["tool"]


def test_safe_load_reads_yaml_without_python_objects() -> None:
    assert safe_load("a: [1, {b: on}]\n") == {"a": [1, {"b": True}]}
    with pytest.raises(yaml.YAMLError):
        safe_load("!!python/object:os.system {}\n")


def test_service_starts_on_entry_and_stops_even_when_the_body_raises() -> None:
    calls: list[str] = []

    class Fake(Service):
        def start(self) -> Fake:
            calls.append("start")
            return self

        def stop(self) -> None:
            calls.append("stop")

    with Fake() as f:
        assert isinstance(f, Fake) and calls == ["start"]
    with pytest.raises(RuntimeError, match="boom"), Fake():
        raise RuntimeError("boom")
    assert calls == ["start", "stop", "start", "stop"]
