"""The PostgreSQL workload image is preloaded into the air-gapped node image, so a new
cluster does not ``kind load`` it: built before the node, part of the node's key, recorded
in the node's label, and skipped by ``cluster up``."""

from __future__ import annotations

from pathlib import Path

import pytest
from _airgap_fakes import fake_build_plan, node_key_follows

from chartgate.airgap import build, cluster, images, node


def test_postgres_is_built_before_the_node_and_preloaded(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    calls = fake_build_plan(monkeypatch, tmp_path)
    build.build_all()
    assert calls.index("img:postgres") < calls.index("node"), calls
    assert images.postgres_tag() in node.preload_images()


def test_node_key_follows_the_postgres_image(monkeypatch: pytest.MonkeyPatch) -> None:
    assert node_key_follows(monkeypatch, "postgres_key"), "a new PostgreSQL image rebuilds the node image"


def test_preloaded_reads_the_node_label(monkeypatch: pytest.MonkeyPatch) -> None:
    labels = {("chartgate.local/kind-node:v1", node.PRELOADED_LABEL): "a:1,chartgate.local/postgres:15"}
    monkeypatch.setattr(node.docker, "image_label", lambda ref, label: labels.get((ref, label)))
    assert node.preloaded("chartgate.local/kind-node:v1") == {"a:1", "chartgate.local/postgres:15"}
    assert node.preloaded("kindest/node:v1.34.0") == set(), "a stock node image preloads nothing of ours"


def test_cluster_up_does_not_load_what_the_node_image_preloads(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    loaded: list[list[str]] = []
    monkeypatch.setenv("CHARTGATE_CACHE", str(tmp_path))
    monkeypatch.setattr(cluster, "exists", lambda name: True)  # reuse: no kind create
    monkeypatch.setattr(cluster, "selected_node_image", lambda image=None: "chartgate.local/kind-node:v1")
    monkeypatch.setattr(cluster, "preloaded", lambda image: {"chartgate.local/postgres:15"})
    monkeypatch.setattr(cluster.kind, "load_images", lambda name, refs: loaded.append(list(refs)))
    monkeypatch.setattr(cluster.kind, "kubeconfig", lambda name: "apiVersion: v1\n")
    for name in ("wait_node_ready", "wait_deployments", "wait_daemonsets"):
        monkeypatch.setattr(cluster, name, lambda *a, **kw: "ok")
    monkeypatch.setattr(cluster, "daemonset_exists", lambda *a: True)
    import chartgate.airgap.engine as engine

    monkeypatch.setattr(engine, "ensure", lambda say, actions: "ok")
    cluster.up("c", load=["chartgate.local/postgres:15", "app:1"])
    assert loaded == [["app:1"]], loaded


def test_the_e2e_library_skips_what_the_nodes_preload(monkeypatch: pytest.MonkeyPatch) -> None:
    from chartgate.e2e import images as e2e_images
    from chartgate.tools import docker, kind

    loaded: list[list[str]] = []
    monkeypatch.setattr(kind, "clusters", lambda: ["c"])
    monkeypatch.setattr(kind, "load_images", lambda name, refs: loaded.append(list(refs)))
    monkeypatch.setattr(docker, "containers", lambda filters=(), all_=True: ["c-control-plane"])
    labels = {node.PRELOADED_LABEL: "a:1,chartgate.local/postgres:15"}
    monkeypatch.setattr(docker, "container_label", lambda c, label: labels.get(label))
    monkeypatch.setattr(docker, "image_exists", lambda ref: True)
    assert e2e_images.load_into_kind("c", ["chartgate.local/postgres:15", "app:1"]) == ["app:1"]
    assert loaded == [["app:1"]]
