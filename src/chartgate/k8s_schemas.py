"""Where the Kubernetes OpenAPI JSON schemas live and which tree serves a requested
Kubernetes version, and the schemas of custom resources (from CRD manifests: a chart's
``crds/``, its subcharts' ``crds/``, ``--crd-dir``) — shared by the k8s-schema stage and
the kubeconform wrapper, so both validate against the same schemas.

The schemas ship inside the ``kubernetes-validate`` package
(``kubernetes_validate/kubernetes-json-schema/v<version>-local-strict/``): ``"1.34"``
resolves to the newest ``v1.34.*`` tree, a version it does not ship to the nearest older
one (else the oldest).
"""

from __future__ import annotations

import copy
import json
import re
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from chartgate.util.ci import in_ci

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
    return _resolve_version(requested, root or schema_root())


@cache  # asked for every document of every scenario; the trees do not change within a run
def _resolve_version(requested: str | None, base: Path) -> SchemaVersion:
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


# --- CRD schemas -----------------------------------------------------------------------------
MISSING_SCHEMAS = ("fail", "warn", "skip")


def missing_schemas_default() -> str:
    """What to do with a kind no schema covers: ``fail`` under ``CI=true``, else ``warn``
    (kubeconform's ``-ignore-missing-schemas`` is ``skip``)."""
    return "fail" if in_ci() else "warn"


def strictify(schema: Any) -> Any:
    """Kubernetes structural schema → strict JSON schema: objects with ``properties`` and
    no ``x-kubernetes-preserve-unknown-fields`` reject unknown fields."""
    if isinstance(schema, dict):
        out = {k: strictify(v) for k, v in schema.items()}
        if ("properties" in out and "additionalProperties" not in out
                and not out.get("x-kubernetes-preserve-unknown-fields")):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strictify(x) for x in schema]
    return schema


def crd_schemas(crd: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """``{(apiVersion, kind): strict JSON schema}`` from a CustomResourceDefinition body."""
    spec = crd.get("spec") or {}
    group, kind = spec.get("group", ""), (spec.get("names") or {}).get("kind", "")
    out = {}
    for v in spec.get("versions") or []:
        raw = ((v.get("schema") or {}).get("openAPIV3Schema")) or {"type": "object"}
        schema = strictify(copy.deepcopy(raw))
        props = schema.setdefault("properties", {})
        props.setdefault("apiVersion", {"type": "string"})
        props.setdefault("kind", {"type": "string"})
        props.setdefault("metadata", {"type": "object"})
        out[(f"{group}/{v.get('name')}", kind)] = schema
    return out


def load_crd_dir(directory: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Schemas from CRD YAML files and JSON schema files under ``directory``."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for f in sorted(directory.rglob("*")):
        if f.suffix in (".yaml", ".yml"):
            for body in yaml.safe_load_all(f.read_text()):
                if isinstance(body, dict) and body.get("kind") == "CustomResourceDefinition":
                    out.update(crd_schemas(body))
        elif f.suffix == ".json":
            schema = json.loads(f.read_text())
            gvks = schema.get("x-kubernetes-group-version-kind") or []
            for g in gvks:
                api = f"{g['group']}/{g['version']}" if g.get("group") else g["version"]
                out[(api, g["kind"])] = schema
            m = re.fullmatch(r"([a-z0-9]+)_([a-z0-9]+)", f.stem)
            if not gvks and m and f.parent != directory:
                out[(f"{f.parent.name}/{m.group(2)}", m.group(1))] = schema  # kind lower-cased
    return out


def crd_documents(text: str, origin: str) -> list[dict[str, Any]]:
    """The CustomResourceDefinitions in a YAML stream (``origin`` names it in errors)."""
    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        raise ValueError(f"{origin}: not valid YAML: {exc}") from exc
    return [d for d in docs if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition"]


def schemas_from_crds(crds: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for crd in crds:
        out.update(crd_schemas(crd))
    return out


@cache
def _chart_crds(chart: Path, stamp: tuple[tuple[str, float], ...],
                ) -> tuple[tuple[tuple[str, str], dict[str, Any]], ...]:
    found: list[dict[str, Any]] = []
    for name, _ in stamp:
        f = Path(name)
        if f.name.endswith((".tgz", ".tar.gz")):
            with tarfile.open(f) as tar:
                for m in tar.getmembers():
                    parts = m.name.split("/")
                    if m.isfile() and "crds" in parts[1:-1] and m.name.endswith((".yaml", ".yml", ".json")):
                        data = tar.extractfile(m)
                        if data is not None:
                            found.extend(crd_documents(data.read().decode(), f"{f}:{m.name}"))
        else:
            found.extend(crd_documents(f.read_text(), str(f)))
    return tuple(schemas_from_crds(found).items())


def chart_crd_schemas(chart: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Schemas of the CRDs a chart installs from ``crds/`` (Helm installs them before the
    templates and ``helm template`` does not print them) — its own and its subcharts'
    (``charts/<name>/crds/``, ``charts/*.tgz``). Read once per content."""
    files = [*chart.glob("crds/**/*"), *chart.glob("charts/*/crds/**/*"), *chart.glob("charts/*.tgz")]
    stamp = tuple(sorted((str(f), f.stat().st_mtime) for f in files
                         if f.is_file() and f.suffix in (".yaml", ".yml", ".json", ".tgz")))
    return {k: copy.deepcopy(v) for k, v in _chart_crds(chart, stamp)}


def crd_dirs_schemas(dirs: Iterable[Path]) -> dict[tuple[str, str], dict[str, Any]]:
    """Schemas from every ``--crd-dir`` (CRD manifests or JSON schema files)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for d in dirs:
        if not d.is_dir():
            raise ValueError(f"--crd-dir {d}: not a directory")
        out.update(load_crd_dir(d))
    return out


def write_crd_schemas(schemas: Mapping[tuple[str, str], Mapping[str, Any]], dest: Path) -> Path:
    """CRD schemas as files ``dest/<group>/<kind>_<version>.json`` (kind lower-cased) —
    kubeconform's CRD schema layout, which :func:`load_crd_dir` reads back too."""
    for (api_version, kind), schema in sorted(schemas.items()):
        group, _, version = api_version.rpartition("/")
        target = dest / (group or "core") / f"{kind.lower()}_{version}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(schema, sort_keys=True))
    return dest
