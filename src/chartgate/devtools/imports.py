"""chartgate's import graph, read from the source (``ast``, nothing is imported).

``python -m chartgate.devtools.imports`` prints every module's chartgate imports;
``--layers`` collapses modules to their layer (``tools``, ``stages``, ``policy``, …) and
prints which layer imports which. ``tests/unit/test_layering.py`` checks the rules on the
same graph.
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterable
from pathlib import Path

PACKAGE = "chartgate"
SOURCE = Path(__file__).resolve().parents[1]

# Front ends: command lines and the pytest plugin, thin layers over the pipeline.
FRONT_ENDS = frozenset({"cli", "gate_cli", "policy_cli", "plugin", "__main__", "airgap.cli", "e2e.cli"})


def module_name(path: Path, root: Path = SOURCE) -> str:
    """``.../chartgate/tools/helm.py`` → ``tools.helm``; a package's ``__init__`` → its name."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or "__init__"


def modules(root: Path = SOURCE) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([PACKAGE, *base, *([node.module] if node.module else [])])


def imports_of(path: Path, name: str, known: Iterable[str]) -> set[str]:
    """The chartgate modules ``path`` imports (at any depth: lazy imports in functions
    count), as names relative to the package (``tools.helm``)."""
    known = set(known)
    out: set[str] = set()

    def relative(full: str) -> str | None:
        """``chartgate.tools.helm.Helm`` → ``tools.helm`` (the module that defines it)."""
        if not full.startswith(PACKAGE + "."):
            return None
        rel = full[len(PACKAGE) + 1:]
        while rel and rel not in known:
            rel = rel.rpartition(".")[0]
        return rel or None

    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [relative(alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, path.name == "__init__.py", node)
            # `from chartgate.tools import helm` imports the module tools.helm;
            # `from chartgate.tools.helm import Helm` imports tools.helm too
            targets = [relative(f"{base}.{alias.name}") for alias in node.names]
        else:
            continue
        out.update(t for t in targets if t and t != name)
    return out


def graph(root: Path = SOURCE) -> dict[str, set[str]]:
    """Module → the chartgate modules it imports."""
    mods = modules(root)
    return {name: imports_of(path, name, mods) for name, path in mods.items()}


def layer(module: str) -> str:
    """The layer a module belongs to: its top-level package, or the module itself; the
    front ends are one layer."""
    if module in FRONT_ENDS:
        return "front ends"
    return module.split(".")[0]


def layers(g: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for module, deps in g.items():
        mine = layer(module)
        out.setdefault(mine, set()).update(layer(d) for d in deps if layer(d) != mine)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m chartgate.devtools.imports", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layers", action="store_true", help="collapse modules to layers")
    args = ap.parse_args(argv)
    g = graph()
    shown = layers(g) if args.layers else g
    width = max(len(k) for k in shown)
    for name in sorted(shown):
        print(f"{name:{width}} -> {', '.join(sorted(shown[name])) or '(nothing)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
