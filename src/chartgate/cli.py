"""The ``chartgate`` command line: thin front end over the same pipeline as the plugin."""

from __future__ import annotations

import argparse
import sys

from chartgate.tools import bootstrap


def _tools(args: argparse.Namespace) -> int:
    if args.tools_cmd == "install":
        names = list(args.names)
        want_renderer = not names or "renderer" in names
        names = [n for n in names if n != "renderer"]
        paths = bootstrap.install_many(names or None, force=args.force) if names or not args.names else {}
        if want_renderer:
            from chartgate.tools import renderer

            if renderer.source_dir().is_dir():
                paths["renderer"] = renderer.ensure(stream=True)
        for name, path in paths.items():
            print(f"{name}\t{path}")
        return 0
    if args.tools_cmd == "path":
        print(bootstrap.binary(args.name))
        return 0
    if args.tools_cmd == "plugins":
        print(bootstrap.plugin_dir())
        return 0
    for name, version, ok in bootstrap.status():
        print(f"{name:16} {version:10} {'installed' if ok else 'missing'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="chartgate", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("tools", help="install / locate the pinned external tools")
    tsub = t.add_subparsers(dest="tools_cmd", required=True)
    ti = tsub.add_parser("install", help="build pinned tools from Go modules into the cache")
    ti.add_argument("names", nargs="*",
                    help="tools to install (default: helm helm3 helm-unittest opa conftest renderer)")
    ti.add_argument("--force", action="store_true", help="rebuild even if cached")
    tp = tsub.add_parser("path", help="print the path of an installed tool")
    tp.add_argument("name")
    tsub.add_parser("plugins", help="print the HELM_PLUGINS dir holding helm-unittest")
    tsub.add_parser("status", help="list pinned tools and whether they are installed")
    t.set_defaults(func=_tools)

    # Other command groups register themselves (each owns its subcommands).
    import importlib

    for mod in ("chartgate.airgap.cli", "chartgate.e2e.cli", "chartgate.gate_cli", "chartgate.policy_cli"):
        try:
            module = importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if not exc.name or not mod.startswith(exc.name):
                raise
            continue
        module.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except (ValueError, RuntimeError, OSError) as exc:  # domain errors carry their own context
        print(f"chartgate: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        print(f"chartgate: internal error: {type(exc).__name__}: {exc} "
              "(please report this with the command line)", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
