"""The NetworkPolicy controller of the air-gapped cluster: where it sits in the build plan
(Go build → image → node preload → kind's default-CNI manifest → ``cluster up`` wait), its
cache key, its manifest, and the start script's choice between the controller's own
nftables diversion and the iptables NFQUEUE fallback (run with fake nft/iptables)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from _airgap_fakes import fake_build_plan, fake_image_builds, node_key_follows

from chartgate.airgap import binaries, build, cluster, config, images, node
from chartgate.tools import docker
from chartgate.tools.versions import tool

SCRIPT = images.netpol_source() / "divert-and-run.sh"


def test_pinned_module_and_build_order() -> None:
    spec = tool("kube-network-policies")
    assert spec.module == "sigs.k8s.io/kube-network-policies"
    assert spec.package == "sigs.k8s.io/kube-network-policies/cmd"
    assert spec.version.startswith("v0.")
    assert spec.key == f"kube-network-policies-{spec.version}", "cache keyed by the pinned version"
    assert "kube-network-policies" in binaries.GO_TOOLS
    assert config.netpol_image() == f"chartgate.local/kube-network-policies:{spec.version}"


def test_build_plan_builds_the_controller_before_the_node_preload(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    calls = fake_build_plan(monkeypatch, tmp_path, built=lambda step: step == "img:netpol")
    progress = build.build_all()
    order = {c: i for i, c in enumerate(calls)}
    assert order["go:kube-network-policies"] < order["img:netpol"] < order["rootfs"] < order["node"]
    rec = next(r for r in progress.records if "NetworkPolicy controller image" in r["step"])
    assert rec["cached"] is False and config.netpol_image() in rec["step"]


def test_node_preloads_the_controller_image_and_keys_on_it(monkeypatch: pytest.MonkeyPatch) -> None:
    assert config.netpol_image() in node.preload_images()
    assert node_key_follows(monkeypatch, "netpol_key"), "a new controller image rebuilds the node image"


def test_netpol_image_cached_by_binary_and_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    binary = tmp_path / "kube-network-policies"
    binary.write_bytes(b"v1")
    monkeypatch.setenv("CHARTGATE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(binaries, "tool_binary", lambda name: binary)
    builds = fake_image_builds(monkeypatch)
    assert images.build_netpol() is True
    assert builds[0]["tag"] == config.netpol_image()
    assert builds[0]["files"] == ["Dockerfile", "divert-and-run.sh", "kube-network-policies"]
    assert "iptables nftables" in builds[0]["dockerfile"]
    assert builds[0]["build_args"] == {"BASE_IMAGE": "chartgate.local/debian:bookworm"}
    assert images.build_netpol() is False, "same binary, same files: cached"
    binary.write_bytes(b"v2")
    assert images.build_netpol() is True, "a rebuilt binary (another pin) rebuilds the image"


def test_manifest_is_filled_and_wired_to_the_image() -> None:
    text = (images.netpol_source() / node.NETPOL_MANIFEST).read_text()
    out = node.netpol_manifest(text, "chartgate.local/knp:v9", "10.244.0.0/16", 100)
    docs = [d for d in yaml.safe_load_all(out) if d]
    assert [d["kind"] for d in docs] == ["ClusterRole", "ClusterRoleBinding", "ServiceAccount", "DaemonSet"]
    ds = docs[-1]
    assert (ds["metadata"]["namespace"], ds["metadata"]["name"]) == cluster.NETPOL_DAEMONSET
    pod = ds["spec"]["template"]["spec"]
    assert pod["hostNetwork"] is True
    ctr = pod["containers"][0]
    assert ctr["image"] == "chartgate.local/knp:v9"
    assert ctr["imagePullPolicy"] == "Never", "preloaded in the node image; no registry"
    env = {e["name"]: e.get("value") for e in ctr["env"]}
    assert env["POD_SUBNET"] == "10.244.0.0/16" and env["NFQUEUE_ID"] == "100"
    assert "/proc/net/netfilter/nfnetlink_queue" in " ".join(ctr["readinessProbe"]["exec"]["command"])
    rules = {r for role in docs[:1] for rule in role["rules"] for r in rule["resources"]}
    assert rules == {"pods", "namespaces", "networkpolicies"}
    with pytest.raises(RuntimeError, match="placeholder"):
        node.netpol_manifest(text + "\n# @OTHER@\n", "i", "s", 1)


def test_rootfs_ships_the_manifest_as_kinds_default_cni(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    files = tmp_path / "images/base/files"
    for _src, dest in node.KIND_FILES:
        (files / dest).parent.mkdir(parents=True, exist_ok=True)
        (files / dest).write_text("x\n")
    (files / "etc/systemd/system/containerd.service").write_text("ExecStart=/usr/local/bin/containerd\n")
    (files / "etc/containerd").mkdir(parents=True)
    (files / "etc/containerd/config.toml").write_text(
        '[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "p"\n')
    monkeypatch.setattr(node, "storage_manifest", lambda *a: "storage\n")
    out = node.rootfs_files(tmp_path)
    manifest = out[f"rootfs/{node.DEFAULT_CNI_MANIFEST}"]
    assert isinstance(manifest, str)
    assert f"image: {config.netpol_image()}" in manifest
    assert config.airgap()["pod_subnet"] in manifest


def test_cluster_up_keeps_kinds_default_cni_step_and_waits_for_the_controller() -> None:
    for airgapped in (True, False):
        assert cluster.kind_config(airgapped)["networking"]["disableDefaultCNI"] is False
    status = SimpleNamespace(desired_number_scheduled=1, number_ready=1, updated_number_scheduled=1,
                             observed_generation=2)
    ds = SimpleNamespace(status=status, metadata=SimpleNamespace(generation=2))
    assert cluster.daemonset_ready(ds)[0]
    status.number_ready = 0
    assert cluster.daemonset_ready(ds) == (False, "0/1 ready, 1 updated")
    status.number_ready, status.desired_number_scheduled = 0, 0
    assert not cluster.daemonset_ready(ds)[0], "nothing scheduled is not Ready"
    assert not cluster.daemonset_ready(SimpleNamespace(status=None, metadata=ds.metadata))[0]


# --- the start script, with fake nft / iptables / controller on PATH -------------------

def _fakes(tmp_path: Path, nft_queue_ok: bool) -> tuple[dict[str, str], Path]:
    log = tmp_path / "calls.log"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    nft = ('#!/bin/bash\necho "nft $*" >> "$LOG"\n'
           'if [ "$1" = -f ]; then body=$(cat); echo "$body" >> "$LOG"; '
           f'exit {0 if nft_queue_ok else 1}; fi\nexit 0\n')
    # `iptables -C` (check) fails: nothing installed yet
    ipt = '#!/bin/bash\necho "iptables $*" >> "$LOG"\nfor a; do [ "$a" = -C ] && exit 1; done\nexit 0\n'
    ctl = '#!/bin/bash\necho "controller $*" >> "$LOG"\n'
    for name, body in (("nft", nft), ("iptables", ipt), ("kube-network-policies", ctl)):
        (bindir / name).write_text(body)
        (bindir / name).chmod(0o755)
    env = {"PATH": f"{bindir}:{os.environ['PATH']}", "LOG": str(log), "POD_SUBNET": "10.244.0.0/16",
           "NFQUEUE_ID": "100", "KUBE_NETWORK_POLICIES": str(bindir / "kube-network-policies")}
    return env, log


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True,
                          timeout=30, check=False)


def test_script_falls_back_to_iptables_nfqueue_without_nft_queue(tmp_path: Path) -> None:
    env, log = _fakes(tmp_path, nft_queue_ok=False)
    res = _run(env, "--disable-nri")
    assert res.returncode == 0, res.stderr
    assert "no nftables queue statement" in res.stdout
    calls = log.read_text()
    assert "queue num 100 bypass" in calls, "the probe asks for exactly the controller's statement"
    for d in ("-s", "-d"):
        assert (f"iptables -t mangle -A CHARTGATE-NETPOL -m conntrack --ctstate NEW {d} 10.244.0.0/16"
                in calls)
    assert "-j NFQUEUE --queue-num 100 --queue-bypass" in calls
    assert "iptables -t mangle -I FORWARD 1 -j CHARTGATE-NETPOL" in calls
    assert calls.rstrip().endswith("controller --nfqueue-id=100 --disable-nri")


def test_script_leaves_diversion_to_the_controller_when_nft_queue_works(tmp_path: Path) -> None:
    env, log = _fakes(tmp_path, nft_queue_ok=True)
    res = _run(env)
    assert res.returncode == 0, res.stderr
    assert "diverts packets itself" in res.stdout
    calls = log.read_text()
    assert "NFQUEUE" not in calls and "-A CHARTGATE-NETPOL" not in calls
    assert calls.rstrip().endswith("controller --nfqueue-id=100")


def test_script_needs_the_pod_subnet(tmp_path: Path) -> None:
    env, _ = _fakes(tmp_path, nft_queue_ok=False)
    del env["POD_SUBNET"]
    res = _run(env)
    assert res.returncode != 0 and "POD_SUBNET" in res.stderr


def test_node_image_without_the_controller_keeps_kinds_cni_step_off(monkeypatch: pytest.MonkeyPatch) -> None:
    # an air-gapped node image built before the controller has no default-CNI manifest:
    # kind would fail reading it, so cluster up turns the step off (and says so)
    assert cluster.kind_config(True, default_cni=False)["networking"]["disableDefaultCNI"] is True
    calls: list[list[str]] = []

    def fake_run(args: Any, **kw: Any) -> Any:
        calls.append([str(a) for a in args])
        return SimpleNamespace(returncode=1, stdout="", stderr="")

    monkeypatch.setattr(docker, "run", fake_run)
    assert docker.image_has_file("node:1", "/" + node.DEFAULT_CNI_MANIFEST) is False
    assert calls[-1] == ["run", "--rm", "--network", "none", "--entrypoint", "test", "node:1",
                         "-f", "/kind/manifests/default-cni.yaml"]


def test_cluster_waits_poll_each_object_until_ready_and_name_the_stragglers() -> None:
    """The bounded wait behind `cluster up`'s Deployment/DaemonSet/node waits: an object is
    read until ready; API errors count as "not yet"; a timeout names what is still pending."""
    reads: list[str] = []
    answers = {"kube-system/coredns": iter([RuntimeError("connection refused"), "ready"]),
               "kube-system/stuck": iter(["starting"] * 10)}

    def read(name: str, ns: str) -> str:
        reads.append(name)
        answer = next(answers[f"{ns}/{name}"])
        if isinstance(answer, Exception):
            raise answer
        return answer

    def ready(obj: str) -> tuple[bool, str]:
        return obj == "ready", obj

    assert cluster.wait_all_ready("Deployment(s)", [("kube-system", "coredns")], read, ready, timeout=10) \
        == "kube-system/coredns"
    assert reads == ["coredns", "coredns"]
    stuck = (r"Deployment\(s\) not Ready after 0.1s: \[\('kube-system', 'stuck'\)\] "
             r"\(kube-system/stuck: starting\)")
    with pytest.raises(TimeoutError, match=stuck):
        cluster.wait_all_ready("Deployment(s)", [("kube-system", "stuck")], read, ready, timeout=0.1)
