"""Images of the e2e stage, built offline on the local Debian base.

* the clockwork **contract double** (``tests/e2e/app``) three times — ``clockwork:1.0.0``,
  ``clockwork:1.0.1`` and ``clockwork:v1.0.1`` (the tag the deployment plan's ``kubectl set
  image … server=clockwork:v1.0.1`` names), differing only in the version they report —
  and once as the broken-shutdown variant ``clockwork:1.0.0-abrupt`` (exits at once on
  SIGTERM), which the rolling-update check must fail on;
* the **load generator** (``tests/e2e/loadgen``) for the in-cluster request loop.

Go binaries are built statically with :func:`chartgate.tools.go.build_local`; goose is the
pinned tool from the bootstrap; the image goes through the air-gapped image helper
(:func:`chartgate.airgap.images.build_image_from_dir`, cached by context content).
``CLOCKWORK_E2E_IMAGE`` and ``…_NEXT`` (both required, and different) replace the double
with two real images; the broken-shutdown variant is still built from the double, since it
tests the stage's own check.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from chartgate import cache
from chartgate.airgap import steps
from chartgate.e2e.settings import DOUBLE_ABRUPT, DOUBLE_V1, DOUBLE_V2, Settings
from chartgate.tools import go

LOADGEN_TAG = "chartgate.local/e2e-loadgen:1"
SOURCE_LABEL = "org.chartgate.source-key"  # see _source_key
PLAN_SET_IMAGE_TAG = "clockwork:v1.0.1"  # deployment plan step 14, verbatim
PLAN_SET_IMAGE_VERSION = "v1.0.1"  # reported by that image, so the loop can tell it apart
DOUBLE_CONTENT = ("Dockerfile", ".dockerignore", "server", "migrations-failing", "client")


@dataclass(frozen=True)
class AppImages:
    """The server images the scenarios deploy."""

    v1: str
    v1_version: str
    v2: str
    v2_version: str
    set_image: str  # what the plan's `kubectl set image` uses (never the image already running)
    set_image_version: str
    double: bool  # the contract double (has the test fault switch)
    abrupt: str = ""  # the double's broken-shutdown variant (exits at once on SIGTERM)

    @property
    def all(self) -> list[str]:
        return sorted({self.v1, self.v2, self.set_image} | ({self.abrupt} if self.abrupt else set()))

    @staticmethod
    def split(ref: str) -> tuple[str, str]:
        repo, _, tag = ref.rpartition(":")
        if not repo or "/" in tag:
            return ref, "latest"
        return repo, tag


def _source_key(src: Path, *inputs: str) -> str:
    """What an image built from the Go module ``src`` depends on, known before building: the
    module's files, ``inputs`` (version, build mode, goose's hash), the Go toolchain and the
    base image. Every pytest-xdist worker asks for the same images the ``chartgate e2e
    images`` step has just built; with this key they find them without compiling again."""
    from chartgate.airgap import base

    return steps.key_of("e2e-source", steps.hash_tree(src), inputs, go.go_binary(),
                        go.toolchain_version(), base.key())


def _built_from(tag: str, source: str) -> bool:
    from chartgate.tools import docker

    return docker.image_label(tag, SOURCE_LABEL) == source


def _readable(ctx: Path) -> None:
    """Modes the image needs (COPY keeps them): everything readable by the non-root user,
    directories and ``bin/*`` executable — set here rather than in a ``RUN chmod`` layer,
    which would store a second copy of every file in each image."""
    for path in [ctx, *ctx.rglob("*")]:
        executable = path.is_dir() or path.parent == ctx / "bin"
        path.chmod(0o755 if executable else 0o644)


def _fresh_dir(*parts: str) -> Path:
    # per process: parallel sessions (pytest-xdist workers) must not share a build context
    path = cache.subdir("e2e", *parts[:-1], f"{parts[-1]}-{os.getpid()}")
    shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def build_double(app_dir: Path, version: str, tag: str, shutdown: str = "graceful") -> str:
    """Build the contract double reporting ``version`` as ``tag`` (cached by content);
    ``shutdown="immediate"`` builds the broken-shutdown variant."""
    from chartgate.airgap.images import build_image_from_dir
    from chartgate.tools import bootstrap

    goose = bootstrap.ensure("goose")
    source = _source_key(app_dir, version, shutdown, steps.hash_file(goose))
    if _built_from(tag, source):
        return tag
    ctx = _fresh_dir("contexts", f"clockwork-{version}")
    for name in DOUBLE_CONTENT:
        src = app_dir / name
        if src.is_dir():
            shutil.copytree(src, ctx / name)
        elif src.exists():
            shutil.copy2(src, ctx / name)
    go.build_local(app_dir, ".", ctx / "bin" / "clockwork",
                   ldflags=f"-X main.version={version} -X main.shutdownMode={shutdown}")
    shutil.copy2(goose, ctx / "bin" / "goose")
    _readable(ctx)
    try:
        return build_image_from_dir(ctx, tag, build_args={"VERSION": version},
                                    labels={SOURCE_LABEL: source})
    finally:
        shutil.rmtree(ctx, ignore_errors=True)


def build_loadgen(loadgen_dir: Path) -> str:
    from chartgate.airgap.images import build_image_from_dir

    source = _source_key(loadgen_dir)
    if _built_from(LOADGEN_TAG, source):
        return LOADGEN_TAG
    ctx = _fresh_dir("contexts", "loadgen")
    shutil.copy2(loadgen_dir / "Dockerfile", ctx / "Dockerfile")
    go.build_local(loadgen_dir, ".", ctx / "loadgen")
    try:
        return build_image_from_dir(ctx, LOADGEN_TAG, labels={SOURCE_LABEL: source})
    finally:
        shutil.rmtree(ctx, ignore_errors=True)


def app_images(root: Path, settings: Settings) -> AppImages:
    """The double (built here) or the two real images named by ``CLOCKWORK_E2E_IMAGE`` and
    ``CLOCKWORK_E2E_IMAGE_NEXT`` (:meth:`Settings.real_image_problem` raises ``ValueError``).
    With real images, the plan's ``kubectl set image`` goes back to the first one (the
    only other image there is), and their versions are not known beforehand."""
    app_dir = root / "tests" / "e2e" / "app"
    abrupt = build_double(app_dir, DOUBLE_ABRUPT, f"clockwork:{DOUBLE_ABRUPT}", shutdown="immediate")
    if settings.real_image:
        problem = settings.real_image_problem()
        if problem:
            raise ValueError(problem)
        assert settings.real_image_next
        return AppImages(v1=settings.real_image, v1_version="", v2=settings.real_image_next, v2_version="",
                         set_image=settings.real_image, set_image_version="", double=False, abrupt=abrupt)
    v1 = build_double(app_dir, DOUBLE_V1, f"clockwork:{DOUBLE_V1}")
    v2 = build_double(app_dir, DOUBLE_V2, f"clockwork:{DOUBLE_V2}")
    plan = build_double(app_dir, PLAN_SET_IMAGE_VERSION, PLAN_SET_IMAGE_TAG)
    return AppImages(v1=v1, v1_version=DOUBLE_V1, v2=v2, v2_version=DOUBLE_V2,
                     set_image=plan, set_image_version=PLAN_SET_IMAGE_VERSION, double=True, abrupt=abrupt)


def load_into_kind(cluster: str, refs: list[str]) -> list[str]:
    """``kind load docker-image`` the ``refs`` that exist locally into ``cluster`` (kind
    skips what a node already has). Nothing for a cluster kind does not know — a user's
    own, with registry access. Returns what was loaded."""
    from chartgate.tools import docker, kind

    try:
        known = kind.clusters()
    except Exception:
        return []
    if cluster not in known:
        return []
    local = [r for r in refs if docker.image_exists(r)]
    if local:
        kind.load_images(cluster, local)
    return local
