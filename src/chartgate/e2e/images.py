"""Images of the e2e library, built offline on the local Debian base, and ``kind load``.

* the **load generator** (Go source shipped in ``chartgate/e2e/files/loadgen``) for the
  bounded in-cluster request loop (:mod:`chartgate.e2e.loadgen`);
* helpers for a test suite's own images built from Go modules: :func:`source_key`
  (what an image depends on, known before compiling), :func:`built_from` and
  :func:`fresh_dir` (a per-process build context).

Go binaries are built statically with :func:`chartgate.tools.go.build_local`; the image
goes through the air-gapped image helper (:func:`chartgate.airgap.images.build_image_from_dir`,
cached by context content).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from chartgate import cache
from chartgate.airgap import steps
from chartgate.tools import go

LOADGEN_TAG = "chartgate.local/e2e-loadgen:1"
LOADGEN_SOURCE = Path(__file__).parent / "files" / "loadgen"
SOURCE_LABEL = "org.chartgate.source-key"  # see source_key


def source_key(src: Path, *inputs: str) -> str:
    """What an image built from the Go module ``src`` depends on, known before building: the
    module's files, ``inputs`` (version, build mode, goose's hash), the Go toolchain and the
    base image. Every pytest-xdist worker asks for the same images the ``chartgate e2e
    images`` step has just built; with this key they find them without compiling again."""
    from chartgate.airgap import base

    return steps.key_of("e2e-source", steps.hash_tree(src), inputs, go.go_binary(),
                        go.toolchain_version(), base.key())


def built_from(tag: str, source: str) -> bool:
    from chartgate.tools import docker

    return docker.image_label(tag, SOURCE_LABEL) == source


def fresh_dir(*parts: str) -> Path:
    # per process: parallel sessions (pytest-xdist workers) must not share a build context
    path = cache.subdir("e2e", *parts[:-1], f"{parts[-1]}-{os.getpid()}")
    shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def build_loadgen(loadgen_dir: Path = LOADGEN_SOURCE) -> str:
    """The request loop's image (cached by its sources)."""
    from chartgate.airgap.images import build_image_from_dir

    source = source_key(loadgen_dir)
    if built_from(LOADGEN_TAG, source):
        return LOADGEN_TAG
    ctx = fresh_dir("contexts", "loadgen")
    shutil.copy2(loadgen_dir / "Dockerfile", ctx / "Dockerfile")
    go.build_local(loadgen_dir, ".", ctx / "loadgen")
    try:
        return build_image_from_dir(ctx, LOADGEN_TAG, labels={SOURCE_LABEL: source})
    finally:
        shutil.rmtree(ctx, ignore_errors=True)


def build_dir(context: str | Path, tag: str) -> str:
    """``tag`` built from the directory ``context`` (its Dockerfile starts ``ARG BASE_IMAGE``
    / ``FROM ${BASE_IMAGE}``: the local Debian base), cached by content."""
    from chartgate.airgap.images import build_image_from_dir

    return build_image_from_dir(context, tag)


def load_into_kind(cluster: str, refs: list[str]) -> list[str]:
    """``kind load docker-image`` the ``refs`` that exist locally into ``cluster``, except
    those its node image preloads (the air-gapped one's PostgreSQL). Nothing for a cluster
    kind does not know — a user's own, with registry access. Returns what was loaded."""
    from chartgate.tools import docker, kind

    try:
        known = kind.clusters()
    except Exception:
        return []
    if cluster not in known:
        return []
    from chartgate.airgap.node import preloaded_in

    have = preloaded_in(docker.containers([f"label={kind.CLUSTER_LABEL}={cluster}"]))
    local = [r for r in refs if r not in have and docker.image_exists(r)]
    if local:
        kind.load_images(cluster, local)
    return local
