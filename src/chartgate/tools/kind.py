"""The kind CLI: the only module that builds ``kind`` command lines.

kind is built from its Go module by the tool bootstrap (``[tools.kind]``); ``CHARTGATE_KIND``
overrides the binary. kind finds docker on PATH.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from chartgate import proc
from chartgate.tools import bootstrap


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


def load_images(name: str, images: Iterable[str]) -> None:
    refs = list(images)
    if refs:
        _run(["load", "docker-image", "--name", name, *refs], timeout=900)


def kubeconfig(name: str) -> str:
    return _run(["get", "kubeconfig", "--name", name], timeout=60).stdout


def export_logs(name: str, out_dir: Path) -> None:
    _run(["export", "logs", "--name", name, out_dir], timeout=300, check=False)


def node_names(name: str) -> list[str]:
    return _run(["get", "nodes", "--name", name], timeout=60).stdout.split()
