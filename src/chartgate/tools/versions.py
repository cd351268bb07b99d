"""The pinned tool versions (``versions.toml``) as typed specs."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class ToolSpec:
    """How to build one tool from its Go module, and how to check what was built."""

    name: str
    module: str
    version: str
    package: str
    binary: str
    ldflags: str = ""
    verify: tuple[str, ...] = ()
    check: str = ""
    staging: bool = False
    cgo: bool = False
    extra_packages: tuple[str, ...] = field(default_factory=tuple)

    @property
    def fingerprint(self) -> str:
        """Hash of everything that changes the built binary (a changed ldflag rebuilds)."""
        import hashlib
        import json

        fields = [self.module, self.version, self.package, self.binary, self.ldflags,
                  self.staging, self.cgo, list(self.extra_packages)]
        return hashlib.sha256(json.dumps(fields).encode()).hexdigest()[:16]

    @property
    def key(self) -> str:
        """Cache key: the directory name of the built binary."""
        return f"{self.name}-{self.version}"


def _placeholders(version: str) -> dict[str, str]:
    """``{version}`` plus, for ``vX.Y.Z`` versions, ``{major}``/``{minor}``/``{patch}``
    (Kubernetes' component-base ldflags need gitMajor/gitMinor)."""
    out = {"version": version}
    m = re.fullmatch(r"v?(\d+)\.(\d+)\.(\d+).*", version)
    if m:
        out.update(major=m.group(1), minor=m.group(2), patch=m.group(3))
    return out


def _fill(text: str, version: str) -> str:
    for key, value in _placeholders(version).items():
        text = text.replace("{" + key + "}", value)
    return text


def _spec(name: str, raw: dict[str, Any]) -> ToolSpec:
    version = raw["version"]
    return ToolSpec(
        name=name,
        module=raw["module"],
        version=version,
        package=raw.get("package", raw["module"]),
        binary=raw.get("binary", name),
        ldflags=_fill(raw.get("ldflags", ""), version),
        verify=tuple(raw.get("verify", ())),
        check=raw.get("check", version),
        staging=bool(raw.get("staging", False)),
        cgo=bool(raw.get("cgo", False)),
        extra_packages=tuple(raw.get("extra_packages", ())),
    )


@cache
def load() -> dict[str, Any]:
    text = resources.files("chartgate").joinpath("versions.toml").read_text()
    return tomllib.loads(text)


def tool(name: str) -> ToolSpec:
    tools = load()["tools"]
    if name not in tools:
        raise KeyError(f"unknown tool {name!r}; versions.toml pins: {', '.join(sorted(tools))}")
    return _spec(name, tools[name])


def all_tools() -> list[ToolSpec]:
    return [_spec(n, raw) for n, raw in load()["tools"].items()]


def section(name: str) -> dict[str, Any]:
    """Any other top-level table of versions.toml (e.g. ``kubernetes``, ``images``)."""
    data = load().get(name)
    if data is None:
        raise KeyError(f"versions.toml has no [{name}] table")
    return dict(data)
