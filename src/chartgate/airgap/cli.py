"""``chartgate airgap build`` and ``chartgate cluster up|down`` (registered by chartgate.cli)."""

from __future__ import annotations

import argparse
import os

from chartgate.airgap.cluster import DEFAULT_NAME


def _airgap(args: argparse.Namespace) -> int:
    from chartgate.airgap import build

    build.build_all(force=args.force)
    return 0


def _cluster(args: argparse.Namespace) -> int:
    from chartgate.airgap import cluster, images

    if args.cluster_cmd == "up":
        load = list(args.load or [])
        if not args.no_postgres:
            load.insert(0, images.postgres_tag())
        kubeconfig = cluster.up(args.name, image=args.image, load=load, recreate=args.recreate)
        print(kubeconfig)
        return 0
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
    cd = csub.add_parser("down", help="delete the cluster; fail if anything is left behind")
    cd.add_argument("--name", default=default_name)
    ck = csub.add_parser("kubeconfig", help="print the cluster's kubeconfig path")
    ck.add_argument("--name", default=default_name)
    c.set_defaults(func=_cluster)
