"""The Go toolchain: build a pinned main package from its module, offline-capable.

Every Go-built tool (helm, helm-unittest, opa, conftest, kind, goose, Kubernetes, …) is
built the same way: a throwaway wrapper module under the cache requires the tool's module
at its pinned version, copies the tool's non-local ``replace`` directives (that is why
``go install pkg@v`` fails for opa, etcd and helm-unittest), maps Kubernetes ``./staging``
replaces to their published ``v0.X.Y`` modules, then ``go build``s the package. Module and
build caches live in the chartgate cache so warm rebuilds are fast.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from chartgate import cache, proc
from chartgate.tools.versions import ToolSpec
from chartgate.util.files import atomic_output

GO_TIMEOUT = 3600


def env(cgo: bool = False) -> dict[str, str]:
    gocache = cache.subdir("go")
    return {
        "GOMODCACHE": str(gocache / "mod"),
        "GOCACHE": str(gocache / "build"),
        "GOFLAGS": "-modcacherw",
        "CGO_ENABLED": "1" if cgo else "0",
        "GOTOOLCHAIN": os.environ.get("GOTOOLCHAIN", "local"),
    }


def go_binary() -> str:
    found = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if not found:
        raise RuntimeError("the Go toolchain is required to build pinned tools; install Go >= 1.24")
    return found


@functools.cache
def toolchain_version() -> str:
    """``go env GOVERSION`` (e.g. ``go1.26.0``): part of the cache key of what it builds."""
    return _go(["env", "GOVERSION"], Path.cwd()).stdout.strip()


def _go(args: Iterable[str], cwd: Path, cgo: bool = False, stream: bool = False) -> proc.Result:
    return proc.run([go_binary(), *args], cwd=cwd, env=env(cgo), timeout=GO_TIMEOUT, stream=stream)


def _download(module: str, version: str, workdir: Path) -> dict:
    res = proc.run([go_binary(), "mod", "download", "-json", f"{module}@{version}"], cwd=workdir,
                   env=env(), timeout=GO_TIMEOUT, check=False)
    try:
        info = json.loads(res.stdout)
    except json.JSONDecodeError:
        info = {"Error": (res.stderr or res.stdout).strip()}
    if info.get("Error") or res.returncode != 0:
        raise RuntimeError(f"cannot download Go module {module}@{version} (pinned in versions.toml): "
                           f"{info.get('Error') or res.stderr.strip()}")
    return dict(info)


def module_gomod(module: str, version: str, workdir: Path) -> dict:
    """Download a module and return its go.mod as parsed by ``go mod edit -json``."""
    info = _download(module, version, workdir)
    return dict(json.loads(_go(["mod", "edit", "-json", info["GoMod"]], workdir).stdout))


def module_dir(module: str, version: str, workdir: Path) -> Path:
    """The extracted source of a module in the module cache (files a pinned dependency ships)."""
    return Path(_download(module, version, workdir)["Dir"])


def replaces_for(spec: ToolSpec, gomod: dict) -> list[str]:
    """The ``-replace`` arguments a wrapper module needs to build this tool."""
    out: list[str] = []
    staging_version = ""
    if spec.staging:
        m = re.fullmatch(r"v1\.(\d+\.\d+)", spec.version)
        if not m:
            raise ValueError(f"{spec.name}: staging needs a v1.X.Y version, got {spec.version}")
        staging_version = f"v0.{m.group(1)}"
    for rep in gomod.get("Replace") or []:
        old, new = rep["Old"], rep["New"]
        old_s = old["Path"] + (f"@{old['Version']}" if old.get("Version") else "")
        if new["Path"].startswith("."):
            if spec.staging and "/staging/" in new["Path"]:
                out.append(f"{old_s}={old['Path']}@{staging_version}")
            continue
        out.append(f"{old_s}={new['Path']}@{new['Version']}")
    return out


def _in_module(package: str, module: str) -> bool:
    """Packages of the tool's own module are pinned to its version in ``go get`` (an
    unversioned one would ask for ``@upgrade`` and conflict with the pin)."""
    return package == module or package.startswith(module + "/")


def build(spec: ToolSpec, dest: Path, stream: bool = False) -> Path:
    """Build ``spec`` into ``dest/<binary>`` (and extra packages beside it).

    Quiet by default: ``go get`` prints a line per module it adds (hundreds for
    Kubernetes); a failure still shows the tail of Go's output in the error."""
    wrap = cache.subdir("go", "wrappers", spec.key)
    for leftover in ("go.mod", "go.sum"):
        (wrap / leftover).unlink(missing_ok=True)
    _go(["mod", "init", f"chartgate.local/tools/{spec.name}"], wrap)
    gomod = module_gomod(spec.module, spec.version, wrap)
    if gomod.get("Go"):
        _go(["mod", "edit", f"-go={gomod['Go']}"], wrap)
    for rep in replaces_for(spec, gomod):
        _go(["mod", "edit", f"-replace={rep}"], wrap)
    packages = [spec.package, *spec.extra_packages]
    _go(["get", *(f"{p}@{spec.version}" if _in_module(p, spec.module) or p == spec.package
                  else p for p in packages)], wrap, stream=stream)
    dest.mkdir(parents=True, exist_ok=True)
    ldflags = f"-s -w {spec.ldflags}".strip()
    final = dest / spec.binary
    with atomic_output(final) as tmp:
        _go(["build", "-trimpath", "-ldflags", ldflags, "-o", str(tmp), spec.package], wrap,
            cgo=spec.cgo, stream=stream)
    for extra in spec.extra_packages:
        name = extra.rstrip("/").rsplit("/", 1)[-1]
        _go(["build", "-trimpath", "-ldflags", ldflags, "-o", str(dest / name), extra], wrap,
            cgo=spec.cgo, stream=stream)
    return final


def build_local(module_root: Path, package: str, out: Path, ldflags: str = "",
                cgo: bool = False, stream: bool = False) -> Path:
    """Build a main package of a module that lives in this repository (e.g. the e2e
    contract double) into ``out``, statically unless ``cgo``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    _go(["build", "-trimpath", "-ldflags", f"-s -w {ldflags}".strip(), "-o", str(out), package],
        module_root, cgo=cgo, stream=stream)
    return out


def test_local(module_root: Path, stream: bool = True) -> proc.Result:
    """``go test ./...`` in a module of this repository."""
    return _go(["test", "./..."], module_root, stream=stream)
