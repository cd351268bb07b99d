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
* ``hook-recreated`` (note): Helm deletes and recreates hooks, so their changes apply;
* ``removed-api`` / ``deprecated-api``: a head object's apiVersion/kind is no longer served
  (an error) or deprecated (a warning) in the scenario's ``kubeVersion`` (the pinned
  Kubernetes version when it has none), from :mod:`chartgate.api_lifecycle`.

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
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chartgate import api_lifecycle, semver
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


def semantic(value: Any) -> Any:
    """``value`` as ``apiequality.Semantic.DeepEqual`` sees it: null, empty lists and empty
    maps are the same as an absent field (``_MISSING``)."""
    if isinstance(value, Mapping):
        out = {k: v for k, v in ((k, semantic(v)) for k, v in value.items()) if v is not _MISSING}
        return out or _MISSING
    if isinstance(value, list):
        return [semantic(v) for v in value] or _MISSING
    return _MISSING if value is None else value


def _set_path(body: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    cur = body
    for part in parts[:-1]:
        nxt = cur.get(part)
        if not isinstance(nxt, dict):
            nxt = cur[part] = {}
        cur = nxt
    if value is _MISSING:
        cur.pop(parts[-1], None)
    else:
        cur[parts[-1]] = value


def _image_pull_policy(image: str) -> str:
    """core/v1 SetDefaults_Container: Always for ``:latest`` or no tag, else IfNotPresent."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def pod_template(value: Any) -> Any:
    """A pod template as the API stores it: the defaults of the pod spec and its containers in,
    then :func:`semantic`."""
    if not isinstance(value, Mapping):
        return semantic(value)
    t = json.loads(json.dumps(value, default=str))
    spec = t.get("spec")
    if isinstance(spec, dict):
        t["spec"] = spec = {**R.POD_SPEC_DEFAULTS, **spec}
        for key in ("containers", "initContainers"):
            for i, c in enumerate(spec.get(key) or []):
                if not isinstance(c, dict):
                    continue
                c = {**R.CONTAINER_DEFAULTS, **c}
                c.setdefault("imagePullPolicy", _image_pull_policy(str(c.get("image", ""))))
                c["ports"] = [{"protocol": "TCP", **p} if isinstance(p, dict) else p
                              for p in c.get("ports") or []]
                spec[key][i] = c
    return semantic(t)


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
        if semantic(bv) != semantic(hv):
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
        if semantic(bv) != semantic(hv):
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
    bt, ht = _get(b.body, "spec.template"), _get(h.body, "spec.template")
    suspended = _get(b.body, "spec.suspend") is True
    if suspended and isinstance(bt, Mapping) and isinstance(ht, Mapping):
        # created suspended and never started: the scheduling directives may change
        bt = json.loads(json.dumps(bt, default=str))
        for p in R.JOB_SUSPENDED_MUTABLE:
            _set_path(bt, p, _get(ht, p))
    if pod_template(bt) != pod_template(ht):
        note = ("; the base Job is suspended, so only its scheduling directives (node affinity, "
                "nodeSelector, tolerations, schedulingGates, template labels/annotations) could "
                "change, and only while it has never started") if suspended else ""
        out.append(_immutable(h, "spec.template", "spec.template: Invalid value: field is immutable"
                              + note, _get(b.body, "spec.template"), ht))
    bc, hc = _get(b.body, "spec.completions"), _get(h.body, "spec.completions")
    if bc != hc:
        indexed = _get(h.body, "spec.completionMode") == "Indexed"
        if not indexed:
            out.append(_immutable(h, "spec.completions", R.FIELD_IS_IMMUTABLE, bc, hc))
        elif hc is not _MISSING and hc != _get(h.body, "spec.parallelism"):
            out.append(_immutable(h, "spec.completions", "spec.completions: Invalid value: can only "
                                  "be modified in tandem with spec.parallelism", bc, hc))
    return out


def _svc(doc: Document) -> tuple[str, Any, Any]:
    """(type, clusterIP, clusterIPs) with "" and [] read as unset."""
    t = _get(doc.body, "spec.type")
    cip = _get(doc.body, "spec.clusterIP")
    cips = semantic(_get(doc.body, "spec.clusterIPs"))
    return (t if t not in (_MISSING, None, "") else "ClusterIP",
            cip if cip not in ("", None) else _MISSING, cips)


def _service(b: Document, h: Document) -> list[Change]:
    """ValidateServiceUpdate after the registry's fix-ups: a clusterIP the head leaves out keeps
    the allocated one; on the way to ExternalName, cluster IPs and IP families equal to the old
    ones are dropped; from or to ExternalName, nothing about cluster IPs is compared."""
    out: list[Change] = []
    btype, bip, bips = _svc(b)
    htype, hip, hips = _svc(h)
    where = f"{h.api_version} {h.kind}"
    if htype == "ExternalName":
        checks = [("spec.clusterIP", bip, hip, R.SERVICE_EXTERNALNAME_MESSAGE),
                  ("spec.clusterIPs", bips, hips, R.SERVICE_EXTERNALNAME_MESSAGE),
                  *((p, semantic(_get(b.body, p)), semantic(_get(h.body, p)), m)
                    for p, m in R.SERVICE_EXTERNALNAME_FAMILY_MESSAGES.items())]
        for p, bv, hv, msg in checks:
            # kept as it was (or left out): the registry drops it; a new value is refused
            if hv is not _MISSING and (btype == "ExternalName" or hv != bv):
                out.append(Change("immutable-field", h, p, f"{where}: type {btype} → ExternalName "
                                  f"with {p} {_show(hv)} ({msg}); leave it out", bv, hv))
        return out
    if btype == "ExternalName":
        return out  # the API allocates cluster IPs on the way out of ExternalName
    for p, bv, hv in (("spec.clusterIP", bip, hip), ("spec.clusterIPs", bips, hips)):
        if semantic(bv) == semantic(hv):
            continue
        if hv is _MISSING:  # patchAllocatedValues: the API keeps the old value
            out.append(Change("immutable-field", h, p,
                              f"{where}: head no longer sets {p}; the API keeps the allocated value "
                              f"{_show(bv)} (for \"None\": the Service stays headless)",
                              bv, hv, breaking=False, severity=Severity.WARNING))
            continue
        first_b = (bv[0] if isinstance(bv, list) else bv) if bv is not _MISSING else _MISSING
        first_h = hv[0] if isinstance(hv, list) else hv
        if p == "spec.clusterIPs" and first_b == first_h:
            continue  # a secondary IP added or released: allowed (dual-stack upgrade/downgrade)
        if p == "spec.clusterIPs" and hip is not _MISSING:
            continue  # reported once, for spec.clusterIP
        allocated = "; base let the API allocate one, which head's value replaces" if bv is _MISSING else ""
        out.append(Change("immutable-field", h, p, f"{where}: {p} is immutable "
                          f"({R.SERVICE_CLUSTER_IP_MESSAGE}){allocated}; base {_show(bv)} → head {_show(hv)}",
                          bv, hv))
    headless = "None" in (bip, hip)
    bf, hf = _get(b.body, "spec.ipFamilies"), _get(h.body, "spec.ipFamilies")
    if not headless and isinstance(bf, list) and isinstance(hf, list) and bf and hf and bf[0] != hf[0]:
        out.append(Change("immutable-field", h, "spec.ipFamilies[0]",
                          f"{where}: spec.ipFamilies[0] is immutable ({R.SERVICE_IP_FAMILY_MESSAGE}); "
                          f"base {_show(bf[0])} → head {_show(hf[0])}", bf[0], hf[0]))
    if btype == htype == "LoadBalancer":
        bc, hc = _get(b.body, "spec.loadBalancerClass"), _get(h.body, "spec.loadBalancerClass")
        if semantic(bc) != semantic(hc):
            out.append(_immutable(h, "spec.loadBalancerClass", R.SERVICE_LB_CLASS_MESSAGE, bc, hc))
        local = all(_get(d.body, "spec.externalTrafficPolicy") == "Local" for d in (b, h))
        bp, hp = _get(b.body, "spec.healthCheckNodePort"), _get(h.body, "spec.healthCheckNodePort")
        if local and hp not in (_MISSING, 0, None) and hp != bp:
            out.append(_immutable(h, "spec.healthCheckNodePort", R.SERVICE_HC_NODE_PORT_MESSAGE, bp, hp))
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
    where = f"{h.api_version} {h.kind}"

    def strip(spec: Mapping[str, Any]) -> dict[str, Any]:
        s = {k: v for k, v in spec.items() if k != "volumeAttributesClassName"}
        res = json.loads(json.dumps(s.get("resources") or {}, default=str))
        if isinstance(res.get("requests"), dict):
            res["requests"].pop("storage", None)  # only the storage request may change
        s["resources"] = res
        return s

    bstrip, hstrip = strip(bs), strip(hs)
    for field, what in (("storageClassName", "the cluster's default class (if any) was filled in"),
                        ("volumeName", "the claim is bound to a volume the controller chose")):
        if field not in bs and field in hs:
            bstrip.pop(field, None)
            hstrip.pop(field, None)
            out.append(Change("immutable-field", h, f"spec.{field}",
                              f"{where}: base left spec.{field} unset and {what}; head sets "
                              f"{_show(hs[field])}: the API refuses this unless it equals what the claim "
                              f"already has ({R.PVC_MESSAGE})",
                              _MISSING, hs[field], breaking=False, severity=Severity.WARNING))
    for leaf in leaf_diffs(semantic(bstrip), semantic(hstrip), "spec"):
        out.append(Change("immutable-field", h, leaf,
                          f"{where}: {leaf} changed ({R.PVC_MESSAGE}); "
                          f"base {_show(_get(b.body, leaf))} → head {_show(_get(h.body, leaf))}",
                          _get(b.body, leaf), _get(h.body, leaf)))
    path = "spec.resources.requests.storage"
    bq, hq = _get(b.body, path), _get(h.body, path)
    if bq != hq and bq is not _MISSING and hq is not _MISSING:
        bn, hn = quantity(bq), quantity(hq)
        if bn is not None and hn is not None and hn < bn:
            out.append(Change("immutable-field", h, path, f"{where}: storage request shrinks {bq} → {hq}, "
                              f"below the capacity the claim was bound with ({R.PVC_SHRINK_MESSAGE})",
                              bq, hq))
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
            out.append(_immutable(h, "immutable", f"immutable: {R.IMMUTABLE_DATA_MESSAGE}", True,
                                  _get(h.body, "immutable")))
        if h.kind == "Secret":
            pairs = [("data", _secret_data(b), _secret_data(h))]
        else:
            pairs = [(p, b.body.get(p) or {}, h.body.get(p) or {}) for p in ("data", "binaryData")]
        for p, bv, hv in pairs:
            for leaf in leaf_diffs(bv, hv, p):
                out.append(Change("immutable-field", h, leaf,
                                  f"{h.api_version} {h.kind}: {leaf} is immutable "
                                  f"({p}: {R.IMMUTABLE_DATA_MESSAGE}); the key's value changed, was added or "
                                  "removed (values not shown: they may be secret)"))
    if h.kind == "Secret":
        bt, ht = b.body.get("type", "Opaque"), h.body.get("type", "Opaque")
        if bt != ht:
            out.append(_immutable(h, "type", f"type: Invalid value: {R.FIELD_IS_IMMUTABLE}", bt, ht))
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


def api_changes(head: ManifestSet, kube_version: str) -> list[Change]:
    """Head objects whose apiVersion/kind that Kubernetes version removed or deprecated."""
    out = []
    for d in head:
        found = api_lifecycle.status(d.api_version, d.kind, kube_version)
        if found is None:
            continue
        what, row = found
        if what == "removed":
            out.append(Change("removed-api", d, "apiVersion",
                              f"{d.api_version} {d.kind} is no longer served as of Kubernetes v{row.removed} "
                              f"(the scenario targets {kube_version}): helm upgrade fails with \"no matches "
                              f"for kind\"; use {row.replacement}",
                              breaking=False, severity=Severity.ERROR))
        else:
            until = f", removed in v{row.removed}" if row.removed else ""
            out.append(Change("deprecated-api", d, "apiVersion",
                              f"{d.api_version} {d.kind} is deprecated since Kubernetes v{row.deprecated}"
                              f"{until} (the scenario targets {kube_version}); use {row.replacement}",
                              breaking=False, severity=Severity.WARNING))
    return out


@functools.cache
def pinned_kubernetes() -> str:
    """The Kubernetes version of ``versions.toml`` (for scenarios without ``kubeVersion``)."""
    from chartgate.tools import versions

    return str(versions.load()["tools"]["kubernetes"]["version"])


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
        self.base_renders: dict[str, Rendered | Future[Rendered] | None] = {}
        self._generating: frozenset[str] = frozenset()

    def set_base(self, chart: Path, label: str,
                 renders: Mapping[str, Rendered | Future[Rendered] | None]) -> None:
        """The base chart and each scenario's base render, or its render still in progress
        (``None``: not comparable)."""
        self.base_chart, self.base_label = chart, label
        self.base_renders = dict(renders)
        self._generating = generating_templates(chart)

    def base_render(self, scenario: str) -> Rendered | None:
        found = self.base_renders.get(scenario)
        return found.result() if isinstance(found, Future) else found

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
        assert rendered.manifests is not None
        found = api_changes(rendered.manifests, sc.args.kube_version or pinned_kubernetes())
        base = self.base_render(sc.name)
        if base is None:
            return [Finding(NAME, "base-render", f"not compared: scenario {sc.name} uses chart "
                            f"{sc.chart}, not the chart the base replaces", severity=Severity.NOTE,
                            scenario=sc.name), *self.judge(sc, found)]
        if base.manifests is None:
            return [Finding(NAME, "base-render", f"not compared: the base chart ({self.base_label}) "
                            f"does not render this scenario (a scenario for something new?): {base.error}",
                            severity=Severity.NOTE, scenario=sc.name), *self.judge(sc, found)]
        found += changes(base.manifests, rendered.manifests, sc.args.namespace, self._generating)
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
