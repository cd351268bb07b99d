"""``chartgate e2e images``: build the e2e library's own image — the load generator of the
bounded in-cluster request loop — and ``kind load`` it (and any other local images named
with ``--load`` or listed in a ``--load-from`` file, and the images built from directories
named with ``--build DIR=TAG``) into a kind cluster, in one ``kind load``, once, before
pytest starts. The session fixtures then find them cached, so
pytest-xdist workers do not queue behind one another to build and load them.
A test suite's own images (the clockwork contract double: ``tests/e2e/clockwork/double.py``)
are built by the suite."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def _images(args: argparse.Namespace) -> int:
    from chartgate import cache
    from chartgate.airgap import steps
    from chartgate.e2e import images

    progress = steps.Progress("e2e images", tag="e2e")
    with cache.locked("e2e-images"):
        with progress.step("load generator") as rec:
            loadgen = images.build_loadgen()
            rec["detail"] = loadgen
        refs = [loadgen, *args.load]
        for listing in args.load_from:
            refs += [ln.strip() for ln in Path(listing).read_text().splitlines() if ln.strip()]
        for context, tag in args.build:
            with progress.step(f"image {tag} from {context}") as rec:
                rec["detail"] = images.build_dir(context, tag)
            refs.append(tag)
        if args.cluster:
            with progress.step(f"kind load into {args.cluster!r}") as rec:
                loaded = images.load_into_kind(args.cluster, refs)
                rec["detail"] = f"{len(loaded)} images" if loaded else "no such kind cluster: nothing loaded"
    for ref in refs:
        print(ref)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    group = subparsers.add_parser("e2e", help="the kind end-to-end stage's helpers")
    images = group.add_subparsers(dest="e2e_cmd", required=True).add_parser(
        "images", help="build the request loop's load generator image (cached by content) and `kind load` it")
    images.set_defaults(func=_images)
    images.add_argument("--cluster", default=os.environ.get("CHARTGATE_CLUSTER"),
                        help="kind cluster to load them into (default: $CHARTGATE_CLUSTER; none: build only)")
    images.add_argument("--load", action="append", default=[], metavar="IMAGE",
                        help="also `kind load` this local image (repeatable)")
    images.add_argument("--load-from", action="append", default=[], metavar="FILE",
                        help="also `kind load` the local images listed in FILE, one per line (e.g. written "
                             "by a test suite's own image builder; repeatable)")
    images.add_argument("--build", action="append", default=[], type=_context_tag, metavar="DIR=TAG",
                        help="also build DIR (a Dockerfile on the local Debian base: ARG BASE_IMAGE, "
                             "FROM ${BASE_IMAGE}) as TAG, cached by content, and `kind load` it "
                             "(repeatable)")


def _context_tag(text: str) -> tuple[str, str]:
    context, sep, tag = text.partition("=")
    if not sep or not context or not tag:
        raise argparse.ArgumentTypeError(f"--build {text!r}: expected DIR=TAG, e.g. "
                                         "tests/e2e/smoke-image=chartgate.local/smoke-http:1")
    return context, tag
