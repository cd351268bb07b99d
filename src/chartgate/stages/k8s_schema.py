"""Kubernetes schema stage: every rendered document validated offline and strictly
(unknown fields fail) against the OpenAPI JSON schemas of the scenario's Kubernetes
version.

The schemas ship inside the ``kubernetes-validate`` package
(``kubernetes_validate/kubernetes-json-schema/v<version>-local-strict/``). Calling
``kubernetes_validate.validate`` per document reloads and re-resolves them every time
(≈150 documents/s); here each (schema directory, apiVersion, kind) gets ONE validator,
built once with every ``$ref`` into ``_definitions.json`` inlined, and reused. Identical
documents (the same ServiceAccount in fifty matrix scenarios) are validated once.

A built-in kind's validator answers "valid?" with ``jsonschema-rs`` (compiled, about 100×
faster than Python ``jsonschema`` on these schemas); only a document it rejects (or cannot
take: a YAML timestamp is no JSON type) goes through Python ``jsonschema``, which the
findings' paths and messages come from. Both get the same inlined schema.

A kind without a built-in schema is validated against a CRD schema: the scenario's own
rendered CustomResourceDefinitions, the chart's ``crds/`` (and its subcharts'), or
``crd_schema_dir`` (one directory or several: CustomResourceDefinition YAML files, or JSON
schema files carrying ``x-kubernetes-group-version-kind`` or laid out
``<group>/<kind>_<version>.json``). A kind no schema covers is what ``missing`` says:
``fail`` (an error, the default — never a silent skip), ``warn`` or ``skip``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs

from chartgate.k8s_schemas import (
    MISSING_SCHEMAS,
    SchemaVersion,
    chart_crd_schemas,
    crd_dirs_schemas,
    crd_schemas,
    load_crd_dir,
    resolve_version,
    schema_root,
    strictify,
)

__all__ = ["K8sSchemaStage", "crd_schemas", "load_crd_dir", "strictify"]
from chartgate.manifests import Document, duplicate_keys, format_path
from chartgate.render import Rendered
from chartgate.report.model import Finding, Severity
from chartgate.results_cache import ResultCache, body_key
from chartgate.results_cache import enabled as results_enabled
from chartgate.stages.common import did_you_mean, render_failed

STAGE = "k8s-schema"
_REF = re.compile(r"^(?:/api/_definitions\.json)?#/\$defs/(.+)$")
_DROP = ("description", "format")  # format is not asserted; fewer keywords = faster


# --- building validators -------------------------------------------------------------------
class _Definitions:
    """``_definitions.json`` of one schema tree, and schemas inlined from it."""

    def __init__(self, directory: Path) -> None:
        self.defs: dict[str, Any] = json.loads((directory / "_definitions.json").read_text())["$defs"]

    def inline(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        """``schema`` with every definition ``$ref`` inlined; recursive ones stay as local
        ``#/$defs/...`` refs with their targets attached."""
        recursive: set[str] = set()
        out = self._inline(schema, (), recursive)
        done: dict[str, Any] = {}
        while recursive - done.keys():
            for name in sorted(recursive - done.keys()):
                done[name] = self._inline(self.defs[name], (name,), recursive)
        if done:
            out["$defs"] = done
        return dict(out)

    def _inline(self, node: Any, stack: tuple[str, ...], recursive: set[str]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            m = _REF.match(ref) if isinstance(ref, str) else None
            if m:
                name = m.group(1)
                if name in stack:
                    recursive.add(name)
                    return {"$ref": f"#/$defs/{name}"}
                target = self._inline(self.defs[name], (*stack, name), recursive)
                rest = {k: self._inline(v, stack, recursive) for k, v in node.items()
                        if k != "$ref" and k not in _DROP}
                return {**target, **rest}
            return {k: self._inline(v, stack, recursive) for k, v in node.items()
                    if k not in _DROP and k not in ("$id", "$schema") and not k.startswith("x-kubernetes-")}
        if isinstance(node, list):
            return [self._inline(x, stack, recursive) for x in node]
        return node


class KindValidator:
    """One built-in kind's schema: ``jsonschema-rs`` decides whether a document is valid;
    Python ``jsonschema`` (built on first need) explains a document that is not."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self._fast = jsonschema_rs.Draft202012Validator(schema)
        self._full: jsonschema.protocols.Validator | None = None

    @property
    def full(self) -> jsonschema.protocols.Validator:
        """The Python validator (the error messages the stage reports)."""
        if self._full is None:
            self._full = jsonschema.Draft202012Validator(self.schema)
        return self._full

    def is_valid(self, body: Any) -> bool:
        try:
            return bool(self._fast.is_valid(body))
        except (ValueError, TypeError):  # not JSON data (a YAML timestamp): the full check decides
            return False

    def iter_errors(self, body: Any) -> Iterator[jsonschema.ValidationError]:
        if self.is_valid(body):
            return iter(())
        return self.full.iter_errors(body)


_LOCK = threading.Lock()
_DEFS: dict[Path, _Definitions] = {}
_VALIDATORS: dict[tuple[Path, str, str], KindValidator | None] = {}
_RESULTS: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
_RESULTS_MAX = 100_000


def forget_results() -> None:
    """Forget the validation results this process keeps per document body, so the next
    check validates again (a measurement from a cold start)."""
    with _LOCK:
        _RESULTS.clear()


def _split_api_version(api_version: str) -> tuple[str, str]:
    """``apps/v1`` → ``("apps", "v1")``; ``v1`` → ``("", "v1")`` (the core group)."""
    group, _, version = api_version.rpartition("/")
    return group, version


def builtin_validator(directory: Path, api_version: str, kind: str) -> KindValidator | None:
    """The cached validator for a built-in kind, or ``None`` if the tree has no schema."""
    key = (directory, api_version, kind)
    with _LOCK:
        if key in _VALIDATORS:
            return _VALIDATORS[key]
    group, version = _split_api_version(api_version)
    prefix = f"-{group.split('.')[0]}" if group else ""
    file = directory / f"{kind.lower()}{prefix}-{version}.json"
    validator = None
    if file.is_file():
        schema = json.loads(file.read_text())
        gvks = schema.get("x-kubernetes-group-version-kind") or []
        if any(g.get("group", "") == group and g.get("version") == version and g.get("kind") == kind
               for g in gvks):
            with _LOCK:
                defs = _DEFS.get(directory)
                if defs is None:
                    defs = _DEFS[directory] = _Definitions(directory)
            validator = KindValidator(defs.inline(schema))
    with _LOCK:
        _VALIDATORS[key] = validator
    return validator


def _schema_validator(schema: Mapping[str, Any]) -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    return cls(schema)


# --- the stage ---------------------------------------------------------------------------------
RESULTS_VERSION = "k8s-schema/1"  # bump when _errors() changes what it reports


@cache
def _package_version(name: str, module: str) -> str:
    """The installed version of distribution ``name`` (which provides ``module``): the name
    of its ``.dist-info`` directory beside the module (``jsonschema_rs-0.60.3.dist-info``),
    else importlib.metadata (whose imports alone cost a fifth of a warm gate's CPU)."""
    spec = find_spec(module)
    if spec is not None and spec.origin:
        top = Path(spec.origin).parent
        top = top.parent if top.name == module else top
        found = sorted(top.glob(f"{name.replace('-', '_')}-*.dist-info"))
        if len(found) == 1:
            return found[0].name.removesuffix(".dist-info").split("-", 1)[1]
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


def _errors(validator: jsonschema.protocols.Validator | KindValidator,
            body: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """``(path, keyword, message)`` of every error, unknown fields one per field."""
    out = []
    for e in sorted(validator.iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path]):
        parts = list(e.absolute_path)
        if e.validator == "additionalProperties" and isinstance(e.instance, dict):
            allowed = set((e.schema or {}).get("properties", {})) if isinstance(e.schema, dict) else set()
            extra = [k for k in e.instance if k not in allowed] or ["?"]
            for k in extra:
                hint = did_you_mean(k, allowed)
                out.append((format_path([*parts, k]), "additionalProperties", f"unknown field {k!r}{hint}"))
            continue
        message = e.message
        if e.validator in ("oneOf", "anyOf") and e.context:
            message += " (" + "; ".join(sorted({c.message for c in e.context})) + ")"
        out.append((format_path(parts), str(e.validator), message))
    return out


class K8sSchemaStage:
    """Validates each document of a render; see the module docstring."""

    name = STAGE

    def __init__(self, crd_schema_dir: Path | Sequence[Path] | None = None, kube_version: str | None = None,
                 schema_dir: Path | None = None, result_cache: bool = False, missing: str = "fail") -> None:
        if missing not in MISSING_SCHEMAS:
            raise ValueError(f"missing schemas: {missing!r}; expected one of {', '.join(MISSING_SCHEMAS)}")
        self.kube_version = kube_version  # overrides the scenario's when given
        self.root = schema_dir or schema_root()
        dirs = [crd_schema_dir] if isinstance(crd_schema_dir, Path) else list(crd_schema_dir or ())
        self.crd_schema_dirs = dirs
        self.crd_schema_dir = dirs[0] if dirs else None
        self.missing = missing
        self._crds: dict[tuple[str, str], dict[str, Any]] = crd_dirs_schemas(dirs)
        self._chart_validators: dict[Path, dict[tuple[str, str], jsonschema.protocols.Validator]] = {}
        self._crd_validators: dict[tuple[str, str], jsonschema.protocols.Validator] = {}
        self.validated = 0  # documents validated (cache misses), for benchmarks
        self.result_cache = result_cache  # the gate turns it on (CHARTGATE_RESULT_CACHE=0: off)
        self._disk: dict[Path, ResultCache] = {}
        self._observed: set[int] = set()  # id() of the manifest sets observe() has validated
        self._duplicates: dict[int, tuple[str, list[tuple[int, str, int]]]] = {}  # id(raw) -> (raw, found)

    def _disk_cache(self, directory: Path) -> ResultCache:
        """Results of built-in kinds persisted across runs, per schema tree."""
        if directory not in self._disk:
            salt = "|".join([RESULTS_VERSION, str(directory),
                             _package_version("kubernetes-validate", "kubernetes_validate"),
                             _package_version("jsonschema", "jsonschema"),
                             _package_version("jsonschema-rs", "jsonschema_rs")])
            self._disk[directory] = ResultCache(
                STAGE, salt, enabled_=bool(self.result_cache) and results_enabled())
        return self._disk[directory]

    def observe(self, r: Rendered) -> None:
        """Validate the distinct documents of one render (the gate calls this as each
        render arrives, while the renderer works on the next ones)."""
        if r.manifests is None or not r.scenario.wants(self.name) or id(r.manifests) in self._observed:
            return
        self._observed.add(id(r.manifests))
        version = resolve_version(self.kube_version or r.scenario.args.kube_version, self.root)
        for doc in r.manifests:
            if doc.api_version and doc.kind and doc.kind != "CustomResourceDefinition":
                self.validate(doc, version, r.scenario.name)
        if r.manifests.raw:
            self._duplicate_keys(r.manifests.raw)

    def prepare(self, rendered: Mapping[str, Rendered]) -> None:
        """Validate every distinct document of the run once (results from earlier runs are
        reused from disk), so ``check`` only assembles findings; then persist new results."""
        for r in rendered.values():
            self.observe(r)
        self._observed.clear()
        for disk in self._disk.values():
            disk.save()

    def check(self, rendered: Rendered) -> list[Finding]:
        if rendered.manifests is None:
            return render_failed(self.name, rendered)
        version = resolve_version(self.kube_version or rendered.scenario.args.kube_version, self.root)
        findings: list[Finding] = []
        if not version.exact:
            findings.append(Finding(stage=self.name, rule="kube-version", severity=Severity.NOTE,
                                    scenario=rendered.scenario.name, message=version.note()))
        local = dict(self._chart_crds(rendered.scenario.chart))
        for doc in rendered.manifests.by_kind("CustomResourceDefinition"):
            local.update({k: _schema_validator(v) for k, v in crd_schemas(doc.body).items()})
        for doc in rendered.manifests:
            findings.extend(self.validate(doc, version, rendered.scenario.name, local))
        if rendered.manifests.raw:
            docs = rendered.manifests.documents
            for index, path, line in self._duplicate_keys(rendered.manifests.raw):
                doc = docs[index]
                findings.append(Finding(
                    stage=self.name, rule="duplicate-key", scenario=rendered.scenario.name, object=doc.ref,
                    template=doc.template, path=path,
                    message=f"duplicate key at line {line} of the rendered document: YAML keeps only "
                            f"the last value, the earlier one is silently lost"))
        return findings

    def _chart_crds(self, chart: Path) -> dict[tuple[str, str], jsonschema.protocols.Validator]:
        """Validators for the CRDs in the chart's (and its subcharts') ``crds/``."""
        if chart not in self._chart_validators:
            self._chart_validators[chart] = {k: _schema_validator(v)
                                             for k, v in chart_crd_schemas(chart).items()}
        return self._chart_validators[chart]

    def _duplicate_keys(self, raw: str) -> list[tuple[int, str, int]]:
        """:func:`duplicate_keys`, remembered across runs (the render's parse already found them)."""
        seen = self._duplicates.get(id(raw))  # observe() and check() ask for the same text
        if seen is not None and seen[0] is raw:
            return list(seen[1])
        disk = self._disk_cache(Path("duplicate-keys"))
        key = hashlib.sha1(raw.encode()).hexdigest()
        found = disk.get(key)
        if found is None:
            found = duplicate_keys(raw)
            disk.put(key, found)
        self._duplicates[id(raw)] = (raw, found)
        return list(found)

    def _validator(self, version: SchemaVersion, api_version: str, kind: str,
                   local: Mapping[tuple[str, str], jsonschema.protocols.Validator],
                   ) -> jsonschema.protocols.Validator | KindValidator | None:
        v = builtin_validator(version.directory, api_version, kind)
        if v is not None:
            return v
        key = (api_version, kind)
        if key in local:
            return local[key]
        if key not in self._crd_validators:
            schema = self._crds.get(key) or self._crds.get((api_version, kind.lower()))
            if schema is None:
                return None
            self._crd_validators[key] = _schema_validator(schema)
        return self._crd_validators[key]

    def validate(self, doc: Document, version: SchemaVersion, scenario: str = "",
                 local: Mapping[tuple[str, str], jsonschema.protocols.Validator] | None = None,
                 ) -> list[Finding]:
        """Findings for one document (empty = valid). ``local``: validators for CRDs the
        same render defines."""
        def finding(rule: str, message: str, path: str = "") -> Finding:
            return Finding(stage=self.name, rule=rule, message=message, scenario=scenario,
                           object=doc.ref, template=doc.template, path=path)

        if not doc.api_version or not doc.kind:
            return [finding("required", "document has no apiVersion or kind")]
        # the same text parses to the same repr (key order included): a cheap identity for dedupe
        key = (str(version.directory), body_key(doc.body))
        # results for built-in kinds: this process's, or an earlier run's (then no validator
        # needs building at all); a CRD kind is never in either
        errors = _RESULTS.get(key)
        if errors is None:
            errors = self._disk_cache(version.directory).get(key[1])
            if errors is not None:
                with _LOCK:
                    _RESULTS[key] = errors
        if errors is None:
            validator = self._validator(version, doc.api_version, doc.kind, local or {})
            if validator is None:
                if self.missing == "skip":
                    return []
                where = ", ".join(str(d) for d in self.crd_schema_dirs)
                hint = (f"not in the chart's crds/ nor in {where} either" if where
                        else "not in the chart's crds/ either: pass its CRD manifests with --crd-dir DIR "
                             "(or --missing-schemas=warn|skip)")
                missing = finding("unknown-kind", f"no schema for {doc.api_version} {doc.kind} in Kubernetes "
                                                  f"{version.version}; {hint}")
                if self.missing == "warn":
                    missing = dataclasses.replace(missing, severity=Severity.WARNING)
                return [missing]
            builtin = validator is builtin_validator(version.directory, doc.api_version, doc.kind)
            errors = _errors(validator, doc.body)
            self.validated += 1
            if builtin:  # built-in schemas never change within a process; CRD ones may
                self._disk_cache(version.directory).put(key[1], errors)
                with _LOCK:
                    if len(_RESULTS) > _RESULTS_MAX:
                        _RESULTS.clear()
                    _RESULTS[key] = errors
        where = f"Kubernetes {version.version} {doc.kind} schema"
        return [finding(rule, f"{message} ({where})", path) for path, rule, message in errors]


KubeSchemaStage = K8sSchemaStage  # alias
