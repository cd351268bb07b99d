"""Where the Kubernetes OpenAPI JSON schemas live and which tree serves a requested
Kubernetes version — shared by the k8s-schema stage and the kubeconform wrapper, so both
validate against the same schemas.

The schemas ship inside the ``kubernetes-validate`` package
(``kubernetes_validate/kubernetes-json-schema/v<version>-local-strict/``): ``"1.34"``
resolves to the newest ``v1.34.*`` tree, a version it does not ship to the nearest older
one (else the oldest).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_DIR = re.compile(r"^v(\d+)\.(\d+)\.(\d+)-local-strict$")


def schema_root() -> Path:
    """The directory holding ``v<version>-local[-strict]`` schema trees."""
    import kubernetes_validate

    return Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"


@cache
def available_versions(root: Path | None = None) -> tuple[tuple[int, int, int], ...]:
    base = root or schema_root()
    found = []
    for d in base.iterdir():
        m = _DIR.match(d.name)
        if m and d.is_dir():
            found.append((int(m.group(1)), int(m.group(2)), int(m.group(3))))
    return tuple(sorted(found))


@dataclass(frozen=True)
class SchemaVersion:
    """The schema tree chosen for a requested Kubernetes version."""

    requested: str
    version: str  # "1.34.0"
    directory: Path

    @property
    def exact(self) -> bool:
        return _major_minor(self.requested) == _major_minor(self.version)

    def note(self) -> str:
        if not self.requested:
            return f"no kubeVersion given: validating against the newest schemas ({self.version})"
        return (f"no Kubernetes {self.requested} schemas in kubernetes-validate: "
                f"validating against the nearest, {self.version}")


def _major_minor(v: str) -> tuple[int, ...]:
    nums = re.findall(r"\d+", v)
    return tuple(int(n) for n in nums[:2])


def resolve_version(requested: str | None, root: Path | None = None) -> SchemaVersion:
    """The schema tree for ``requested`` (``"1.34.0"``, ``"v1.34"``): the same minor if
    shipped, else the newest older one, else the oldest available."""
    base = root or schema_root()
    versions = available_versions(base)
    if not versions:
        raise FileNotFoundError(f"no *-local-strict schema directories in {base}")
    want = _major_minor(requested or "")
    if len(want) < 2:
        chosen = versions[-1]
    else:
        same = [v for v in versions if v[:2] == want]
        older = [v for v in versions if v[:2] <= want]
        chosen = same[-1] if same else (older[-1] if older else versions[0])
    text = ".".join(str(n) for n in chosen)
    return SchemaVersion(requested=(requested or "").lstrip("v"), version=text,
                         directory=base / f"v{text}-local-strict")
