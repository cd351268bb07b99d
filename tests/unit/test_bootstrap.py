"""Tool bootstrap: install once, verify the version, stamp, find; overrides; plugin dir.
The Go build itself is replaced by a fake that writes a script (the real one is exercised
by `chartgate tools install` in every tox env)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chartgate.tools import bootstrap, go
from chartgate.tools.versions import ToolSpec, tool
from chartgate.util.ci import missing_prerequisite


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CHARTGATE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _fake_build(prints: str, calls: list[str]):
    def build(spec: ToolSpec, dest: Path, stream: bool = True) -> Path:
        calls.append(spec.name)
        dest.mkdir(parents=True, exist_ok=True)
        out = dest / spec.binary
        out.write_text(f"#!/bin/sh\necho '{prints}'\n")
        out.chmod(0o755)
        return out
    return build


def test_install_builds_once_then_uses_the_cache(cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[str] = []
    monkeypatch.setattr(go, "build", _fake_build("v4.3.1+gdeadbeef", calls))
    spec = tool("helm")
    path = bootstrap.install(spec)
    assert path == cache / "bin" / "helm-v4.3.1" / "helm"
    assert bootstrap.is_installed(spec)
    assert bootstrap.binary("helm") == path
    bootstrap.install(spec)
    assert calls == ["helm"]
    assert "cached" in capsys.readouterr().err
    bootstrap.install(spec, force=True)
    assert calls == ["helm", "helm"]


def test_install_waits_for_a_concurrent_build_instead_of_building_again(
        cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Another process holds the tool's lock and finishes the build while this one waits:
    this one must use that build, not run a second `go build` into the same directory."""
    import threading
    import time

    from chartgate import cache as cache_mod

    calls: list[str] = []
    fake = _fake_build("v4.3.1+gdeadbeef", calls)
    monkeypatch.setattr(go, "build", fake)
    spec = tool("helm")
    holding = threading.Event()

    def other_process() -> None:
        with cache_mod.locked(f"tool-{spec.key}"):
            holding.set()
            time.sleep(0.3)
            binary = fake(spec, bootstrap.install_dir(spec))
            bootstrap.stamp_path(spec).write_text(f"{spec.fingerprint}\nhelm\n")
            assert binary.exists()

    t = threading.Thread(target=other_process)
    t.start()
    assert holding.wait(5)
    bootstrap.install(spec)
    t.join(5)
    assert calls == ["helm"], "the waiting install built the tool a second time"
    assert "built meanwhile by another process" in capsys.readouterr().err


def test_wrong_version_fails_verification_and_is_not_stamped(cache: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(go, "build", _fake_build("v9.9.9", []))
    spec = tool("helm")
    with pytest.raises(RuntimeError, match=r"expected it to contain 'v4.3.1'"):
        bootstrap.install(spec)
    assert not bootstrap.is_installed(spec)


def test_missing_tool_says_how_to_install(cache: Path) -> None:
    with pytest.raises(bootstrap.ToolMissing, match="chartgate tools install opa"):
        bootstrap.binary("opa")


def test_env_override_wins(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARTGATE_HELM_UNITTEST", "/opt/untt")
    assert bootstrap.binary("helm-unittest") == Path("/opt/untt")


def test_ensure_builds_missing_tools(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(go, "build", _fake_build("Version: 1.22.3", calls))
    assert bootstrap.ensure("opa").name == "opa"
    assert bootstrap.ensure("opa").name == "opa"
    assert calls == ["opa"]


def test_unittest_plugin_dir_has_no_download_hook(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(go, "build", _fake_build("Running chart unittest written in YAML.", []))
    bootstrap.install(tool("helm-unittest"))
    plugins = bootstrap.plugin_dir()
    import yaml
    meta = yaml.safe_load((plugins / "unittest" / "plugin.yaml").read_text())
    assert meta["name"] == "unittest" and "hooks" not in meta
    assert meta["command"] == "$HELM_PLUGIN_DIR/untt"
    assert (plugins / "unittest" / "untt").resolve() == bootstrap.binary("helm-unittest").resolve()


def test_status_and_install_many(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(go, "build", _fake_build("v3.30.0", []))
    assert bootstrap.install_many(["goose"])["goose"].exists()
    status = {name: ok for name, _v, ok in bootstrap.status()}
    assert status["goose"] is True and status["helm"] is False


def test_build_local_builds_a_static_binary(tmp_path: Path) -> None:
    if shutil.which("go") is None and not Path("/usr/local/go/bin/go").exists():
        missing_prerequisite("no Go toolchain")
    mod = tmp_path / "hello"
    mod.mkdir()
    (mod / "go.mod").write_text("module example.test/hello\n\ngo 1.22\n")
    (mod / "main.go").write_text('package main\n\nimport "fmt"\n\nvar v = "dev"\n\n'
                                 'func main() { fmt.Println("hello", v) }\n')
    out = go.build_local(mod, ".", tmp_path / "bin" / "hello", ldflags="-X main.v=1.2.3")
    from chartgate import proc
    assert proc.run([out]).stdout.strip() == "hello 1.2.3"


def test_a_changed_build_spec_is_rebuilt(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    calls: list[str] = []
    monkeypatch.setattr(go, "build", _fake_build("v4.3.1", calls))
    spec = tool("helm")
    bootstrap.install(spec)
    changed = dataclasses.replace(spec, ldflags=spec.ldflags + " -X main.extra=1")
    assert changed.key == spec.key and changed.fingerprint != spec.fingerprint
    assert not bootstrap.is_installed(changed)
    bootstrap.install(changed)
    assert calls == ["helm", "helm"] and bootstrap.is_installed(changed)
