"""``chartgate e2e images``: build the e2e stage's images — the clockwork contract double
(or nothing, when ``CLOCKWORK_E2E_IMAGE`` names a real image) and the load generator — and
load them into a kind cluster, once, before pytest starts. The session fixtures then find
them cached, so pytest-xdist workers do not queue behind one another to build them."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def _images(args: argparse.Namespace) -> int:
    from chartgate import cache
    from chartgate.airgap import steps
    from chartgate.e2e import images
    from chartgate.e2e.settings import Settings

    root = Path(args.root).resolve()
    if not (root / "tests" / "e2e" / "app").is_dir():
        raise ValueError(f"{root} has no tests/e2e/app (run from the repository root or pass --root)")
    settings = Settings.from_env(root)
    progress = steps.Progress("e2e images", tag="e2e")
    with cache.locked("e2e-images"):
        with progress.step("clockwork server images") as rec:
            app = images.app_images(root, settings)
            rec["detail"] = ", ".join(app.all) + ("" if app.double else " (CLOCKWORK_E2E_IMAGE)")
        with progress.step("load generator") as rec:
            loadgen = images.build_loadgen(root / "tests" / "e2e" / "loadgen")
            rec["detail"] = loadgen
        if args.cluster:
            with progress.step(f"kind load into {args.cluster!r}") as rec:
                loaded = images.load_into_kind(args.cluster, [*app.all, loadgen])
                rec["detail"] = f"{len(loaded)} images" if loaded else "no such kind cluster: nothing loaded"
    for ref in [*app.all, loadgen]:
        print(ref)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    e = subparsers.add_parser("e2e", help="the kind end-to-end stage's helpers")
    esub = e.add_subparsers(dest="e2e_cmd", required=True)
    ei = esub.add_parser("images", help="build the contract double and load generator images "
                                        "(cached by content) and `kind load` them")
    ei.add_argument("--cluster", default=os.environ.get("CHARTGATE_CLUSTER"),
                    help="kind cluster to load them into (default: $CHARTGATE_CLUSTER; none: build only)")
    ei.add_argument("--root", default=".", help="repository root holding tests/e2e (default: .)")
    e.set_defaults(func=_images)
