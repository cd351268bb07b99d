"""Install the pinned tools into the cache, idempotently, and find them afterwards.

``chartgate tools install [NAME...]`` builds each tool from its Go module (see
:mod:`chartgate.tools.go`) into ``$CHARTGATE_CACHE/bin/NAME-VERSION/``, checks that the
binary reports the pinned version, and records a stamp so a warm machine skips it.
``CHARTGATE_<NAME>`` (e.g. ``CHARTGATE_HELM=/usr/bin/helm``) overrides a tool's path.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from chartgate import cache, proc
from chartgate.tools import go
from chartgate.tools.versions import ToolSpec, all_tools, tool

DEFAULT_SET = ("helm", "helm3", "helm-unittest", "opa", "conftest")

UNITTEST_PLUGIN_YAML = """\
# Written by chartgate's tool bootstrap: helm-unittest {version} built from its Go module.
# No install/update hooks: the binary is already here, nothing is downloaded.
name: "unittest"
version: "{plain}"
usage: "unittest for helm charts"
description: "Unit test for helm chart in YAML with ease to keep your chart functional and robust."
ignoreFlags: false
command: "$HELM_PLUGIN_DIR/untt"
"""


class ToolMissing(RuntimeError):
    """A pinned tool is not installed in the cache."""


def _say(msg: str) -> None:
    print(f"[chartgate tools] {msg}", file=sys.stderr, flush=True)


def install_dir(spec: ToolSpec) -> Path:
    return cache.root() / "bin" / spec.key


def stamp_path(spec: ToolSpec) -> Path:
    """The file that marks ``spec`` as built and verified (first line: its fingerprint)."""
    return install_dir(spec) / ".installed"


def is_installed(spec: ToolSpec) -> bool:
    """Built, verified, and from exactly this spec (the stamp's first line is its fingerprint)."""
    stamp = stamp_path(spec)
    if not stamp.exists() or not (install_dir(spec) / spec.binary).exists():
        return False
    return stamp.read_text().split("\n", 1)[0].strip() == spec.fingerprint


def verify(spec: ToolSpec, binary: Path) -> str:
    """Run the tool's version command; fail unless it reports the pinned version."""
    if not spec.verify:
        return ""
    res = proc.run([binary, *spec.verify], check=False, timeout=60)
    out = (res.stdout + res.stderr).strip()
    if spec.check and spec.check not in out:
        raise RuntimeError(f"{spec.name}: {binary} {' '.join(spec.verify)} printed {out[:300]!r}, "
                           f"expected it to contain {spec.check!r}")
    return out.splitlines()[0] if out else ""


def install(spec: ToolSpec, force: bool = False) -> Path:
    dest = install_dir(spec)
    binary = dest / spec.binary
    if is_installed(spec) and not force:
        _say(f"{spec.name} {spec.version}: cached ({binary})")
        return binary
    # Two sessions (or a tox env and a shell) installing the same tool share one wrapper
    # module and one destination: the second waits, then finds the first one's build.
    with cache.locked(f"tool-{spec.key}"):
        if is_installed(spec) and not force:
            _say(f"{spec.name} {spec.version}: built meanwhile by another process ({binary})")
            return binary
        _say(f"{spec.name} {spec.version}: building {spec.package} from the Go module proxy …")
        t0 = time.monotonic()
        go.build(spec, dest)
        line = verify(spec, binary)
        stamp_path(spec).write_text(f"{spec.fingerprint}\n{spec.module} {spec.version}\n{line}\n")
        _say(f"{spec.name} {spec.version}: built in {time.monotonic() - t0:.0f}s ({line})")
    if spec.name == "helm-unittest":
        plugin_dir()
    return binary


def install_many(names: list[str] | None = None, force: bool = False) -> dict[str, Path]:
    specs = [tool(n) for n in names] if names else [tool(n) for n in DEFAULT_SET]
    return {s.name: install(s, force) for s in specs}


def binary(name: str) -> Path:
    """Path of an installed tool (``CHARTGATE_<NAME>`` wins), or a :class:`ToolMissing`."""
    override = os.environ.get("CHARTGATE_" + name.upper().replace("-", "_"))
    if override:
        return Path(override)
    spec = tool(name)
    if not is_installed(spec):
        raise ToolMissing(f"{name} {spec.version} is not installed; run `chartgate tools install {name}`")
    return install_dir(spec) / spec.binary


def ensure(name: str) -> Path:
    """Like :func:`binary`, but builds the tool if it is missing."""
    try:
        return binary(name)
    except ToolMissing:
        return install(tool(name))


def plugin_dir() -> Path:
    """A ``HELM_PLUGINS`` directory holding the helm-unittest plugin (no download hook)."""
    spec = tool("helm-unittest")
    plugins = cache.subdir("helm-plugins", spec.key)
    unit = plugins / "unittest"
    unit.mkdir(exist_ok=True)
    untt = unit / "untt"
    src = binary("helm-unittest")
    if not untt.exists() or untt.resolve() != src.resolve():
        untt.unlink(missing_ok=True)
        untt.symlink_to(src)
    (unit / "plugin.yaml").write_text(
        UNITTEST_PLUGIN_YAML.format(version=spec.version, plain=spec.version.lstrip("v")))
    return plugins


def status() -> list[tuple[str, str, bool]]:
    return [(s.name, s.version, is_installed(s)) for s in all_tools()]
