"""The kind CLI: the only module that builds ``kind`` command lines.

kind is built from its Go module by the tool bootstrap (``[tools.kind]``); ``CHARTGATE_KIND``
overrides the binary. kind finds docker on PATH.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from chartgate import cache, proc
from chartgate.tools import bootstrap

CLUSTER_LABEL = "io.x-k8s.kind.cluster"  # on every node container kind creates


def binary() -> Path:
    return bootstrap.ensure("kind")


def _run(args: Iterable[str | Path], timeout: float = 600, check: bool = True,
         stream: bool = False) -> proc.Result:
    return proc.run([binary(), *args], timeout=timeout, check=check, stream=stream,
                    env={"KIND_EXPERIMENTAL_PROVIDER": "docker"})


def clusters() -> list[str]:
    return _run(["get", "clusters"], timeout=60).stdout.split()


def create_cluster(name: str, image: str, config: Path, kubeconfig: Path,
                   wait: str = "0s", timeout: float = 600) -> None:
    _run(["create", "cluster", "--name", name, "--image", image, "--config", config,
          "--kubeconfig", kubeconfig, "--wait", wait, "--retain"], timeout=timeout)


def delete_cluster(name: str, kubeconfig: Path | None = None) -> None:
    args: list[str | Path] = ["delete", "cluster", "--name", name]
    if kubeconfig:
        args += ["--kubeconfig", kubeconfig]
    _run(args, timeout=300)


def load_images(name: str, images: Iterable[str]) -> list[str]:
    """``kind load docker-image`` the images the cluster's nodes do not have yet; returns
    those it loaded. kind checks every node itself, but that costs seconds per image even
    when all are there — and every pytest-xdist worker asks again. So the image IDs loaded
    into this cluster's node containers are recorded (``kind/NAME.loaded.json`` in the
    cache): an image whose ID is recorded for the same node containers is skipped; a
    recreated cluster has new node containers and gets everything again."""
    refs = list(images)
    if not refs:
        return []
    from chartgate.tools import docker

    with cache.locked(f"kind-load-{name}"):
        nodes = sorted(docker.containers([f"label={CLUSTER_LABEL}={name}"]))
        ids = {ref: docker.image_id(ref) for ref in refs}
        record_file = cache.subdir("kind") / f"{name}.loaded.json"
        try:
            record = json.loads(record_file.read_text())
        except (OSError, ValueError):
            record = {}
        loaded: dict[str, str] = record.get("images", {}) if nodes and record.get("nodes") == nodes else {}
        todo = [ref for ref in refs if loaded.get(ref) != ids[ref]]
        if todo:
            _run(["load", "docker-image", "--name", name, *todo], timeout=900)
            loaded.update({ref: ids[ref] for ref in todo})
            record_file.write_text(json.dumps({"nodes": nodes, "images": loaded}, indent=1))
    return todo


def kubeconfig(name: str) -> str:
    return _run(["get", "kubeconfig", "--name", name], timeout=60).stdout


def export_logs(name: str, out_dir: Path) -> None:
    _run(["export", "logs", "--name", name, out_dir], timeout=300, check=False)


def node_names(name: str) -> list[str]:
    return _run(["get", "nodes", "--name", name], timeout=60).stdout.split()
