"""The clockwork contract double's images, and the real-image mode that replaces them.

* the **contract double** (``tests/e2e/app``) three times — ``clockwork:1.0.0``,
  ``clockwork:1.0.1`` and ``clockwork:v1.0.1`` (the tag the deployment plan's ``kubectl set
  image … server=clockwork:v1.0.1`` names), differing only in the version they report —
  and once as the broken-shutdown variant ``clockwork:1.0.0-abrupt`` (exits at once on
  SIGTERM), which the rolling-update check must fail on.

goose is the pinned tool from the bootstrap; the build helpers are
:mod:`chartgate.e2e.images`'. ``CLOCKWORK_E2E_IMAGE`` and ``…_NEXT`` (both required, and
different) replace the double with two real images; the broken-shutdown variant is still
built from the double, since it tests the stage's own check.

Run as a script before pytest (``tox -e e2e`` does), it builds the images and loads them
into a kind cluster, so the pytest-xdist workers find them built::

    python tests/e2e/clockwork/double.py --cluster chartgate-e2e

or builds them only and lists them in a file for ``chartgate e2e images --load-from FILE``,
which loads them with the library's images in one ``kind load``::

    python tests/e2e/clockwork/double.py --cluster "" --refs-file server-images.txt
"""

from __future__ import annotations

import argparse
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from chartgate.airgap import steps
from chartgate.e2e.images import SOURCE_LABEL, built_from, fresh_dir, load_into_kind, source_key
from chartgate.tools import go

APP_DIR = Path(__file__).resolve().parents[1] / "app"
DOUBLE_V1 = "1.0.0"
DOUBLE_V2 = "1.0.1"
DOUBLE_ABRUPT = "1.0.0-abrupt"  # the broken-shutdown variant: exits at once on SIGTERM
PLAN_SET_IMAGE_TAG = "clockwork:v1.0.1"  # deployment plan step 14, verbatim
PLAN_SET_IMAGE_VERSION = "v1.0.1"  # reported by that image, so the loop can tell it apart
DOUBLE_CONTENT = ("Dockerfile", ".dockerignore", "server", "migrations-failing", "client")


@dataclass(frozen=True)
class RealImages:
    """``CLOCKWORK_E2E_IMAGE`` / ``CLOCKWORK_E2E_IMAGE_NEXT``: real server images instead of the double."""

    image: str | None
    next_image: str | None

    @classmethod
    def from_env(cls) -> RealImages:
        return cls(os.environ.get("CLOCKWORK_E2E_IMAGE") or None,
                   os.environ.get("CLOCKWORK_E2E_IMAGE_NEXT") or None)

    def problem(self) -> str | None:
        """Why the real-image mode cannot run (None: it can, or the double is used). It
        needs two different images: rolling updates and rollbacks to the same image roll
        nothing, so they would pass without proving anything."""
        if not self.image:
            return None
        if not self.next_image:
            return (f"CLOCKWORK_E2E_IMAGE={self.image} needs CLOCKWORK_E2E_IMAGE_NEXT: a second "
                    "image of the server (another build or version, loaded into the cluster) for the "
                    "rolling update, `kubectl set image` and rollback scenarios")
        if self.next_image == self.image:
            return (f"CLOCKWORK_E2E_IMAGE_NEXT={self.next_image} is the same image as "
                    "CLOCKWORK_E2E_IMAGE: an update to the same image rolls nothing; name a different one")
        return None


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


def _readable(ctx: Path) -> None:
    """Modes the image needs (COPY keeps them): everything readable by the non-root user,
    directories and ``bin/*`` executable — set here rather than in a ``RUN chmod`` layer,
    which would store a second copy of every file in each image."""
    for path in [ctx, *ctx.rglob("*")]:
        executable = path.is_dir() or path.parent == ctx / "bin"
        path.chmod(0o755 if executable else 0o644)


def build_double(app_dir: Path, version: str, tag: str, shutdown: str = "graceful") -> str:
    """Build the contract double reporting ``version`` as ``tag`` (cached by content);
    ``shutdown="immediate"`` builds the broken-shutdown variant."""
    from chartgate.airgap.images import build_image_from_dir
    from chartgate.tools import bootstrap

    goose = bootstrap.ensure("goose")
    source = source_key(app_dir, version, shutdown, steps.hash_file(goose))
    if built_from(tag, source):
        return tag
    ctx = fresh_dir("contexts", f"clockwork-{version}")
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


def app_images(real: RealImages, app_dir: Path = APP_DIR) -> AppImages:
    """The double (built here) or the two real images named by ``CLOCKWORK_E2E_IMAGE`` and
    ``CLOCKWORK_E2E_IMAGE_NEXT`` (:meth:`RealImages.problem` raises ``ValueError``).
    With real images, the plan's ``kubectl set image`` goes back to the first one (the
    only other image there is), and their versions are not known beforehand."""
    abrupt = build_double(app_dir, DOUBLE_ABRUPT, f"clockwork:{DOUBLE_ABRUPT}", shutdown="immediate")
    if real.image:
        problem = real.problem()
        if problem:
            raise ValueError(problem)
        assert real.next_image
        return AppImages(v1=real.image, v1_version="", v2=real.next_image, v2_version="",
                         set_image=real.image, set_image_version="", double=False, abrupt=abrupt)
    v1 = build_double(app_dir, DOUBLE_V1, f"clockwork:{DOUBLE_V1}")
    v2 = build_double(app_dir, DOUBLE_V2, f"clockwork:{DOUBLE_V2}")
    plan = build_double(app_dir, PLAN_SET_IMAGE_VERSION, PLAN_SET_IMAGE_TAG)
    return AppImages(v1=v1, v1_version=DOUBLE_V1, v2=v2, v2_version=DOUBLE_V2,
                     set_image=plan, set_image_version=PLAN_SET_IMAGE_VERSION, double=True, abrupt=abrupt)


def main(argv: list[str] | None = None) -> int:
    """Build the server images (cached by content) and ``kind load`` them into ``--cluster``."""
    from chartgate import cache

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cluster", default=os.environ.get("CHARTGATE_CLUSTER"),
                    help="kind cluster to load them into (default: $CHARTGATE_CLUSTER; none: build only)")
    ap.add_argument("--refs-file", type=Path,
                    help="write the images' references there, one per line (for `chartgate e2e images "
                         "--load-from`)")
    args = ap.parse_args(argv)
    progress = steps.Progress("clockwork server images", tag="e2e")
    with cache.locked("e2e-images"):
        with progress.step("clockwork server images") as rec:
            app = app_images(RealImages.from_env())
            rec["detail"] = ", ".join(app.all) + ("" if app.double else " (CLOCKWORK_E2E_IMAGE)")
        if args.cluster:
            with progress.step(f"kind load into {args.cluster!r}") as rec:
                loaded = load_into_kind(args.cluster, app.all)
                rec["detail"] = f"{len(loaded)} images" if loaded else "no such kind cluster: nothing loaded"
    if args.refs_file:
        args.refs_file.write_text("".join(f"{ref}\n" for ref in app.all))
    for ref in app.all:
        print(ref)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
