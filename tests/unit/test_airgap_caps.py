"""Capability-set parsing and the capability-filtering OCI runtime wrapper's rewriting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chartgate.airgap import caps, engine, ocirt

HOST_STATUS = """Name:\tpython3
CapInh:\t0000000000000000
CapPrm:\t000001fffeffffff
CapEff:\t000001fffeffffff
CapBnd:\t000001fffeffffff
CapAmb:\t0000000000000000
"""


def test_bounding_mask_without_sys_resource() -> None:
    bnd = caps.parse_mask(caps.status_mask(HOST_STATUS))
    assert "CAP_SYS_RESOURCE" not in bnd
    assert {"CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_CHECKPOINT_RESTORE"} <= bnd
    assert len(bnd) == len(caps.CAP_NAMES) - 1


def test_full_mask_and_missing() -> None:
    full = caps.parse_mask("000001ffffffffff")
    assert full == set(caps.CAP_NAMES)
    assert caps.missing_caps(caps.parse_mask("000001fffeffffff"), full) == {"CAP_SYS_RESOURCE"}
    assert caps.missing_caps(full, full) == set()


def test_status_mask_missing_field() -> None:
    with pytest.raises(ValueError, match="CapBnd"):
        caps.status_mask("Name:\tx\n")


def test_bounding_set_and_kernel_caps_from_files(tmp_path: Path) -> None:
    status = tmp_path / "status"
    status.write_text(HOST_STATUS)
    assert "CAP_SYS_RESOURCE" not in caps.bounding_set(status)
    last = tmp_path / "cap_last_cap"
    last.write_text("40\n")
    assert caps.kernel_caps(last) == set(caps.CAP_NAMES)
    last.write_text("37\n")
    assert "CAP_PERFMON" not in caps.kernel_caps(last)
    assert len(caps.kernel_caps(tmp_path / "missing")) == len(caps.CAP_NAMES)


def test_wrapper_knows_the_same_capability_names() -> None:
    assert ocirt.CAP_NAMES == caps.CAP_NAMES


def test_own_bounding_set(tmp_path: Path) -> None:
    status = tmp_path / "status"
    status.write_text(HOST_STATUS)
    assert ocirt.own_bounding_set(str(status)) == caps.parse_mask("000001fffeffffff")
    status.write_text("Name:\tx\n")
    assert ocirt.own_bounding_set(str(status)) == set(ocirt.CAP_NAMES)


def test_rewrite_config_filters_every_capability_list() -> None:
    allowed = caps.parse_mask("000001fffeffffff")
    everything = list(caps.CAP_NAMES)
    config = {"process": {"capabilities": {k: list(everything) for k in ocirt.CAP_KINDS}}}
    assert ocirt.rewrite_config(config, allowed)
    for kind in ocirt.CAP_KINDS:
        assert "CAP_SYS_RESOURCE" not in config["process"]["capabilities"][kind]
        assert len(config["process"]["capabilities"][kind]) == len(everything) - 1
    assert not ocirt.rewrite_config(config, allowed), "second pass changes nothing"
    assert not ocirt.rewrite_config({"process": {}}, allowed)
    assert not ocirt.rewrite_config({}, allowed)


def test_rewrite_process_file_for_exec() -> None:
    process = {"args": ["sh"], "capabilities": {"bounding": ["CAP_SYS_RESOURCE", "CAP_KILL"],
                                                "effective": ["CAP_KILL"]}}
    assert ocirt.rewrite_process(process, {"CAP_KILL"})
    assert process["capabilities"] == {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"]}
    assert not ocirt.rewrite_process({"args": []}, {"CAP_KILL"})


@pytest.mark.parametrize(("argv", "expected"), [
    (["--root", "/run/runc", "--log", "/x/log.json", "--log-format", "json", "create",
      "--bundle", "/b", "--pid-file", "/p", "id"], ("config", "/b/config.json")),
    (["--systemd-cgroup", "run", "-b", "/b2", "id"], ("config", "/b2/config.json")),
    (["create", "--bundle=/b3", "id"], ("config", "/b3/config.json")),
    (["--root", "/r", "exec", "--process", "/tmp/proc.json", "--detach", "id"],
     ("process", "/tmp/proc.json")),
    (["exec", "-p", "/tmp/p2.json", "id"], ("process", "/tmp/p2.json")),
    (["exec", "id", "ls"], None),
    (["--root", "/r", "start", "id"], None),
    (["--version"], None),
])
def test_which_file_the_wrapper_rewrites(argv: list[str], expected: tuple[str, str] | None) -> None:
    assert ocirt.targets(argv) == expected


def test_create_without_bundle_uses_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert ocirt.targets(["create", "id"]) == ("config", str(tmp_path / "config.json"))


def test_main_rewrites_bundle_then_execs_real_runc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"process": {"capabilities": {"bounding": ["CAP_SYS_RESOURCE", "CAP_KILL"]}}}))
    execs: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(ocirt, "own_bounding_set", lambda: {"CAP_KILL"})
    monkeypatch.setattr(ocirt.os, "execv", lambda path, args: execs.append((path, args)))
    monkeypatch.setenv("CHARTGATE_REAL_RUNC", "/usr/sbin/runc")
    ocirt.main(["create", "--bundle", str(tmp_path), "cid"])
    assert json.loads(cfg.read_text())["process"]["capabilities"]["bounding"] == ["CAP_KILL"]
    assert execs == [("/usr/sbin/runc", ["/usr/sbin/runc", "create", "--bundle", str(tmp_path), "cid"])]


def test_main_survives_unreadable_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    execs: list[str] = []
    monkeypatch.setattr(ocirt.os, "execv", lambda path, args: execs.append(path))
    monkeypatch.setenv("CHARTGATE_REAL_RUNC", "/usr/sbin/runc")
    ocirt.main(["create", "--bundle", str(tmp_path / "nope"), "cid"])
    assert execs == ["/usr/sbin/runc"]
    assert "could not filter" in capsys.readouterr().err


def test_wrapper_script_is_standalone() -> None:
    script = engine.wrapper_script("/usr/sbin/runc", "/usr/bin/python3")
    assert script.startswith("#!/usr/bin/python3\n")
    assert 'REAL_RUNC = "/usr/sbin/runc"' in script
    assert "from chartgate" not in script and "import chartgate" not in script


def test_daemon_config_adds_and_removes_our_runtime() -> None:
    current = {"log-level": "warn", "runtimes": {"other": {"path": "/x"}}}
    added = engine.desired_daemon_config(current, Path("/w"))
    assert added["default-runtime"] == engine.RUNTIME_NAME
    assert added["runtimes"] == {"other": {"path": "/x"}, engine.RUNTIME_NAME: {"path": "/w"}}
    assert added["log-level"] == "warn"
    removed = engine.desired_daemon_config(added, None)
    assert removed == current
    assert engine.desired_daemon_config({}, None) == {}
