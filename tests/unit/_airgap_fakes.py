"""Fakes shared by the air-gapped build tests: docker image builds recorded instead of
run, with the key label kept per tag (so a second build of the same content is cached),
and ``build_all``'s steps recorded in the order they run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chartgate.airgap import base, binaries, build, images, node, steps
from chartgate.tools import docker


def fake_image_builds(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """``docker build`` records ``{"ctx", "tag", "files", "dockerfile", **kwargs}`` per
    build, on the local base ``chartgate.local/debian:bookworm`` (key ``basekey``)."""
    labels: dict[str, str] = {}
    builds: list[dict[str, Any]] = []
    monkeypatch.setattr(base, "build", lambda force=False: False)
    monkeypatch.setattr(base, "tag", lambda: "chartgate.local/debian:bookworm")
    monkeypatch.setattr(base, "key", lambda: "basekey")
    monkeypatch.setattr(docker, "image_label", lambda ref, label: labels.get(ref))
    monkeypatch.setattr(docker, "image_id_or_none", lambda ref: None)
    monkeypatch.setattr(docker, "drop_superseded", lambda ref, old: None)

    def fake_build(ctx: Path, tag: str, **kw: Any) -> None:
        dockerfile = ctx / "Dockerfile"
        builds.append({"ctx": ctx, "tag": tag, "files": sorted(p.name for p in ctx.iterdir()),
                       "dockerfile": dockerfile.read_text() if dockerfile.exists() else "", **kw})
        labels[tag] = kw["labels"][steps.KEY_LABEL]

    monkeypatch.setattr(docker, "build", fake_build)
    return builds


def fake_build_plan(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                    built: Callable[[str], bool] = lambda step: False) -> list[str]:
    """Replace every step of ``build_all`` by a recorder; returns the steps in order
    (``go:NAME`` for Go tools, ``img:NAME`` for images). ``built(step)`` is what the step
    reports (True: it had to build)."""
    calls: list[str] = []

    def rec(name: str) -> Any:
        def step(*a: Any, **kw: Any) -> bool:
            calls.append(name.format(*a))
            return built(calls[-1])
        return step

    monkeypatch.setenv("CHARTGATE_CACHE", str(tmp_path))
    monkeypatch.setattr(build.engine, "ensure", lambda say, actions: "ok")
    monkeypatch.setattr(base, "build", rec("base"))
    monkeypatch.setattr(binaries, "build_tool", rec("go:{}"))
    monkeypatch.setattr(binaries, "build_pause", rec("pause"))
    monkeypatch.setattr(binaries, "check_image_tags", lambda: [])
    monkeypatch.setattr(images, "build_component", rec("img:{}"))
    monkeypatch.setattr(images, "build_local_path", rec("img:local-path"))
    monkeypatch.setattr(images, "build_netpol", rec("img:netpol"))
    monkeypatch.setattr(images, "build_postgres", rec("img:postgres"))
    monkeypatch.setattr(node, "build_rootfs", lambda force=False: (calls.append("rootfs") or False, "k"))
    monkeypatch.setattr(node, "build_node", rec("node"))
    return calls


def node_key_follows(monkeypatch: pytest.MonkeyPatch, key: str) -> bool:
    """Does the node image's key change when only the image key ``key`` (an
    :mod:`chartgate.airgap.images` function, e.g. ``netpol_key``) changes?"""
    for name in ("component_key", "local_path_key", "netpol_key", "postgres_key"):
        monkeypatch.setattr(images, name, lambda *a: "same")
    monkeypatch.setattr(base, "key", lambda: "basekey")
    monkeypatch.setattr(images, key, lambda *a: f"{key}-1")
    first = node.node_key("rootfs")
    monkeypatch.setattr(images, key, lambda *a: f"{key}-2")
    return node.node_key("rootfs") != first
