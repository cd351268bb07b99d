"""Pure logic of the air-gapped build: cache keys, the node image's generated files, the
kind config, the tag check against kubeadm, and the docker/kind wrappers' command lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _airgap_fakes import fake_image_builds

from chartgate import proc
from chartgate.airgap import binaries, cluster, config, node, steps
from chartgate.tools import docker, kind
from chartgate.tools.versions import tool

KIND_CONTAINERD = '''# explicitly use v2 config format
version = 2

[proxy_plugins]
# fuse-overlayfs is used for rootless
[proxy_plugins."fuse-overlayfs"]
  type = "snapshot"
  address = "/run/containerd-fuse-overlayfs.sock"

[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "overlayfs"

[plugins."io.containerd.grpc.v1.cri"]
  # use fixed sandbox image
  sandbox_image = "registry.k8s.io/pause:3.10"
'''

STORAGE_GO = '''package nodeimage

const storageProvisionerImage = "docker.io/kindest/local-path-provisioner:v1"
const storageHelperImage = "docker.io/kindest/local-path-helper:v1"

const defaultStorageManifest = `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
---
kind: Deployment
spec:
  containers:
  - image: ` + storageProvisionerImage + `
    command: [local-path-provisioner, --helper-image, ` + storageHelperImage + `]
`
'''


def test_key_is_stable_and_input_sensitive() -> None:
    assert steps.key_of("a", 1, {"x": "y"}) == steps.key_of("a", 1, {"x": "y"})
    assert steps.key_of("a", 1) != steps.key_of("a", 2)
    assert len(steps.key_of("a")) == 16


def test_hash_tree_sees_content_and_mode(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    f = tmp_path / "d" / "f"
    f.write_text("one")
    h1 = steps.hash_tree(tmp_path)
    f.write_text("two")
    h2 = steps.hash_tree(tmp_path)
    f.chmod(0o755)
    h3 = steps.hash_tree(tmp_path)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.pyc").write_text("ignored")
    assert len({h1, h2, h3}) == 3
    assert steps.hash_tree(tmp_path) == h3


def test_progress_records_steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CHARTGATE_CACHE", str(tmp_path))
    p = steps.Progress("test")
    with p.step("one") as rec:
        rec["cached"] = True
    with pytest.raises(RuntimeError), p.step("two"):
        raise RuntimeError("boom")
    err = capsys.readouterr().err
    assert "✓ one: cached" in err and "✗ two failed" in err
    line = json.loads((tmp_path / "airgap/logs/timings.jsonl").read_text().splitlines()[-1])
    assert [s["step"] for s in line["steps"]] == ["one", "two"]
    assert line["steps"][1]["failed"]


def test_component_images_match_kubeadm_naming() -> None:
    imgs = config.component_images()
    kv = tool("kubernetes").version
    assert imgs["kube-apiserver"] == f"registry.k8s.io/kube-apiserver:{kv}"
    assert imgs["coredns"] == f"registry.k8s.io/coredns/coredns:{tool('coredns').version}"
    assert imgs["etcd"].startswith("registry.k8s.io/etcd:" + tool("etcd").version.lstrip("v"))
    assert kv.startswith("v1.34."), "1.35+ kubelets refuse cgroup v1 (this CI host)"


def test_check_image_tags_detects_drift(monkeypatch: pytest.MonkeyPatch) -> None:
    good = list(config.component_images().values())
    monkeypatch.setattr(binaries, "kubeadm_images", lambda: list(good))
    assert sorted(binaries.check_image_tags()) == sorted(good)
    monkeypatch.setattr(binaries, "kubeadm_images", lambda: [*good[:-1], "registry.k8s.io/etcd:9.9.9-0"])
    with pytest.raises(RuntimeError, match="drifted"):
        binaries.check_image_tags()


def test_node_image_selection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHARTGATE_KIND_NODE_IMAGE", raising=False)
    assert config.selected_node_image() == config.node_image()
    assert config.node_image().endswith(":" + tool("kubernetes").version)
    monkeypatch.setenv("CHARTGATE_KIND_NODE_IMAGE", "stock")
    assert config.selected_node_image().startswith("kindest/node:")
    assert config.selected_node_image("my/node:1") == "my/node:1"
    monkeypatch.setenv("CHARTGATE_KIND_NODE_IMAGE", "other/node:2")
    assert config.selected_node_image() == "other/node:2"


def test_containerd_config_for_debian() -> None:
    out = node.containerd_config(KIND_CONTAINERD, "registry.k8s.io/pause:3.10.1")
    assert 'sandbox_image = "registry.k8s.io/pause:3.10.1"' in out
    assert "proxy_plugins" not in out and "fuse-overlayfs" not in out
    assert 'bin_dir = "/usr/lib/cni"' in out
    assert "restrict_oom_score_adj = true" in out
    with_false = KIND_CONTAINERD + "  restrict_oom_score_adj = false\n"
    out2 = node.containerd_config(with_false, "p")
    assert "restrict_oom_score_adj = true" in out2 and "= false" not in out2
    assert '[plugins."io.containerd.grpc.v1.cri".containerd]' in out
    with pytest.raises(RuntimeError):
        node.containerd_config("version = 2\n", "x")


def test_containerd_service_points_at_debian_binary() -> None:
    unit = "[Service]\nExecStart=/usr/local/bin/containerd\n"
    assert "ExecStart=/usr/bin/containerd\n" in node.containerd_service(unit)
    with pytest.raises(RuntimeError):
        node.containerd_service("[Service]\n")


def test_cni_conflist_uses_first_24_of_pod_subnet() -> None:
    conf = json.loads(node.cni_conflist("10.244.0.0/16"))
    assert [p["type"] for p in conf["plugins"]] == ["ptp", "portmap"]
    assert conf["plugins"][0]["ipam"]["ranges"] == [[{"subnet": "10.244.0.0/24"}]]
    assert node.node_pod_cidr("10.1.2.0/24") == "10.1.2.0/24"


def test_storage_manifest_from_kind_module(tmp_path: Path) -> None:
    src = tmp_path / "pkg/build/nodeimage"
    src.mkdir(parents=True)
    (src / "const_storage.go").write_text(STORAGE_GO)
    out = node.storage_manifest(tmp_path, "chartgate.local/lpp:v1", "chartgate.local/debian:bookworm")
    assert "image: chartgate.local/lpp:v1" in out
    assert "--helper-image, chartgate.local/debian:bookworm]" in out
    assert "`" not in out and "storageProvisionerImage" not in out
    assert out.startswith("apiVersion: storage.k8s.io/v1")
    (src / "const_storage.go").write_text("package nodeimage\n")
    with pytest.raises(RuntimeError):
        node.storage_manifest(tmp_path, "a", "b")


def test_kind_config_keeps_the_default_cni_step() -> None:
    # our node image's "default CNI" manifest is the NetworkPolicy controller, stock
    # kindest/node's is kindnet: kind applies it for both
    ours = cluster.kind_config(airgapped=True)
    stock = cluster.kind_config(airgapped=False)
    assert ours["networking"]["disableDefaultCNI"] is False
    assert stock["networking"]["disableDefaultCNI"] is False
    assert ours["nodes"] == [{"role": "control-plane"}]
    assert ours["apiVersion"] == "kind.x-k8s.io/v1alpha4"


class FakeRun:
    def __init__(self, outputs: dict[str, str] | None = None, rc: int = 0) -> None:
        self.calls: list[list[str]] = []
        self.outputs = outputs or {}
        self.rc = rc

    def __call__(self, argv: Any, **kw: Any) -> proc.Result:
        args = [str(a) for a in argv]
        self.calls.append(args)
        out = next((v for k, v in self.outputs.items() if k in " ".join(args)), "")
        return proc.Result(args, self.rc, out, "")


def test_docker_wrapper_command_lines(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = FakeRun({"Config.Labels": '{"org.chartgate.key": "abc"}', "ps -a --format": "a\nb\n"})
    monkeypatch.setattr(proc, "run", fake)
    monkeypatch.setenv("CHARTGATE_DOCKER", "/bin/docker-x")
    docker.build(tmp_path, "t:1", build_args={"BASE_IMAGE": "b"}, labels={"k": "v"})
    assert fake.calls[-1] == ["/bin/docker-x", "build", "--network", "host", "-t", "t:1",
                              "--build-arg", "BASE_IMAGE=b", "--label", "k=v", str(tmp_path)]
    assert docker.image_label("t:1", "org.chartgate.key") == "abc"
    assert docker.container_names(["label=x=y"]) == ["a", "b"]
    assert fake.calls[-1][-2:] == ["--filter", "label=x=y"]
    docker.commit("c", "img:1", changes=["CMD []"])
    assert fake.calls[-1] == ["/bin/docker-x", "commit", "--change", "CMD []", "c", "img:1"]


def test_kind_wrapper_command_lines(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = FakeRun({"get clusters": "one\ntwo\n"})
    monkeypatch.setattr(proc, "run", fake)
    monkeypatch.setattr(kind, "binary", lambda: Path("/k/kind"))
    assert kind.clusters() == ["one", "two"]
    kind.create_cluster("c", "img:1", tmp_path / "cfg.yaml", tmp_path / "kc")
    assert fake.calls[-1][:8] == ["/k/kind", "create", "cluster", "--name", "c", "--image", "img:1",
                                  "--config"]
    kind.load_images("c", [])
    assert fake.calls[-1][1:3] == ["create", "cluster"], "no images, no kind load"
    monkeypatch.setenv("CHARTGATE_CACHE", str(tmp_path / "cache"))
    fake.outputs.update({"ps -q": "node-1\n", "image inspect": "sha256:aaa\n"})
    kind.load_images("c", ["a:1"])
    assert fake.calls[-1] == ["/k/kind", "load", "docker-image", "--name", "c", "a:1"]


def test_kind_load_skips_images_the_same_nodes_already_got(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    """Every xdist worker asks to load the same images: only the first `kind load` runs;
    a rebuilt image (new ID) or a recreated cluster (new node containers) loads again."""
    monkeypatch.setenv("CHARTGATE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(kind, "binary", lambda: Path("/k/kind"))
    fake = FakeRun({"ps -q": "node-1\n", "a:1": "sha256:aaa\n", "b:1": "sha256:bbb\n"})
    monkeypatch.setattr(proc, "run", fake)

    def loads() -> list[list[str]]:
        return [c[1:] for c in fake.calls if c[0] == "/k/kind"]

    assert kind.load_images("c", ["a:1", "b:1"]) == ["a:1", "b:1"]
    assert kind.load_images("c", ["a:1", "b:1"]) == []
    assert loads() == [["load", "docker-image", "--name", "c", "a:1", "b:1"]]
    fake.outputs["b:1"] = "sha256:bbb2\n"  # rebuilt
    assert kind.load_images("c", ["a:1", "b:1"]) == ["b:1"]
    fake.outputs["ps -q"] = "node-2\n"  # the cluster was recreated
    assert kind.load_images("c", ["a:1"]) == ["a:1"]
    assert kind.load_images("other", ["a:1"]) == ["a:1"], "another cluster has its own record"


class FakeDockerKind:
    """In-memory docker + kind state for cluster.down()."""

    def __init__(self, other_cluster: bool = False) -> None:
        self.containers = {"c-control-plane": ["vol1"]}
        if other_cluster:
            self.containers["other-control-plane"] = ["vol2"]
        self.volumes = {"vol1", "vol2"} if other_cluster else {"vol1"}
        self.network = True
        self.clusters = ["c", "other"] if other_cluster else ["c"]

    def install(self, mp: pytest.MonkeyPatch) -> None:
        mp.setattr(docker, "container_names",
                   lambda f=(): [c for c in self.containers if any(c.startswith(x.rsplit("=", 1)[1] + "-")
                                                                   for x in f)])
        mp.setattr(docker, "container_volumes", lambda c: list(self.containers.get(c, [])))
        mp.setattr(docker, "volumes", lambda f=(): [])
        mp.setattr(docker, "volume_exists", lambda v: v in self.volumes)
        mp.setattr(docker, "networks", lambda f=(): ["kind"] if self.network else [])
        mp.setattr(docker, "network_containers", lambda n: list(self.containers) if self.network else [])
        mp.setattr(docker, "remove_container", lambda c: self.containers.pop(c, None))
        mp.setattr(docker, "remove_volume", lambda v: self.volumes.discard(v))
        mp.setattr(docker, "remove_network", lambda n: setattr(self, "network", False))
        mp.setattr(kind, "clusters", lambda: list(self.clusters))

        def delete(name: str, kubeconfig: Path | None = None) -> None:
            self.clusters.remove(name)
            self.containers.pop(f"{name}-control-plane", None)  # kind rm -f -v

        mp.setattr(kind, "delete_cluster", delete)


def test_down_removes_everything(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHARTGATE_CACHE", str(tmp_path))
    fake = FakeDockerKind()
    fake.install(monkeypatch)
    left = cluster.down("c")
    assert left == {"containers": [], "volumes": [], "networks": []}
    assert fake.volumes == set() and not fake.network and fake.clusters == []


def test_down_keeps_the_network_another_cluster_uses(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHARTGATE_CACHE", str(tmp_path))
    fake = FakeDockerKind(other_cluster=True)
    fake.install(monkeypatch)
    assert cluster.down("c") == {"containers": [], "volumes": [], "networks": []}
    assert fake.network and fake.volumes == {"vol2"} and fake.clusters == ["other"]


def test_build_image_from_dir_is_cached_by_content(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from chartgate.airgap import images

    builds = fake_image_builds(monkeypatch)
    (tmp_path / "Dockerfile").write_text("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n")
    (tmp_path / "f").write_text("1")
    assert images.build_image_from_dir(tmp_path, "x:1", build_args={"V": "1"}) == "x:1"
    assert builds[0]["build_args"] == {"BASE_IMAGE": "chartgate.local/debian:bookworm", "V": "1"}
    images.build_image_from_dir(tmp_path, "x:1", build_args={"V": "1"})
    assert len(builds) == 1, "unchanged context: cached"
    (tmp_path / "f").write_text("2")
    images.build_image_from_dir(tmp_path, "x:1", build_args={"V": "1"})
    images.build_image_from_dir(tmp_path, "x:1", build_args={"V": "2"})
    images.build_image_from_dir(tmp_path, "x:1", build_args={"V": "2"}, force=True)
    assert len(builds) == 4
    with pytest.raises(FileNotFoundError):
        images.build_image_from_dir(tmp_path / "nope", "x:1")
    with pytest.raises(FileNotFoundError):
        images.build_image_from_dir(tmp_path, "x:1", dockerfile=tmp_path / "Other")
