"""Scenarios: one YAML file each (what maintainers add), plus matrix files that generate
many. Files are validated against ``schemas/scenario.schema.json``; errors name the file
and the key.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from chartgate.render_args import DEFAULT_KUBE_VERSION, DEFAULT_NAMESPACE, DEFAULT_RELEASE, TemplateArgs
from chartgate.util.merge import deep_merge
from chartgate.util.yamlload import safe_load

ALL_STAGES = ("render", "assertions", "k8s-schema", "values-schema", "policy", "snapshot", "upgrade")


class ScenarioError(ValueError):
    """A scenario or matrix file is invalid; the message names the file and key."""


@dataclass(frozen=True)
class Selector:
    """Which documents an assertion looks at."""

    kind: str | None = None
    name: str | None = None
    template: str | None = None
    api_version: str | None = None

    @classmethod
    def parse(cls, raw: Mapping[str, Any] | None) -> Selector:
        raw = raw or {}
        return cls(kind=raw.get("kind"), name=raw.get("name"), template=raw.get("template"),
                   api_version=raw.get("apiVersion"))


@dataclass(frozen=True)
class AssertionSpec:
    """One assertion from a scenario file: ``{equal: {path, value}, select: {...}}``."""

    type: str
    args: Mapping[str, Any]
    select: Selector = field(default_factory=Selector)
    negate: bool = False

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> AssertionSpec:
        keys = [k for k in raw if k not in ("select", "not")]
        if len(keys) != 1:
            raise ScenarioError(f"an assertion needs exactly one type key, got {keys}")
        args = raw[keys[0]]
        if args is None:
            args = {}
        elif not isinstance(args, Mapping):
            args = {"value": args}
        return cls(type=keys[0], args=args, select=Selector.parse(raw.get("select")),
                   negate=bool(raw.get("not", False)))


@dataclass(frozen=True)
class PolicyExpectation:
    """Which policy ids a scenario expects. ``None`` = don't care; ``()`` = none at all."""

    deny: tuple[str, ...] | None = ()
    warn: tuple[str, ...] | None = None


@dataclass(frozen=True)
class UpgradeAck:
    """A maintainer's acknowledgement of one upgrade finding (``upgrade.acknowledge``):
    the finding is still reported, as a warning carrying the reason."""

    object: str  # Kind/name
    reason: str
    path: str = ""  # field path prefix ("" = any)
    rule: str = ""  # upgrade rule ("" = any)

    def matches(self, rule: str, obj: str, path: str) -> bool:
        if self.object != obj or (self.rule and self.rule != rule):
            return False
        return not self.path or path == self.path or path.startswith((self.path + ".", self.path + "["))


@dataclass(frozen=True)
class Expectations:
    renders: bool = True
    error: str | None = None  # regex that helm's error must match when renders is false
    present: tuple[str, ...] = ()  # Kind/name
    absent: tuple[str, ...] = ()
    count: Mapping[str, int] = field(default_factory=dict)  # Kind -> number of documents
    assertions: tuple[AssertionSpec, ...] = ()
    snapshot: bool = True
    policy: PolicyExpectation = field(default_factory=PolicyExpectation)


@dataclass(frozen=True)
class Scenario:
    """One values scenario: what to render the chart with, and what to expect of it."""

    name: str
    file: Path  # the scenario file (matrix members share their matrix's file)
    chart: Path
    description: str = ""
    args: TemplateArgs = field(default_factory=TemplateArgs)
    values: Mapping[str, Any] = field(default_factory=dict)  # `set:` as a nested mapping
    expect: Expectations = field(default_factory=Expectations)
    stages: tuple[str, ...] = ALL_STAGES
    matrix: str = ""  # name of the matrix that generated it
    combination: Mapping[str, str] = field(default_factory=dict)
    upgrade_acks: tuple[UpgradeAck, ...] = ()
    # objects the release references that the cluster provides ("Kind/name", name may be a
    # glob): the policy stage passes them as data chartgate.external_objects
    external_objects: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.name

    def wants(self, stage: str) -> bool:
        return stage in self.stages


# --- loading ---------------------------------------------------------------------------
@cache
def _schema() -> dict[str, Any]:
    text = resources.files("chartgate").joinpath("schemas/scenario.schema.json").read_text()
    return dict(json.loads(text))


@cache
def _validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(_schema())


def _validate(raw: Any, file: Path) -> None:
    validator = _validator()
    errors = sorted(validator.iter_errors(raw), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for e in errors[:10]:
            where = ".".join(str(p) for p in e.absolute_path) or "(top level)"
            lines.append(f"  {where}: {e.message}")
        raise ScenarioError(f"{file}: invalid scenario file:\n" + "\n".join(lines))


def nest_set(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1}`` → ``{"a": {"b": 1}}`` (``\\.`` escapes a dot inside a key)."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        parts = [p.replace("\\.", ".") for p in re.split(r"(?<!\\)\.", key)]
        cur = out
        for p in parts[:-1]:
            cur = cur.setdefault(p, {})
        cur[parts[-1]] = value
    return out


def _set_json(flat: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((k, json.dumps(v, sort_keys=True)) for k, v in flat.items())


def _expectations(raw: Mapping[str, Any] | None) -> Expectations:
    raw = raw or {}
    pol = raw.get("policy") or {}

    def ids(v: Any) -> tuple[str, ...] | None:
        return None if v in (None, "any") else tuple(v)

    return Expectations(
        renders=raw.get("renders", True),
        error=raw.get("error"),
        present=tuple(raw.get("present", ())),
        absent=tuple(raw.get("absent", ())),
        count=dict(raw.get("count", {})),
        assertions=tuple(AssertionSpec.parse(a) for a in raw.get("assertions", ())),
        snapshot=raw.get("snapshot", raw.get("renders", True)),
        policy=PolicyExpectation(deny=ids(pol.get("deny", [])), warn=ids(pol.get("warn"))),
    )


@dataclass(frozen=True)
class Defaults:
    """Template inputs for the scenarios that name none: the caller's (the plugin's options, the
    gate's configuration), overridden by the scenario directory's ``_defaults.yaml``
    (:func:`dir_overrides`)."""

    chart: Path
    release: str = DEFAULT_RELEASE
    namespace: str = DEFAULT_NAMESPACE
    kube_version: str | None = DEFAULT_KUBE_VERSION
    api_versions: tuple[str, ...] = ()  # added to every scenario's own
    external_objects: tuple[str, ...] = ()  # added to every scenario's own


DEFAULTS_FILE = "_defaults.yaml"
_DEFAULTS_KEYS = {"release": "release", "namespace": "namespace", "kubeVersion": "kube_version",
                  "apiVersions": "api_versions", "externalObjects": "external_objects"}
_LIST_KEYS = ("apiVersions", "externalObjects")
_OBJECT_REF = re.compile(r"^[A-Za-z]+/[^/]+$")


def dir_overrides(directory: Path) -> dict[str, Any]:
    """What ``directory/_defaults.yaml`` sets, as :class:`Defaults` field names (``release``,
    ``namespace``, ``kube_version``, ``api_versions``, ``external_objects``); empty without the
    file. Apply with
    ``dataclasses.replace(defaults, **dir_overrides(directory))``."""
    file = directory / DEFAULTS_FILE
    if not file.is_file():
        return {}
    raw = safe_load(file.read_text()) or {}
    if not isinstance(raw, dict):
        raise ScenarioError(f"{file}: expected a mapping")
    unknown = sorted(set(raw) - set(_DEFAULTS_KEYS))
    if unknown:
        raise ScenarioError(f"{file}: unknown key(s) {', '.join(unknown)} "
                            f"(known: {', '.join(_DEFAULTS_KEYS)})")
    out: dict[str, Any] = {}
    for key, field_name in _DEFAULTS_KEYS.items():
        if key in raw:
            value = raw[key]
            out[field_name] = (tuple(str(v) for v in value or ()) if key in _LIST_KEYS
                               else str(value) if value is not None else None)
    bad = [ref for ref in out.get("external_objects", ()) if not _OBJECT_REF.match(ref)]
    if bad:
        raise ScenarioError(f"{file}: externalObjects: expected Kind/name entries, got {', '.join(bad)}")
    return out


def _values_path(entry: str, file: Path, chart: Path) -> str:
    if entry.startswith(("./", "../")):
        return str((file.parent / entry).resolve())
    return str((chart / entry).resolve())


def _build(raw: Mapping[str, Any], file: Path, defaults: Defaults, name: str | None = None,
           matrix: str = "", combination: Mapping[str, str] | None = None) -> Scenario:
    chart = (file.parent / raw["chart"]).resolve() if raw.get("chart") else defaults.chart
    flat_set: Mapping[str, Any] = raw.get("set") or {}
    kube = raw.get("kubeVersion", defaults.kube_version)
    args = TemplateArgs(
        release=raw.get("release", defaults.release),
        namespace=raw.get("namespace", defaults.namespace),
        values_files=tuple(_values_path(v, file, chart) for v in raw.get("values", ())),
        set_json=_set_json(flat_set),
        kube_version=str(kube) if kube else None,
        api_versions=(*raw.get("apiVersions", ()), *defaults.api_versions),
        is_upgrade=bool(raw.get("isUpgrade", False)),
    )
    for vf in args.values_files:
        if not Path(vf).is_file():
            raise ScenarioError(f"{file}: values file {vf} does not exist")
    expect = _expectations(raw.get("expect"))
    stages = tuple(raw.get("stages", ALL_STAGES))
    if not expect.renders:
        stages = ("render",)
    acks = tuple(UpgradeAck(object=a["object"], reason=a["reason"], path=a.get("path", ""),
                            rule=a.get("rule", ""))
                 for a in (raw.get("upgrade") or {}).get("acknowledge", ()))
    return Scenario(name=name or raw.get("name") or file.stem, file=file, chart=chart,
                    description=raw.get("description", ""), args=args, values=nest_set(flat_set),
                    expect=expect, stages=stages, matrix=matrix,
                    combination=dict(combination or {}), upgrade_acks=acks,
                    external_objects=(*raw.get("externalObjects", ()), *defaults.external_objects))


def load_file(file: Path, defaults: Defaults) -> list[Scenario]:
    """One scenario, or every combination of a matrix file."""
    try:
        raw = safe_load(file.read_text())
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{file}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ScenarioError(f"{file}: expected a mapping at the top level")
    _validate(raw, file)
    if "axes" in raw:
        return expand_matrix(raw, file, defaults)
    return [_build(raw, file, defaults)]


def load_dir(directory: Path, defaults: Defaults) -> list[Scenario]:
    """Every ``*.yaml`` under ``directory`` (files starting with ``_`` are not scenarios)."""
    out: list[Scenario] = []
    for file in sorted(directory.rglob("*.yaml")):
        if file.name.startswith("_"):
            continue
        out.extend(load_file(file, defaults))
    names = [s.name for s in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ScenarioError(f"{directory}: duplicate scenario names: {', '.join(dupes)}")
    return out


# --- matrices --------------------------------------------------------------------------
def pairwise(axes: Mapping[str, list[str]]) -> list[dict[str, str]]:
    """A small set of combinations covering every pair of values of every two axes
    (greedy in-parameter-order; deterministic)."""
    names = list(axes)
    if len(names) < 2:
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*axes.values())]
    uncovered: set[tuple[int, str, int, str]] = set()
    for (i, a), (j, b) in itertools.combinations(enumerate(names), 2):
        for va in axes[a]:
            for vb in axes[b]:
                uncovered.add((i, va, j, vb))
    rows: list[dict[str, str]] = []
    while uncovered:
        # seed with the first uncovered pair, then fill other axes greedily
        i, va, j, vb = min(uncovered, key=lambda p: (p[0], p[2], axes[names[p[0]]].index(p[1]),
                                                     axes[names[p[2]]].index(p[3])))
        row: dict[str, str] = {names[i]: va, names[j]: vb}
        for k, axis in enumerate(names):
            if axis in row:
                continue
            best, best_gain = axes[axis][0], -1
            for cand in axes[axis]:
                gain = 0
                for axis2, v2 in row.items():
                    k2 = names.index(axis2)
                    key = (k2, v2, k, cand) if k2 < k else (k, cand, k2, v2)
                    gain += key in uncovered
                if gain > best_gain:
                    best, best_gain = cand, gain
            row[axis] = best
        for (a_i, a), (b_i, b) in itertools.combinations(enumerate(names), 2):
            uncovered.discard((a_i, row[a], b_i, row[b]))
        rows.append({n: row[n] for n in names})
    return rows


def _merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Merge scenario fragments: mappings merge, lists concatenate, scalars override."""
    return deep_merge(a, b, concat_lists=True)


def _label(value: Any) -> str:
    """Axis value names as written: YAML 1.1 reads on/off/yes/no as booleans."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _when_matches(when: Mapping[str, Any], combo: Mapping[str, str]) -> bool:
    for axis, want in when.items():
        allowed = want if isinstance(want, list) else [want]
        if combo.get(_label(axis)) not in [_label(x) for x in allowed]:
            return False
    return True


def expand_matrix(raw: Mapping[str, Any], file: Path, defaults: Defaults) -> list[Scenario]:
    axes: dict[str, dict[str, Any]] = {
        _label(axis): {_label(v): frag for v, frag in (values or {}).items()}
        for axis, values in raw["axes"].items()}
    for axis, values in axes.items():
        if not values:
            raise ScenarioError(f"{file}: axes.{axis} has no values")
    names = {axis: list(values) for axis, values in axes.items()}
    mode = raw.get("generate", "pairwise")
    combos = (pairwise(names) if mode == "pairwise"
              else [dict(zip(names, c, strict=True)) for c in itertools.product(*names.values())])
    base = {k: v for k, v in raw.items() if k not in ("axes", "rules", "generate", "name", "description")}
    prefix = raw.get("name") or file.stem
    out = []
    for i, rule in enumerate(raw.get("rules", ())):
        for axis, want in (rule.get("when") or {}).items():
            wanted = want if isinstance(want, list) else [want]
            bad = [_label(w) for w in wanted if _label(w) not in axes.get(_label(axis), {})]
            if _label(axis) not in axes or bad:
                raise ScenarioError(f"{file}: rules[{i}].when.{_label(axis)}: no such axis value "
                                    f"{bad or want!r}; axes: {names}")
    for combo in combos:
        fragment: dict[str, Any] = dict(base)
        for axis, value in combo.items():
            fragment = _merge(fragment, axes[axis][value] or {})
        for i, rule in enumerate(raw.get("rules", ())):
            if _when_matches(rule.get("when", {}), combo):
                fragment = _merge(fragment, {"expect": rule.get("expect", {})})
                if rule.get("stages"):
                    fragment["stages"] = rule["stages"]
            elif "when" not in rule:
                raise ScenarioError(f"{file}: rules[{i}] has no `when`")
        name = prefix + "[" + ",".join(f"{a}={v}" for a, v in combo.items()) + "]"
        out.append(_build(fragment, file, defaults, name=name, matrix=prefix, combination=combo))
    return out


def axis_pairs(scenarios: Iterable[Scenario]) -> set[tuple[str, str, str, str]]:
    """Every (axisA, valueA, axisB, valueB) pair the given matrix scenarios cover."""
    pairs = set()
    for s in scenarios:
        items = sorted(s.combination.items())
        for (a, va), (b, vb) in itertools.combinations(items, 2):
            pairs.add((a, va, b, vb))
    return pairs
