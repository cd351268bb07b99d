"""``chartgate airgap build`` and ``chartgate cluster up|down`` (registered by chartgate.cli)."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path

from chartgate.airgap.cluster import DEFAULT_NAME


def _airgap(args: argparse.Namespace) -> int:
    from chartgate.airgap import build

    build.build_all(force=args.force)
    return 0


def _cluster(args: argparse.Namespace) -> int:
    from chartgate.airgap import background, cluster, images

    if args.cluster_cmd == "up" and args.background:
        job = background.start(args.name, _up_args(args))
        print(f"creating kind cluster {args.name!r} in the background (log: {job.log}); "
              f"`chartgate cluster wait --name {args.name}` joins it")
        return 0
    if args.cluster_cmd == "up":
        rc = 1
        try:
            load = list(args.load or [])
            if not args.no_postgres:
                load.insert(0, images.postgres_tag())
            on_created = None
            if args.status_file:
                on_created = functools.partial(background.write_created, Path(args.status_file))
            kubeconfig = cluster.up(args.name, image=args.image, load=load, recreate=args.recreate,
                                    on_created=on_created)
            print(kubeconfig)
            rc = 0
        finally:
            if args.status_file:
                background.write_status(Path(args.status_file), rc)
        return rc
    if args.cluster_cmd == "wait":
        return _wait(args.name, args.timeout, args.created)
    if args.cluster_cmd == "down":
        left = cluster.down(args.name)
        rest = {k: v for k, v in left.items() if v}
        if rest:
            print(f"chartgate: cluster {args.name!r} left behind: {rest}")
            return 1
        print(f"cluster {args.name!r} deleted (no containers, volumes or networks left)")
        return 0
    if args.cluster_cmd == "kubeconfig":
        print(cluster.kubeconfig_path(args.name))
        return 0
    return 2


def _up_args(args: argparse.Namespace) -> list[str]:
    """The foreground ``cluster up`` arguments equivalent to ``args`` (without --background)."""
    out = [f"--load={ref}" for ref in args.load or []]
    if args.image:
        out.append(f"--image={args.image}")
    out += [flag for flag, on in (("--no-postgres", args.no_postgres), ("--recreate", args.recreate)) if on]
    return out


def _wait(name: str, timeout: float, created: bool) -> int:
    from chartgate.airgap import background

    try:
        rc, log = background.wait(name, timeout, created=created)
    except (FileNotFoundError, TimeoutError) as exc:
        print(f"chartgate: {exc}", file=sys.stderr)
        return 1
    if created and not rc:
        print(f"kind cluster {name!r}: the node runs (still waiting for it and the system pods "
              f"in the background; `chartgate cluster wait --name {name}` joins)")
        return 0
    sys.stdout.write(log)
    if rc:
        print(f"chartgate: creating kind cluster {name!r} failed (exit {rc}; its log is above)",
              file=sys.stderr)
    return rc


def register(subparsers: argparse._SubParsersAction) -> None:
    a = subparsers.add_parser("airgap", help="build the air-gapped kind toolchain and images")
    asub = a.add_subparsers(dest="airgap_cmd", required=True)
    ab = asub.add_parser("build", help="engine, base image, Go-built binaries, component, node "
                                       "and workload images (cached by pinned versions)")
    ab.add_argument("--force", action="store_true", help="rebuild every step")
    a.set_defaults(func=_airgap)

    c = subparsers.add_parser("cluster", help="a kind cluster from the air-gapped node image")
    csub = c.add_subparsers(dest="cluster_cmd", required=True)
    default_name = os.environ.get("CHARTGATE_CLUSTER", DEFAULT_NAME)
    cu = csub.add_parser("up", help="create the cluster (no registry needed) and load images")
    cu.add_argument("--name", default=default_name)
    cu.add_argument("--image", default=None,
                    help="node image (default: the air-gapped one; 'stock' = kind's published "
                         "kindest/node, also via CHARTGATE_KIND_NODE_IMAGE)")
    cu.add_argument("--load", action="append", metavar="IMAGE", help="also `kind load` IMAGE")
    cu.add_argument("--no-postgres", action="store_true", help="do not load the PostgreSQL image "
                    "(the air-gapped node image has it preloaded anyway)")
    cu.add_argument("--recreate", action="store_true", help="delete an existing cluster first")
    cu.add_argument("--background", action="store_true",
                    help="create it in a detached process and return at once (build images "
                         "meanwhile); `chartgate cluster wait` joins it")
    cu.add_argument("--status-file", help=argparse.SUPPRESS)  # written by a background `up`
    cw = csub.add_parser("wait", help="wait for a `cluster up --background` to finish; print its "
                                      "log; exit with its exit code")
    cw.add_argument("--name", default=default_name)
    cw.add_argument("--timeout", type=float, default=900, help="seconds (default 900)")
    cw.add_argument("--created", action="store_true",
                    help="return once the node runs (images can be `kind load`ed while it still "
                         "waits for the node and the system pods); a later `wait` joins the rest")
    cd = csub.add_parser("down", help="delete the cluster; fail if anything is left behind")
    cd.add_argument("--name", default=default_name)
    ck = csub.add_parser("kubeconfig", help="print the cluster's kubeconfig path")
    ck.add_argument("--name", default=default_name)
    c.set_defaults(func=_cluster)
