"""The pinned ``kubeconform`` binary (built from its Go module, ``versions.toml``) and
offline schemas for it.

chartgate validates documents itself (:mod:`chartgate.stages.k8s_schema`); kubeconform is
here for the benchmark's "usual pipeline" baseline (``helm template | kubeconform -strict
| conftest test``) and for anyone who wants to cross-check. Its schemas are generated
locally from the JSON schemas ``kubernetes-validate`` bundles (no download): kubeconform
wants one standalone file per kind, so each ``<kind>-<group>-<version>.json`` of the
``v<version>-local-strict`` tree gets the ``_definitions.json`` entries it references
attached under ``$defs``, with ``$ref`` rewritten to ``#/$defs/...``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chartgate import cache, proc
from chartgate.tools import bootstrap
from chartgate.util.files import atomic_write

_REF = re.compile(r"^(?:/api/_definitions\.json)?#/\$defs/(.+)$")
CRD_LOCATION = "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
LOCATION = ("{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/"
            "{{ .ResourceKind }}{{ .KindSuffix }}.json")


class KubeconformError(RuntimeError):
    """kubeconform could not run (not: a document is invalid)."""


@dataclass(frozen=True)
class KubeconformResult:
    """One resource kubeconform reports (``-output json``): ``valid``, ``invalid``,
    ``error``, ``skipped``."""

    filename: str
    kind: str
    name: str
    version: str
    status: str
    msg: str


def _kubernetes_validate_version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("kubernetes-validate")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _rewrite(node: Any, needed: set[str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and _REF.match(v):
                name = _REF.match(v).group(1)  # type: ignore[union-attr]
                needed.add(name)
                out[k] = f"#/$defs/{name}"
            elif k == "$id":
                continue
            else:
                out[k] = _rewrite(v, needed)
        return out
    if isinstance(node, list):
        return [_rewrite(x, needed) for x in node]
    return node


def standalone(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with every definition it references (transitively) attached."""
    needed: set[str] = set()
    out = _rewrite(schema, needed)
    defs: dict[str, Any] = {}
    todo = set(needed)
    while todo:
        name = todo.pop()
        more: set[str] = set()
        defs[name] = _rewrite(definitions[name], more)
        todo |= more - defs.keys()
    out["$defs"] = defs
    return out


def local_schemas(kube_version: str, kinds: Iterable[tuple[str, str]] | None = None,
                  dest: Path | None = None) -> Path:
    """A kubeconform ``-schema-location`` root with standalone strict schemas for
    ``kube_version`` (``1.34.0``); only ``kinds`` (``(apiVersion, kind)``) if given.
    Generated once into the cache (keyed by the kubernetes-validate version)."""
    from chartgate.k8s_schemas import resolve_version

    version = resolve_version(kube_version)
    root = dest or cache.subdir("kubeconform-schemas",
                                f"kubernetes-validate-{_kubernetes_validate_version()}")
    out_dir = root / f"v{kube_version.lstrip('v')}-standalone-strict"
    out_dir.mkdir(parents=True, exist_ok=True)
    definitions: dict[str, Any] | None = None
    if kinds is None:
        files = sorted(p for p in version.directory.glob("*.json") if p.name != "_definitions.json")
    else:
        files = []
        for api_version, kind in kinds:
            group, _, ver = api_version.rpartition("/")
            suffix = f"-{group.split('.')[0]}" if group else ""
            files.append(version.directory / f"{kind.lower()}{suffix}-{ver}.json")
    for src in files:
        target = out_dir / src.name
        if target.exists() or not src.is_file():
            continue
        if definitions is None:
            definitions = json.loads((version.directory / "_definitions.json").read_text())["$defs"]
        schema = json.loads(src.read_text())
        atomic_write(target, json.dumps(standalone(schema, definitions)))
    return root


class Kubeconform:
    """``kubeconform -strict`` against a local schema root (never the network)."""

    def __init__(self, schema_root: Path, kube_version: str = "1.34.0", binary: Path | None = None,
                 strict: bool = True, verbose: bool = False, crd_dirs: Sequence[Path] = (),
                 missing: str = "fail") -> None:
        self.schema_root = Path(schema_root)
        # CRD schemas laid out as chartgate.k8s_schemas.write_crd_schemas writes them
        self.crd_dirs = [Path(d) for d in crd_dirs]
        self.missing = missing  # fail | warn | skip; kubeconform has no warn: it skips
        self.kube_version = kube_version.lstrip("v")
        self._binary = binary
        self.strict = strict
        self.verbose = verbose  # report valid resources too (kubeconform lists only problems)

    @property
    def binary(self) -> Path:
        return self._binary or bootstrap.binary("kubeconform")

    def argv(self, files: Sequence[Path | str] = ()) -> list[str]:
        args = [str(self.binary), "-kubernetes-version", self.kube_version,
                "-schema-location", f"{self.schema_root}/{LOCATION}", "-output", "json"]
        for d in self.crd_dirs:
            args += ["-schema-location", f"{d}/{CRD_LOCATION}"]
        if self.missing != "fail":
            args.append("-ignore-missing-schemas")
        if self.strict:
            args.append("-strict")
        if self.verbose:
            args.append("-verbose")
        return args + [str(f) for f in files]

    def validate(self, files: Sequence[Path | str] = (), text: str | None = None,
                 timeout: float = 300) -> list[KubeconformResult]:
        """Validate files (or ``text`` on stdin); every resource's result. Exit code 1
        means invalid resources, not a failure of kubeconform."""
        argv = self.argv(files)
        payload = proc.run_json(argv, error=KubeconformError, what="kubeconform", empty="{}",
                                input=text, timeout=timeout)
        return [KubeconformResult(str(r.get("filename", "")), str(r.get("kind", "")), str(r.get("name", "")),
                                  str(r.get("version", "")), str(r.get("status", "")), str(r.get("msg", "")))
                for r in payload.get("resources") or []]

    def version(self) -> str:
        return proc.run([self.binary, "-v"]).stdout.strip()
