"""The rendered-set model: parsed documents with their source template, and queries.

Every stage (assertions, Kubernetes schema, policy, snapshots) reads a
:class:`ManifestSet`; none of them parses YAML again.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from chartgate.util.yamlload import SafeLoader

_SOURCE = re.compile(r"^# Source: (.+)$", re.MULTILINE)
DOCUMENT_SEPARATOR = re.compile(r"^---[ \t]*$", re.MULTILINE)
_MISSING = object()


class PathError(KeyError):
    """A path does not resolve in a document."""


@dataclass(frozen=True)
class Document:
    """One rendered Kubernetes object and where it came from."""

    body: Mapping[str, Any]
    source: str = ""  # template path from helm's "# Source:" comment, e.g. clockwork/templates/x.yaml
    index: int = 0  # position in the rendered stream

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.body.get("apiVersion", ""))

    @property
    def metadata(self) -> Mapping[str, Any]:
        return self.body.get("metadata") or {}

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", ""))

    @property
    def namespace(self) -> str:
        return str(self.metadata.get("namespace", "") or "")

    @property
    def labels(self) -> Mapping[str, str]:
        return self.metadata.get("labels") or {}

    @property
    def annotations(self) -> Mapping[str, str]:
        return self.metadata.get("annotations") or {}

    @property
    def ref(self) -> str:
        """``Kind/name``: how findings name this object."""
        return f"{self.kind}/{self.name}"

    @property
    def template(self) -> str:
        """The chart-relative template file (``templates/deployment.yaml``)."""
        return self.source.split("/", 1)[1] if "/" in self.source else self.source

    def get(self, path: str, default: Any = _MISSING) -> Any:
        """Value at a dotted path (``spec.template.spec.containers[0].image``;
        ``metadata.labels["app.kubernetes.io/name"]``; ``containers[name=server]``)."""
        try:
            return resolve(self.body, path)
        except PathError:
            if default is _MISSING:
                raise
            return default

    def has(self, path: str) -> bool:
        try:
            resolve(self.body, path)
        except PathError:
            return False
        return True

    def describe(self) -> str:
        where = f" (from {self.template})" if self.source else ""
        return f"{self.ref}{where}"


# --- paths -----------------------------------------------------------------------------
_TOKEN = re.compile(r"""
    \.?(?P<key>[^.\[\]]+)          # plain key
  | \[(?P<idx>-?\d+)\]             # [0]
  | \[(?P<q>"[^"]*"|'[^']*')\]     # ["a.b/c"]
  | \[(?P<fk>[^=\]]+)=(?P<fv>[^\]]*)\]  # [name=server]
""", re.VERBOSE)


def parse_path(path: str) -> list[Any]:
    """Split a path into keys (str), indexes (int) and selectors ((field, value))."""
    if path in ("", "."):
        return []
    parts: list[Any] = []
    pos = 0
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if not m or m.end() == pos:
            raise PathError(f"bad path {path!r} at offset {pos}")
        if m.group("key") is not None:
            parts.append(m.group("key"))
        elif m.group("idx") is not None:
            parts.append(int(m.group("idx")))
        elif m.group("q") is not None:
            parts.append(m.group("q")[1:-1])
        else:
            parts.append((m.group("fk").strip(), m.group("fv").strip().strip("'\"")))
        pos = m.end()
    return parts


def format_path(parts: Iterable[Any]) -> str:
    """The inverse of :func:`parse_path` for keys and indexes (JSON-schema error paths)."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif re.fullmatch(r"[A-Za-z0-9_-]+", str(p)):
            out += f".{p}" if out else str(p)
        else:
            out += f'["{p}"]'
    return out


def resolve(obj: Any, path: str) -> Any:
    cur = obj
    walked = ""
    for part in parse_path(path):
        if isinstance(part, int):
            if not isinstance(cur, list) or not -len(cur) <= part < len(cur):
                raise PathError(f"{walked or '.'}: no index [{part}]")
            cur = cur[part]
            walked += f"[{part}]"
        elif isinstance(part, tuple):
            key, want = part
            if not isinstance(cur, list):
                raise PathError(f"{walked or '.'}: not a list, cannot select [{key}={want}]")
            hits = [x for x in cur if isinstance(x, dict) and str(x.get(key)) == want]
            if not hits:
                raise PathError(f"{walked or '.'}: no item with {key}={want}")
            cur = hits[0]
            walked += f"[{key}={want}]"
        else:
            if not isinstance(cur, dict) or part not in cur:
                raise PathError(f"{walked or '.'}: no key {part!r}")
            cur = cur[part]
            walked += f".{part}" if walked else part
    return cur


# --- label selectors -------------------------------------------------------------------
def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Kubernetes LabelSelector semantics (matchLabels + matchExpressions), or a plain map."""
    if not selector:
        return False
    match_labels = selector.get("matchLabels")
    exprs = selector.get("matchExpressions")
    if match_labels is None and exprs is None:
        match_labels = selector  # Service-style plain map
    for k, v in (match_labels or {}).items():
        if labels.get(k) != v:
            return False
    for e in exprs or []:
        key, op, values = e.get("key"), e.get("operator"), e.get("values") or []
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


POD_TEMPLATE_PATHS = {
    "Pod": "spec",
    "Deployment": "spec.template.spec",
    "StatefulSet": "spec.template.spec",
    "DaemonSet": "spec.template.spec",
    "ReplicaSet": "spec.template.spec",
    "Job": "spec.template.spec",
    "CronJob": "spec.jobTemplate.spec.template.spec",
}


@dataclass(frozen=True)
class ManifestSet:
    """All documents one scenario rendered, in order."""

    documents: tuple[Document, ...] = ()
    notes: str = ""
    raw: str = field(default="", repr=False)

    def __iter__(self) -> Iterator[Document]:
        return iter(self.documents)

    def __len__(self) -> int:
        return len(self.documents)

    def kinds(self) -> list[str]:
        return [d.kind for d in self.documents]

    def refs(self) -> list[str]:
        return [d.ref for d in self.documents]

    def by_kind(self, kind: str) -> list[Document]:
        return [d for d in self.documents if d.kind == kind]

    def find(self, kind: str | None = None, name: str | None = None,
             template: str | None = None, api_version: str | None = None) -> list[Document]:
        """Documents matching every given criterion (``template`` matches the file name suffix)."""
        return [d for d in self.documents
                if (kind is None or d.kind == kind)
                and (name is None or d.name == name)
                and (api_version is None or d.api_version == api_version)
                and (template is None or d.source.endswith(template))]

    def get(self, kind: str, name: str) -> Document:
        hits = self.find(kind, name)
        if not hits:
            raise KeyError(f"no {kind}/{name} rendered; have: {', '.join(self.refs()) or 'nothing'}")
        return hits[0]

    def select(self, selector: Mapping[str, Any], kinds: Iterable[str] | None = None) -> list[Document]:
        """Documents whose labels a selector matches (for pod-bearing kinds, the pod template's)."""
        wanted = set(kinds) if kinds else None
        out = []
        for d in self.documents:
            if wanted is not None and d.kind not in wanted:
                continue
            if selector_matches(selector, pod_labels(d) if d.kind in POD_TEMPLATE_PATHS else d.labels):
                out.append(d)
        return out


def pod_labels(doc: Document) -> Mapping[str, str]:
    path = POD_TEMPLATE_PATHS.get(doc.kind)
    if path is None:
        return doc.labels
    if doc.kind == "Pod":
        return doc.labels
    meta_path = path.rsplit(".spec", 1)[0] + ".metadata.labels"
    return doc.get(meta_path, {}) or {}


DuplicateKey = tuple[str, int]  # (path of the repeated key, its line in the document)


@dataclass(frozen=True)
class ParsedDocument:
    """One document's text parsed once: its data and the keys YAML silently dropped."""

    body: Any
    duplicates: tuple[DuplicateKey, ...] | None  # None: the document is not a mapping


_PARSED: dict[str, ParsedDocument] = {}  # document text -> parsed, shared by identical documents
_PARSED_MAX = 20_000
_PARSED_LOCK = threading.Lock()


def _walk_duplicates(node: yaml.Node, parts: list[Any], out: list[DuplicateKey]) -> None:
    """Append every repeated key under ``node`` (``parts``: its path, restored on return)."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    out.append((format_path([*parts, key.value]), key.start_mark.line + 1))
                seen.add(key.value)
                if not isinstance(value, yaml.ScalarNode):  # most values: nothing below
                    parts.append(key.value)
                    _walk_duplicates(value, parts, out)
                    parts.pop()
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            if not isinstance(item, yaml.ScalarNode):
                parts.append(i)
                _walk_duplicates(item, parts, out)
                parts.pop()


def parse_document(chunk: str) -> ParsedDocument:
    """One YAML document, composed once by libyaml: the node tree gives the repeated mapping
    keys (``spec.replicas`` twice: the first value is lost), then the same tree is
    constructed into data, as ``yaml.load`` would. A text this process already parsed (the
    same ServiceAccount in every scenario of a matrix) is not parsed again."""
    parsed = _PARSED.get(chunk)
    if parsed is not None:
        return parsed
    loader = SafeLoader(chunk)
    try:
        node = loader.get_single_node()
        found: list[DuplicateKey] | None = None
        if isinstance(node, yaml.MappingNode):
            found = []
            _walk_duplicates(node, [], found)  # before constructing: merge keys rewrite the tree
        body = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    parsed = ParsedDocument(body, None if found is None else tuple(found))
    with _PARSED_LOCK:
        if len(_PARSED) > _PARSED_MAX:
            _PARSED.clear()
        _PARSED[chunk] = parsed
    return parsed


def parse(text: str, notes: str = "") -> ManifestSet:
    """Parse ``helm template`` output into a :class:`ManifestSet` (one YAML parse per doc).

    Identical documents share one body (:func:`parse_document`). Bodies are read-only for
    every stage (copy before changing one, as the snapshot stage does)."""
    docs: list[Document] = []
    for chunk in DOCUMENT_SEPARATOR.split(text):
        if not chunk.strip():
            continue
        body = parse_document(chunk).body
        if not isinstance(body, dict):
            continue
        m = _SOURCE.search(chunk)
        docs.append(Document(body=body, source=m.group(1).strip() if m else "", index=len(docs)))
    return ManifestSet(documents=tuple(docs), notes=notes, raw=text)


def duplicate_keys(text: str) -> list[tuple[int, str, int]]:
    """``(document index, path, line in that document)`` of every repeated mapping key in
    ``helm template`` output; indexes match :func:`parse` (documents it parsed are not
    parsed again)."""
    out: list[tuple[int, str, int]] = []
    index = 0
    for chunk in DOCUMENT_SEPARATOR.split(text):
        if not chunk.strip():
            continue
        found = parse_document(chunk).duplicates
        if found is None:
            continue
        out.extend((index, path, line) for path, line in found)
        index += 1
    return out
