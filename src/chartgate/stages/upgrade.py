"""The upgrade stage: would ``helm upgrade`` from the base chart to this one fail, or lose data?

Each scenario is rendered twice — with the base chart (``--base``: the last release) and with
the working tree — through the same renderer and cache. Objects are paired by API group,
kind, namespace and name (an apiVersion bump within a group is the same object), and each
pair is judged by the Kubernetes API's own update rules (:mod:`chartgate.upgrade_rules`):

* ``immutable-field``: a field the API server refuses to update changed (the upgrade fails
  with the message the finding cites);
* ``data-loss``: a PVC, a StatefulSet with volumeClaimTemplates, or a Secret holding
  generated credentials is removed or renamed (a new name is a new, empty volume / new
  credentials), or ``helm.sh/resource-policy: keep`` is dropped;
* ``service-selector``: a Service's new selector no longer selects the pods running before
  the rollout (no endpoints until the new pods are ready);
* ``hook-recreated`` (note): Helm deletes and recreates hooks, so their changes apply.

SemVer: a breaking finding fails unless the chart's ``version`` has a breaking bump (a new
major version; while the major is 0, a new minor); a maintainer may acknowledge a finding
in the scenario file (``upgrade.acknowledge``, reason required) — it is then reported as a
warning with that reason, never dropped. The run-level check fails a chart whose files
changed without any version bump (the same rule ``chartgate gate`` applies).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chartgate import semver
from chartgate import upgrade_rules as R
from chartgate.manifests import (
    POD_TEMPLATE_PATHS,
    Document,
    ManifestSet,
    format_path,
    pod_labels,
    selector_matches,
)
from chartgate.render import Rendered, chart_digest
from chartgate.report.model import Finding, Severity
from chartgate.scenario import Scenario

NAME = "upgrade"
_MISSING: Any = object()
_WORKLOAD_KINDS = frozenset(POD_TEMPLATE_PATHS) - {"Job", "CronJob", "Pod"}


# --- pairing ---------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class ObjectKey:
    group: str
    kind: str
    namespace: str
    name: str

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"


def group_of(api_version: str) -> str:
    return api_version.split("/", 1)[0] if "/" in api_version else ""


def key_of(doc: Document, namespace: str) -> ObjectKey:
    return ObjectKey(group_of(doc.api_version), doc.kind, doc.namespace or namespace, doc.name)


@dataclass(frozen=True)
class Pairing:
    pairs: tuple[tuple[Document, Document], ...]  # (base, head)
    removed: tuple[Document, ...]  # only in base: helm upgrade deletes them
    added: tuple[Document, ...]  # only in head: helm upgrade creates them


def pair(base: ManifestSet, head: ManifestSet, namespace: str) -> Pairing:
    """Pair base and head objects by (API group, kind, namespace, name)."""
    b = {key_of(d, namespace): d for d in base}
    h = {key_of(d, namespace): d for d in head}
    return Pairing(pairs=tuple((b[k], h[k]) for k in sorted(b.keys() & h.keys())),
                   removed=tuple(b[k] for k in sorted(b.keys() - h.keys())),
                   added=tuple(h[k] for k in sorted(h.keys() - b.keys())))


# --- value helpers ---------------------------------------------------------------------
def _get(body: Mapping[str, Any], path: str) -> Any:
    cur: Any = body
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return _MISSING
        cur = cur[part]
    return cur


def _show(value: Any, limit: int = 100) -> str:
    if value is _MISSING:
        return "(unset)"
    text = json.dumps(value, default=str, separators=(", ", ": "))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _plain(value: Any) -> Any:
    return None if value is _MISSING else value


def leaf_diffs(a: Any, b: Any, prefix: str = "") -> list[str]:
    """Paths (``spec.template.spec.containers[name=server].image``) where ``a`` and ``b`` differ."""
    if a == b:
        return []
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        out: list[str] = []
        for k in sorted(set(a) | set(b), key=str):
            sub = format_path([k])
            p = f"{prefix}{sub if sub.startswith('[') else '.' + sub}" if prefix else sub
            out += leaf_diffs(a.get(k, _MISSING), b.get(k, _MISSING), p)
        return out
    if isinstance(a, list) and isinstance(b, list):
        named = all(isinstance(x, Mapping) and "name" in x for x in [*a, *b])
        if named:
            am = {x["name"]: x for x in a}
            bm = {x["name"]: x for x in b}
            out = []
            for n in [*am, *(n for n in bm if n not in am)]:
                out += leaf_diffs(am.get(n, _MISSING), bm.get(n, _MISSING), f"{prefix}[name={n}]")
            return out
        if len(a) == len(b):
            return [d for i, (x, y) in enumerate(zip(a, b, strict=True))
                    for d in leaf_diffs(x, y, f"{prefix}[{i}]")]
    return [prefix or "."]


def _with_defaults(value: Any, defaults: Mapping[str, object]) -> Any:
    if not isinstance(value, Mapping):
        return value
    return {**defaults, **value}


# --- generated credentials -------------------------------------------------------------
_DEFINE = re.compile(r'\{\{-?\s*define\s+"([^"]+)"')
_INCLUDE = re.compile(r'\b(?:include|template)\s+"([^"]+)"')


def generating_templates(chart: Path) -> frozenset[str]:
    """Chart-relative template files whose output includes generated values.

    A file calls a generator function (:data:`~chartgate.upgrade_rules.GENERATORS`) or
    includes a named template defined in a file that does (followed to a fixed point).
    Coarse on purpose: every ``define`` of a generating helper file counts."""
    texts = {f.relative_to(chart).as_posix(): f.read_text(errors="replace")
             for f in (chart / "templates").rglob("*") if f.is_file()}
    gen = re.compile(r"\b(?:" + "|".join(R.GENERATORS) + r")\b")
    generating = {p for p, t in texts.items() if gen.search(t)}
    defined = {p: set(_DEFINE.findall(t)) for p, t in texts.items()}
    while True:
        names = set().union(*(defined[p] for p in generating)) if generating else set()
        more = {p for p, t in texts.items() if p not in generating and names & set(_INCLUDE.findall(t))}
        if not more:
            return frozenset(generating)
        generating |= more


# --- the rules -------------------------------------------------------------------------
@dataclass(frozen=True)
class Change:
    """One upgrade problem before SemVer and acknowledgements are applied."""

    rule: str
    doc: Document  # the head object (the base object when it was removed)
    path: str
    message: str
    base: Any = _MISSING
    head: Any = _MISSING
    breaking: bool = True
    severity: Severity = Severity.ERROR  # for non-breaking changes


def _is_hook(doc: Document) -> bool:
    return R.HOOK in doc.annotations


def _keeps(doc: Document) -> bool:
    return str(doc.annotations.get(R.RESOURCE_POLICY, "")).strip() == "keep"


def _immutable(doc: Document, path: str, api_message: str, base: Any, head: Any) -> Change:
    detail = ""
    if isinstance(base, Mapping | list) and isinstance(head, Mapping | list):
        leaves = leaf_diffs(base, head, path)
        if leaves and leaves != [path]:
            detail = "; changed: " + ", ".join(leaves[:4]) + (" …" if len(leaves) > 4 else "")
    return Change("immutable-field", doc, path,
                  f"{doc.api_version} {doc.kind}: {path} is immutable ({api_message}){detail}; "
                  f"base {_show(base)} → head {_show(head)}", base, head)


def _compare_fields(b: Document, h: Document, fields: Iterable[R.Immutable]) -> list[Change]:
    defaults = R.DEFAULTS.get((group_of(h.api_version), h.kind), {})
    out = []
    for rule in fields:
        bv, hv = _get(b.body, rule.path), _get(h.body, rule.path)
        if bv is _MISSING:
            bv = defaults.get(rule.path, _MISSING)
        if hv is _MISSING:
            hv = defaults.get(rule.path, _MISSING)
        if bv != hv:
            out.append(_immutable(h, rule.path, rule.api_message, bv, hv))
    return out


def _statefulset(b: Document, h: Document) -> list[Change]:
    bs = _with_defaults(_get(b.body, "spec"), R.STATEFULSET_DEFAULTS)
    hs = _with_defaults(_get(h.body, "spec"), R.STATEFULSET_DEFAULTS)
    if not isinstance(bs, Mapping) or not isinstance(hs, Mapping):
        return []
    out = []
    for k in sorted(set(bs) | set(hs)):
        if k in R.STATEFULSET_MUTABLE:
            continue
        bv, hv = bs.get(k, _MISSING), hs.get(k, _MISSING)
        if k == "volumeClaimTemplates":
            bv, hv = _vcts(bv), _vcts(hv)
        if bv != hv:
            out.append(_immutable(h, f"spec.{k}", R.STATEFULSET_MESSAGE, bv, hv))
    return out


def _vcts(value: Any) -> Any:
    """volumeClaimTemplates as the API stores them (apiVersion/kind/status dropped, defaults in)."""
    if not isinstance(value, list):
        return value
    out = []
    for t in value:
        if not isinstance(t, Mapping):
            out.append(t)
            continue
        t = {k: v for k, v in t.items() if k not in ("apiVersion", "kind", "status")}
        if isinstance(t.get("spec"), Mapping):
            t["spec"] = _with_defaults(t["spec"], R.PVC_DEFAULTS)
        out.append(t)
    return out


def _job(b: Document, h: Document) -> list[Change]:
    out = _compare_fields(b, h, R.IMMUTABLE[("batch", "Job")])
    bc, hc = _get(b.body, "spec.completions"), _get(h.body, "spec.completions")
    if bc != hc:
        indexed = _get(h.body, "spec.completionMode") == "Indexed"
        if not (indexed and hc is not _MISSING and hc == _get(h.body, "spec.parallelism")):
            out.append(_immutable(h, "spec.completions", R.FIELD_IS_IMMUTABLE
                                  + " (an Indexed Job may change it only in tandem with spec.parallelism)",
                                  bc, hc))
    return out


def _service(b: Document, h: Document) -> list[Change]:
    out = []
    btype = _get(b.body, "spec.type") if _get(b.body, "spec.type") is not _MISSING else "ClusterIP"
    htype = _get(h.body, "spec.type") if _get(h.body, "spec.type") is not _MISSING else "ClusterIP"
    if htype == "ExternalName":
        for p in ("spec.clusterIP", "spec.clusterIPs"):
            v = _get(h.body, p)
            if v not in (_MISSING, "", None, []):
                out.append(Change("immutable-field", h, p,
                                  f"{h.api_version} {h.kind}: {btype} → ExternalName keeps {p} "
                                  f"({R.SERVICE_EXTERNALNAME_MESSAGE})", _get(b.body, p), v))
        return out
    if btype == "ExternalName":
        return out  # the API allocates cluster IPs on the way out of ExternalName
    for p in ("spec.clusterIP", "spec.clusterIPs"):
        bv, hv = _get(b.body, p), _get(h.body, p)
        if bv == hv:
            continue
        if hv is _MISSING:  # the API keeps the old value: the change silently does nothing
            out.append(Change("immutable-field", h, p,
                              f"{h.api_version} {h.kind}: head no longer sets {p}; the API keeps the "
                              f"allocated value {_show(bv)} (for \"None\": the Service stays headless)",
                              bv, hv, breaking=False, severity=Severity.WARNING))
            continue
        cited = f"{p} is immutable ({R.SERVICE_CLUSTER_IP_MESSAGE})"
        if bv is _MISSING:
            cited += "; base let the API allocate one"
        out.append(Change("immutable-field", h, p, f"{h.api_version} {h.kind}: {cited}; "
                          f"base {_show(bv)} → head {_show(hv)}", bv, hv))
    bf, hf = _get(b.body, "spec.ipFamilies"), _get(h.body, "spec.ipFamilies")
    if isinstance(bf, list) and isinstance(hf, list) and bf and hf and bf[0] != hf[0]:
        out.append(Change("immutable-field", h, "spec.ipFamilies[0]",
                          f"{h.api_version} {h.kind}: {R.SERVICE_IP_FAMILY_MESSAGE}", bf[0], hf[0]))
    return out


_QUANTITY = re.compile(r"^([0-9.]+)([a-zA-Z]*)$")
_UNITS = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
          "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60, "m": 1e-3}


def quantity(value: Any) -> float | None:
    m = _QUANTITY.match(str(value).strip())
    if not m or m.group(2) not in _UNITS:
        return None
    return float(m.group(1)) * _UNITS[m.group(2)]


def _pvc(b: Document, h: Document) -> list[Change]:
    bs = _with_defaults(_get(b.body, "spec"), R.PVC_DEFAULTS)
    hs = _with_defaults(_get(h.body, "spec"), R.PVC_DEFAULTS)
    if not isinstance(bs, Mapping) or not isinstance(hs, Mapping):
        return []
    out: list[Change] = []

    def strip(spec: Mapping[str, Any]) -> dict[str, Any]:
        s = {k: v for k, v in spec.items() if k != "volumeAttributesClassName"}
        res = dict(s.get("resources") or {})
        res.pop("requests", None)
        s["resources"] = res
        return s

    bstrip, hstrip = strip(bs), strip(hs)
    if "storageClassName" not in bs and "storageClassName" in hs:
        bstrip.pop("storageClassName", None)
        hstrip.pop("storageClassName", None)
        out.append(Change("immutable-field", h, "spec.storageClassName",
                          f"{h.api_version} {h.kind}: base left spec.storageClassName to the cluster's "
                          f"default class; head sets {_show(hs['storageClassName'])}: the API refuses "
                          f"this unless it is that default ({R.PVC_MESSAGE})",
                          _MISSING, hs["storageClassName"], breaking=False, severity=Severity.WARNING))
    for leaf in leaf_diffs(bstrip, hstrip, "spec"):
        out.append(Change("immutable-field", h, leaf,
                          f"{h.api_version} {h.kind}: {leaf} changed ({R.PVC_MESSAGE}); "
                          f"base {_show(_get(b.body, leaf))} → head {_show(_get(h.body, leaf))}",
                          _get(b.body, leaf), _get(h.body, leaf)))
    path = "spec.resources.requests.storage"
    bq, hq = _get(b.body, path), _get(h.body, path)
    if bq != hq and bq is not _MISSING and hq is not _MISSING:
        bn, hn = quantity(bq), quantity(hq)
        if bn is not None and hn is not None and hn < bn:
            out.append(Change("immutable-field", h, path, f"{h.api_version} {h.kind}: storage request "
                              f"shrinks {bq} → {hq} ({R.PVC_SHRINK_MESSAGE})", bq, hq))
        elif bn is not None and hn is not None and hn > bn:
            out.append(Change("volume-expansion", h, path, f"{h.kind}/{h.name}: storage request grows "
                              f"{bq} → {hq}: allowed only if its StorageClass has allowVolumeExpansion: true",
                              bq, hq, breaking=False, severity=Severity.NOTE))
    return out


def _secret_data(doc: Document) -> dict[str, Any]:
    import base64

    data = dict(doc.body.get("data") or {})
    for k, v in (doc.body.get("stringData") or {}).items():
        data[k] = base64.b64encode(str(v).encode()).decode()
    return data


def _immutable_data(b: Document, h: Document) -> list[Change]:
    if b.body.get("immutable") is not True:
        out: list[Change] = []
    else:
        out = []
        if h.body.get("immutable") is not True:
            out.append(_immutable(h, "immutable", R.IMMUTABLE_DATA_MESSAGE, True, _get(h.body, "immutable")))
        if h.kind == "Secret":
            pairs = [("data", _secret_data(b), _secret_data(h))]
        else:
            pairs = [(p, b.body.get(p) or {}, h.body.get(p) or {}) for p in ("data", "binaryData")]
        for p, bv, hv in pairs:
            for leaf in leaf_diffs(bv, hv, p):
                out.append(Change("immutable-field", h, leaf,
                                  f"{h.api_version} {h.kind}: {leaf} is immutable "
                                  f"({R.IMMUTABLE_DATA_MESSAGE}); the key's value changed, was added or "
                                  "removed (values not shown: they may be secret)"))
    if h.kind == "Secret":
        bt, ht = b.body.get("type", "Opaque"), h.body.get("type", "Opaque")
        if bt != ht:
            out.append(_immutable(h, "type", R.FIELD_IS_IMMUTABLE, bt, ht))
    return out


def compare(b: Document, h: Document) -> list[Change]:
    """The immutable-field problems of updating ``b`` to ``h`` (neither is a hook)."""
    group = group_of(h.api_version)
    if (group, h.kind) == ("apps", "StatefulSet"):
        return _statefulset(b, h)
    if (group, h.kind) == ("batch", "Job"):
        return _job(b, h)
    if (group, h.kind) == ("", "Service"):
        return _service(b, h)
    if (group, h.kind) == ("", "PersistentVolumeClaim"):
        return _pvc(b, h)
    if (group, h.kind) in (("", "ConfigMap"), ("", "Secret")):
        return _immutable_data(b, h)
    return _compare_fields(b, h, R.IMMUTABLE.get((group, h.kind), ()))


def _hook(b: Document, h: Document) -> list[Change]:
    if b.body == h.body:
        return []
    changed = leaf_diffs(b.body, h.body)
    out = [Change("hook-recreated", h, changed[0] if len(changed) == 1 else "",
                  f"{h.ref} is a Helm hook ({h.annotations.get(R.HOOK, b.annotations.get(R.HOOK))}): "
                  "Helm deletes and recreates it on upgrade instead of updating it, so its change "
                  f"applies ({', '.join(changed[:4])}{' …' if len(changed) > 4 else ''})",
                  breaking=False, severity=Severity.NOTE)]
    if _is_hook(b) != _is_hook(h):
        out.append(Change("hook-recreated", h, "metadata.annotations",
                          f"{h.ref} {'became' if _is_hook(h) else 'is no longer'} a Helm hook: the "
                          "object left behind by the base release may make the upgrade fail "
                          "(already exists / invalid ownership metadata)",
                          breaking=False, severity=Severity.WARNING))
    return out


def _pvc_names(sts: Document) -> list[str]:
    templates = sts.get("spec.volumeClaimTemplates", []) or []
    return [str((t.get("metadata") or {}).get("name", "")) for t in templates if isinstance(t, Mapping)]


def data_loss(p: Pairing, base_generating: frozenset[str]) -> list[Change]:
    out: list[Change] = []
    added = [d for d in p.added if not _is_hook(d)]
    for d in p.removed:
        if _is_hook(d):
            continue
        if _keeps(d):
            out.append(Change("data-loss", d, "", f"{d.ref} is gone from the chart but has "
                              f"{R.RESOURCE_POLICY}: keep: Helm leaves it in the cluster, unmanaged",
                              breaking=False, severity=Severity.NOTE))
            continue
        same_kind = [a.ref for a in added if a.kind == d.kind]
        renamed = f" (renamed to {', '.join(same_kind)}? a new name is a new object)" if same_kind else ""
        if d.kind == "PersistentVolumeClaim":
            out.append(Change("data-loss", d, "", f"{d.ref} is removed: helm upgrade deletes the claim, "
                              f"and the volume's data with it (reclaimPolicy Delete){renamed}; "
                              f"keep it, or mark it {R.RESOURCE_POLICY}: keep"))
        elif d.kind == "StatefulSet" and _pvc_names(d):
            claims = ", ".join(f"{n}-{d.name}-<ordinal>" for n in _pvc_names(d))
            new = [a for a in added if a.kind == "StatefulSet"]
            new_claims = ", ".join(f"{n}-{a.name}-<ordinal>" for a in new for n in _pvc_names(a))
            out.append(Change("data-loss", d, "spec.volumeClaimTemplates",
                              f"{d.ref} (volumeClaimTemplates) is removed: its pods' claims {claims} are "
                              "orphaned (or deleted, with persistentVolumeClaimRetentionPolicy.whenDeleted: "
                              "Delete)" + (f"; the new pods claim new, empty volumes {new_claims}"
                                           if new_claims else "") + renamed))
        elif d.kind == "Secret" and d.template in base_generating:
            out.append(Change("data-loss", d, "", f"{d.ref} holds generated credentials "
                              f"({d.template} calls a generator such as randAlphaNum) and is removed: "
                              f"what was initialised with them (a database password) no longer "
                              f"matches new ones{renamed}"))
    return out


def keep_dropped(b: Document, h: Document) -> list[Change]:
    if _keeps(b) and not _keeps(h):
        return [Change("data-loss", h, f'metadata.annotations["{R.RESOURCE_POLICY}"]',
                       f"{h.ref}: {R.RESOURCE_POLICY}: keep is dropped: a later uninstall, or removing it "
                       "from the chart, now deletes it", "keep", _MISSING)]
    return []


def service_selector(p: Pairing, base: ManifestSet) -> list[Change]:
    out = []
    workloads = [d for d in base if d.kind in _WORKLOAD_KINDS and not _is_hook(d)]
    for b, h in p.pairs:
        if h.kind != "Service" or _is_hook(h):
            continue
        bsel, hsel = _get(b.body, "spec.selector"), _get(h.body, "spec.selector")
        if bsel == hsel or not isinstance(bsel, Mapping) or not bsel:
            continue
        old = [w for w in workloads if selector_matches(bsel, pod_labels(w))]
        if not old:
            continue
        if isinstance(hsel, Mapping) and hsel and any(selector_matches(hsel, pod_labels(w)) for w in old):
            continue
        out.append(Change("service-selector", h, "spec.selector",
                          f"{h.ref}: the new selector no longer selects the pods running before the "
                          f"upgrade ({', '.join(w.ref for w in old)}): the Service has no endpoints "
                          f"until new pods are ready; base {_show(bsel)} → head {_show(hsel)}",
                          bsel, hsel))
    return out


def changes(base: ManifestSet, head: ManifestSet, namespace: str,
            base_generating: frozenset[str] = frozenset()) -> list[Change]:
    """Every upgrade problem of one scenario, before SemVer and acknowledgements."""
    p = pair(base, head, namespace)
    out: list[Change] = []
    for b, h in p.pairs:
        if _is_hook(b) or _is_hook(h):
            out += _hook(b, h)
            continue
        out += compare(b, h)
        out += keep_dropped(b, h)
    out += data_loss(p, base_generating)
    out += service_selector(p, base)
    return out


# --- the stage -------------------------------------------------------------------------
def chart_version(chart: Path) -> str:
    return str((yaml.safe_load((chart / "Chart.yaml").read_text()) or {}).get("version", ""))


class UpgradeStage:
    """Findings of ``helm upgrade`` from the base chart, per scenario."""

    name = NAME

    def __init__(self, head_chart: Path) -> None:
        self.head_chart = head_chart.resolve()
        self.base_chart: Path | None = None
        self.base_label = ""
        self.base_renders: dict[str, Rendered | None] = {}
        self._generating: frozenset[str] = frozenset()

    def set_base(self, chart: Path, label: str, renders: Mapping[str, Rendered | None]) -> None:
        """The base chart and each scenario's base render (``None``: not comparable)."""
        self.base_chart, self.base_label = chart, label
        self.base_renders = dict(renders)
        self._generating = generating_templates(chart)

    @functools.cached_property
    def versions(self) -> tuple[str, str]:
        """(base, head) Chart.yaml versions (read once per run)."""
        assert self.base_chart is not None
        return chart_version(self.base_chart), chart_version(self.head_chart)

    def prepare(self, rendered: Mapping[str, Rendered]) -> None:
        if self.base_chart is None:
            raise ValueError("the upgrade stage needs a base chart: pass --base REF "
                             "(a git ref, a chart directory or a packaged .tgz)")

    def check(self, rendered: Rendered) -> list[Finding]:
        sc = rendered.scenario
        base = self.base_renders.get(sc.name)
        if base is None:
            return [Finding(NAME, "base-render", f"not compared: scenario {sc.name} uses chart "
                            f"{sc.chart}, not the chart the base replaces", severity=Severity.NOTE,
                            scenario=sc.name)]
        if base.manifests is None:
            return [Finding(NAME, "base-render", f"not compared: the base chart ({self.base_label}) "
                            f"does not render this scenario (a scenario for something new?): {base.error}",
                            severity=Severity.NOTE, scenario=sc.name)]
        assert rendered.manifests is not None
        found = changes(base.manifests, rendered.manifests, sc.args.namespace, self._generating)
        return self.judge(sc, found)

    def judge(self, sc: Scenario, found: Sequence[Change]) -> list[Finding]:
        """Apply acknowledgements and the SemVer rule to one scenario's changes."""
        old, new = self.versions
        try:
            major = semver.breaking_bump(old, new)
        except ValueError:
            major = False
        out: list[Finding] = []
        used: set[int] = set()
        for c in found:
            severity, message = (Severity.ERROR, c.message) if c.breaking else (c.severity, c.message)
            ack = next(((i, a) for i, a in enumerate(sc.upgrade_acks)
                        if a.matches(c.rule, c.doc.ref, c.path)), None)
            if ack is not None:
                used.add(ack[0])
                severity = min(severity, Severity.WARNING, key=_rank)
                message += f" — acknowledged in {sc.file.name}: {ack[1].reason}"
            elif c.breaking and major:
                severity = Severity.WARNING
                message += f" — allowed: chart version {old} → {new} is a breaking-change bump"
            elif c.breaking:
                message += (f" — breaking, but chart version {old} → {new} is not a major bump "
                            "(0.x: minor); bump it or acknowledge the finding in the scenario file")
            out.append(Finding(NAME, c.rule, message, severity=severity, scenario=sc.name,
                               object=c.doc.ref, template=c.doc.template, path=c.path,
                               expected=_plain(c.base), actual=_plain(c.head)))
        for i, a in enumerate(sc.upgrade_acks):
            if i not in used:
                what = " ".join(x for x in (a.object, a.path, a.rule) if x)
                out.append(Finding(NAME, "acknowledgement", f"upgrade.acknowledge in {sc.file.name} "
                                   f"matches no finding ({what}): remove it", severity=Severity.WARNING,
                                   scenario=sc.name, object=a.object, path=a.path))
        return out

    def finish(self, scenario_names: Sequence[str]) -> list[Finding]:
        """Run level: the chart changed since the base, so its version must go up."""
        if self.base_chart is None or chart_digest(self.base_chart) == chart_digest(self.head_chart):
            return []
        old, new = self.versions
        try:
            bumped = semver.version_bumped(old, new)
        except ValueError as exc:
            return [Finding(NAME, "semver", f"Chart.yaml version: {exc}",
                            template="Chart.yaml", path="version")]
        if bumped:
            return []
        return [Finding(NAME, "semver", f"the chart changed since {self.base_label}, but Chart.yaml "
                        f"version {new} is not greater than {old}: bump `version`",
                        template="Chart.yaml", path="version", expected=f"> {old}", actual=new)]


def _rank(s: Severity) -> int:
    return {Severity.NOTE: 0, Severity.WARNING: 1, Severity.ERROR: 2}[s]
