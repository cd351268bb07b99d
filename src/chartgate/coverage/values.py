"""Values coverage: for each key of values.yaml and values.schema.json, how many scenarios
set it to something other than its default, and whether any template reads it; and every
``.Values`` path a template reads that neither file declares.

The reads come from the renderer's coverage plan (``renderer/coverage.go``): field chains
through ``.Values``, the dot inside ``with``/``range`` over such a path, variables holding
one, ``index`` with literal keys, and ``include``/``template`` calls followed into their
defines. A key is read when a template reads it, something under it, or an enclosing key
as a whole value (``toYaml .Values.resources`` reads every key under ``resources``).
A scenario's values are its values files merged in order, then its ``set:`` entries;
keys under a list are not enumerated (the list is the key). Only the chart's own
templates are analysed (subchart values belong to the subchart).

Three kinds of finding:
- ``dead-key``: declared, but no template reads it (changing it changes no manifest);
- ``undeclared-read``: a template reads ``.Values.x`` that neither file declares (a typo,
  or an undocumented knob);
- ``unexercised-key``: declared and read, but no scenario sets it to a non-default value
  (a key the schema pins to one value, ``const`` or a one-element ``enum``, has none).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chartgate.coverage.model import Plan, ValueRead
from chartgate.scenario import Scenario
from chartgate.util.yamlload import safe_load

_MISSING = object()


@dataclass
class KeyCoverage:
    key: str
    declared_in: tuple[str, ...]  # "values.yaml", "values.schema.json"
    scenarios: int = 0  # scenarios that set it to a non-default value
    read_at: list[str] = field(default_factory=list)  # template:line (first few)


@dataclass
class ValuesCoverage:
    keys: list[KeyCoverage]
    dead: list[KeyCoverage]
    unexercised: list[KeyCoverage]
    undeclared: list[ValueRead]  # one per path (the first place it is read)


def _leaves(d: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> Iterable[tuple[tuple[str, ...], Any]]:
    for k, v in d.items():
        path = (*prefix, str(k))
        if isinstance(v, Mapping) and v:
            yield path, _MISSING  # an inner key: declared, not a leaf
            yield from _leaves(v, path)
        else:
            yield path, v


@dataclass(frozen=True)
class SchemaKey:
    parts: tuple[str, ...] = ()  # the property names (one may contain dots)
    open: bool = False  # an object that allows more keys (additionalProperties, patternProperties)
    pinned: bool = False  # one allowed value (const, a one-element enum): nothing else to set


def schema_keys(schema: Mapping[str, Any]) -> dict[str, SchemaKey]:
    """The property paths of a values JSON schema (``$ref``, ``allOf``/``anyOf``/``oneOf``
    and ``if``/``then``/``else`` followed)."""
    out: dict[str, SchemaKey] = {}
    defs = schema.get("definitions") or schema.get("$defs") or {}

    def walk(node: Mapping[str, Any], path: tuple[str, ...], depth: int) -> None:
        if depth > 30 or not isinstance(node, Mapping):
            return
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/") and ref.split("/")[-1] in defs:
            walk(defs[ref.split("/")[-1]], path, depth + 1)
        for sub in ("allOf", "anyOf", "oneOf"):
            for s in node.get(sub) or []:
                walk(s, path, depth + 1)
        for k in ("then", "else"):
            if isinstance(node.get(k), Mapping):
                walk(node[k], path, depth + 1)
        props = node.get("properties")
        if isinstance(props, Mapping):
            for k, v in props.items():
                p = (*path, str(k))
                key = out.setdefault(".".join(p), SchemaKey(p))
                if isinstance(v, Mapping) and ("const" in v or len(v.get("enum") or ()) == 1):
                    out[".".join(p)] = dataclasses.replace(key, pinned=True)
                walk(v, p, depth + 1)
        if path and (node.get("patternProperties") or node.get("additionalProperties") not in (None, False)
                     or (node.get("type") == "object" and "properties" not in node
                         and node.get("additionalProperties") is not False)):
            name = ".".join(path)
            out[name] = dataclasses.replace(out.get(name, SchemaKey(path)), open=True)

    walk(schema, (), 0)
    return out


def _get(d: Any, path: Iterable[str]) -> Any:
    for p in path:
        if not isinstance(d, Mapping) or p not in d:
            return _MISSING
        d = d[p]
    return d


def _merge(into: dict[str, Any], new: Mapping[str, Any]) -> None:
    for k, v in new.items():
        if isinstance(v, Mapping) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        else:
            into[k] = json.loads(json.dumps(v, default=str)) if isinstance(v, Mapping | list) else v


def _values_file(path: str) -> Any:
    st = Path(path).stat()
    return _parsed(path, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=256)
def _parsed(path: str, _mtime: int, _size: int) -> Any:
    """A values file parsed once per content (never mutated by the callers)."""
    return safe_load(Path(path).read_text()) or {}


def scenario_values(sc: Scenario) -> dict[str, Any]:
    """The values a scenario gives on top of the chart's defaults (files, then ``set:``)."""
    out: dict[str, Any] = {}
    for vf in sc.args.values_files:
        data = _values_file(vf)
        if isinstance(data, Mapping):
            _merge(out, data)
    for k, v in sc.args.set_json:
        node = out
        parts = k.split(".")
        for p in parts[:-1]:
            if not isinstance(node.get(p), dict):
                node[p] = {}
            node = node[p]
        node[parts[-1]] = json.loads(v)
    return out


def _read_path(r: ValueRead) -> str:
    return r.path.split(".[]", 1)[0] if r.path != "[]" else ""


def analyse(chart: Path, plan: Plan, scenarios: Iterable[Scenario]) -> ValuesCoverage:
    values_file = chart / "values.yaml"
    defaults = (safe_load(values_file.read_text()) if values_file.is_file() else None) or {}
    schema_file = chart / "values.schema.json"
    skeys = schema_keys(json.loads(schema_file.read_text())) if schema_file.is_file() else {}
    # display path ("a.b") → the keys it is made of (a key may contain dots itself)
    parts: dict[str, tuple[str, ...]] = {".".join(t): t for t, _ in _leaves(defaults)}
    vkeys = set(parts)
    for k, sk in skeys.items():
        parts.setdefault(k, sk.parts)
    keys: dict[str, KeyCoverage] = {}
    for k in sorted(vkeys | set(skeys)):
        if k == "global" or k.startswith("global."):
            continue  # helm's own: every chart gets .Values.global, for its subcharts
        where = tuple(n for n, has in (("values.yaml", k in vkeys), ("values.schema.json", k in skeys))
                      if has)
        keys[k] = KeyCoverage(k, where)
    # leaves: keys with no declared key under them
    leaf = {k for k in keys if not any(o.startswith(k + ".") for o in keys)}

    reads = [r for r in plan.reads if r.file.startswith("templates/")]
    for sc in scenarios:
        given = scenario_values(sc)
        for k in leaf:
            v = _get(given, parts[k])
            if v is not _MISSING and v != _get(defaults, parts[k]):
                keys[k].scenarios += 1
    for k in keys:  # an inner key counts the scenarios of the keys under it (at least)
        if k not in leaf:
            keys[k].scenarios = max([keys[o].scenarios for o in keys if o.startswith(k + ".")] + [0])

    def is_read(k: str) -> list[str]:
        at = []
        for r in reads:
            if r.write:
                continue
            p = _read_path(r)
            if p == k or p.startswith(k + ".") or (r.whole and (p == "" or k.startswith(p + "."))):
                at.append(f"{r.file}:{r.line}")
        return at

    dead, unexercised = [], []
    for k in sorted(leaf):
        kc = keys[k]
        kc.read_at = is_read(k)[:5]
        if not kc.read_at:
            dead.append(kc)
        elif kc.scenarios == 0 and not skeys.get(k, SchemaKey()).pinned:
            unexercised.append(kc)

    def declared(path: str) -> bool:
        if path == "" or path in keys:
            return True
        segs = path.split(".")
        for i in range(len(segs) - 1, 0, -1):
            anc = ".".join(segs[:i])
            if anc in keys:
                dv = _get(defaults, parts[anc])
                open_in_values = anc in vkeys and not (isinstance(dv, Mapping) and dv)
                return open_in_values or skeys.get(anc, SchemaKey()).open
        return False

    written = {_read_path(r) for r in reads if r.write}
    undeclared: dict[str, ValueRead] = {}
    for r in sorted(reads, key=lambda r: (r.path, r.file, r.line)):
        p = _read_path(r)
        if not r.write and p not in written and not declared(p):
            undeclared.setdefault(p, r)
    return ValuesCoverage(list(keys.values()), dead, unexercised,
                          [undeclared[p] for p in sorted(undeclared)])
