"""What every assertion shares: document selection, path lookup, the check/failure model
and the failure text (document Kind/name + template file, path, expected vs actual).

An assertion module only writes the comparison; this module turns it into failures.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chartgate.manifests import Document, ManifestSet, PathError, parse_path, resolve
from chartgate.report.model import Finding
from chartgate.scenario import Selector


class _Missing:
    """The value at a path that does not exist (distinct from an explicit ``null``)."""

    def __repr__(self) -> str:
        return "<missing>"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


class AssertionArgsError(ValueError):
    """An assertion was written wrongly (unknown type, missing argument, bad regex)."""


@dataclass(frozen=True)
class Check:
    """The outcome of one assertion on one document (or on the selected set).

    ``error`` is a failure that negation does not turn into a pass (path missing where a
    value is needed, a value of the wrong type, a bad pattern)."""

    ok: bool
    path: str = ""
    expected: Any = None
    actual: Any = None
    error: str = ""


@dataclass(frozen=True)
class Failure:
    """One failed assertion on one document, with everything a human needs to fix it."""

    rule: str
    message: str  # one line, e.g. "expected 2, got 3"
    document: Document | None = None
    path: str = ""
    expected: Any = None
    actual: Any = None
    negate: bool = False  # the comparison was inverted (``not: true`` or a ``notX`` type)
    title: str = ""  # how the scenario wrote it: "equal", "not equal", "notEqual"

    @property
    def object(self) -> str:
        return self.document.ref if self.document else ""

    @property
    def template(self) -> str:
        return self.document.template if self.document else ""

    def to_finding(self, scenario: str = "") -> Finding:
        """This failure as a report finding (``stage="assertions"``, ``rule`` = the type)."""
        return Finding(stage="assertions", rule=self.rule, message=self.message, scenario=scenario,
                       object=self.object, template=self.template, path=self.path,
                       expected=self.expected, actual=self.actual)


def fmt(value: Any) -> str:
    if value is MISSING:
        return "<missing>"
    return repr(value)


# --- lookup ------------------------------------------------------------------------------
def lookup(doc: Document, path: str) -> Any:
    """Value at ``path`` in ``doc`` or :data:`MISSING` (a malformed path raises)."""
    try:
        parse_path(path)
    except PathError as exc:
        raise AssertionArgsError(str(exc)) from exc
    try:
        return resolve(doc.body, path)
    except PathError:
        return MISSING


def why_missing(doc: Document, path: str) -> str:
    try:
        resolve(doc.body, path)
    except PathError as exc:
        return str(exc.args[0])
    return ""


def missing(doc: Document, path: str, expected: Any = None) -> Check:
    """A check that fails because ``path`` does not resolve (negation does not help)."""
    return Check(ok=False, path=path, expected=expected, actual=MISSING,
                 error=f"path not found ({why_missing(doc, path)})")


def typed_value(doc: Document, path: str, expected: Any, kind: Any, noun: str) -> Any:
    """The value at ``path`` if it is a ``kind`` (a type or a union, for ``isinstance``);
    otherwise the failing :class:`Check` to return: the path does not resolve, or
    "value is a str, ``noun``" (e.g. ``noun="not a list"``)."""
    actual = lookup(doc, path)
    if actual is MISSING:
        return missing(doc, path, expected)
    if not isinstance(actual, kind):
        return Check(ok=False, path=path, expected=expected, actual=actual,
                     error=f"value is a {type(actual).__name__}, {noun}")
    return actual


def require(args: Mapping[str, Any], *names: str, rule: str = "") -> list[Any]:
    out = []
    for n in names:
        if n not in args:
            raise AssertionArgsError(f"{rule or 'assertion'}: missing argument {n!r} (got {sorted(args)})")
        out.append(args[n])
    return out


def path_arg(args: Mapping[str, Any], rule: str) -> str:
    """``path`` for path-only assertions, which also accept the shorthand ``exists: a.b``."""
    path = args.get("path", args.get("value"))
    if not isinstance(path, str):
        raise AssertionArgsError(f"{rule}: missing argument 'path' (got {sorted(args)})")
    return path


def compile_pattern(pattern: Any, rule: str) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise AssertionArgsError(f"{rule}: pattern must be a string, got {pattern!r}")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise AssertionArgsError(f"{rule}: bad regex {pattern!r}: {exc}") from exc


def is_subset(part: Any, whole: Any) -> bool:
    """``part`` is contained in ``whole``: maps recursively, lists element-wise as subsets."""
    if isinstance(part, Mapping) and isinstance(whole, Mapping):
        return all(k in whole and is_subset(v, whole[k]) for k, v in part.items())
    if isinstance(part, list) and isinstance(whole, list):
        return all(any(is_subset(p, w) for w in whole) for p in part)
    return bool(part == whole)


# --- selection ---------------------------------------------------------------------------
def select(manifests: ManifestSet, selector: Selector | None) -> list[Document]:
    s = selector or Selector()
    return manifests.find(kind=s.kind, name=s.name, template=s.template, api_version=s.api_version)


def describe_selector(selector: Selector | None) -> str:
    s = selector or Selector()
    parts = [f"{k}={v}" for k, v in (("kind", s.kind), ("name", s.name), ("template", s.template),
                                     ("apiVersion", s.api_version)) if v]
    return "{" + ", ".join(parts) + "}" if parts else "all documents"


# --- validators --------------------------------------------------------------------------
DocCheck = Callable[[Document, Mapping[str, Any]], Check]
SetCheck = Callable[[Sequence[Document], Mapping[str, Any]], Check]


@dataclass(frozen=True)
class Validator:
    """An assertion type. ``doc_check`` runs on every selected document (all must pass);
    ``set_check`` runs once on the selected documents (``hasDocuments``).

    ``params`` are the argument names in the order the Python API takes them
    positionally; ``inverse`` marks a ``notX`` type that is ``X`` negated."""

    name: str
    params: tuple[str, ...]
    doc_check: DocCheck | None = None
    set_check: SetCheck | None = None
    inverse: bool = False
    summary: Callable[[Check, bool], str] | None = field(default=None, repr=False)

    def run(self, manifests: ManifestSet, args: Mapping[str, Any], selector: Selector | None = None,
            negate: bool = False) -> list[Failure]:
        """Failures of this assertion on ``manifests`` (empty = passed)."""
        title = f"not {self.name}" if negate else self.name
        negate = negate != self.inverse
        docs = select(manifests, selector)
        if self.set_check is not None:
            return self._judge(self.set_check(docs, args), None, negate, title)
        if not docs:
            by_file = bool(selector and selector.template)  # then show where candidates came from
            near = manifests.find(kind=selector.kind) if selector and selector.kind else []
            shown = near if by_file and near else manifests.documents
            have = ", ".join(d.describe() if by_file else d.ref for d in shown) or "nothing"
            return [Failure(rule=self.name, title=title,
                            message=f"no document matches {describe_selector(selector)} (rendered: {have})")]
        assert self.doc_check is not None
        out: list[Failure] = []
        for doc in docs:
            out.extend(self._judge(self.doc_check(doc, args), doc, negate, title))
        return out

    def _judge(self, check: Check, doc: Document | None, negate: bool, title: str) -> list[Failure]:
        if check.error:
            return [Failure(rule=self.name, message=check.error, document=doc, path=check.path,
                            expected=check.expected, actual=check.actual, negate=negate, title=title)]
        if check.ok != negate:
            return []
        message = self.summary(check, negate) if self.summary else _default_summary(check, negate)
        return [Failure(rule=self.name, message=message, document=doc, path=check.path,
                        expected=check.expected, actual=check.actual, negate=negate, title=title)]


def _default_summary(check: Check, negate: bool) -> str:
    if negate:
        return f"expected anything but {fmt(check.expected)}, got it"
    return f"expected {fmt(check.expected)}, got {fmt(check.actual)}"
