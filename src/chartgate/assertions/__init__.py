"""Assertions on rendered manifests: the scenario-file vocabulary and a Python API.

Scenario files::

    expect:
      assertions:
        - equal: {path: spec.replicas, value: 2}
          select: {kind: Deployment, name: clockwork-server}
        - matchRegex: {path: spec.template.spec.containers[0].image, pattern: ":1\\."}
          not: true

Python tests::

    from chartgate.assertions import expect
    expect(manifests).doc("Deployment", "clockwork-server").equal("spec.replicas", 2)
    expect(manifests).kind("Secret").not_.exists("stringData")
    expect(manifests).has_documents(5)

A failure raises :class:`AssertionError` whose text is the same as the finding the
assertions stage reports (document Kind/name and template file, path, expected, actual).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from chartgate.assertions.common import MISSING, AssertionArgsError, Check, Failure, Validator
from chartgate.assertions.registry import ELSEWHERE, REGISTRY, get
from chartgate.manifests import ManifestSet, parse
from chartgate.scenario import AssertionSpec, Selector

__all__ = [
    "ELSEWHERE",
    "MISSING",
    "REGISTRY",
    "AssertionArgsError",
    "Check",
    "Expectation",
    "Failure",
    "Validator",
    "evaluate",
    "evaluate_all",
    "expect",
]


def evaluate(spec: AssertionSpec, manifests: ManifestSet) -> list[Failure]:
    """Failures of one scenario assertion (empty = passed). Raises
    :class:`AssertionArgsError` for an unknown type or bad arguments."""
    return get(spec.type).run(manifests, spec.args, spec.select, spec.negate)


def evaluate_all(specs: Iterable[AssertionSpec], manifests: ManifestSet) -> list[Failure]:
    out: list[Failure] = []
    for spec in specs:
        out.extend(evaluate(spec, manifests))
    return out


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name.replace("API", "Api")).lower()


class Expectation:
    """Fluent assertions over a :class:`ManifestSet`. Narrow with :meth:`doc`,
    :meth:`kind` or :meth:`select`; negate the next assertion with :attr:`not_`; call any
    assertion type by its scenario name (``equal``) or snake_case name (``not_equal``).
    Positional arguments follow helm-unittest order (``path`` first, then ``value`` /
    ``pattern`` / ``content`` / ``count``); keywords may name any argument."""

    def __init__(self, manifests: ManifestSet, selector: Selector | None = None,
                 negate: bool = False) -> None:
        self.manifests = manifests
        self.selector = selector or Selector()
        self.negate = negate

    def select(self, kind: str | None = None, name: str | None = None, template: str | None = None,
               api_version: str | None = None) -> Expectation:
        s = self.selector
        return Expectation(self.manifests, Selector(kind=kind or s.kind, name=name or s.name,
                                                    template=template or s.template,
                                                    api_version=api_version or s.api_version))

    def doc(self, kind: str, name: str | None = None) -> Expectation:
        """The document(s) of ``kind`` (and ``name``); fails later if none rendered."""
        return self.select(kind=kind, name=name)

    def kind(self, kind: str) -> Expectation:
        return self.select(kind=kind)

    @property
    def not_(self) -> Expectation:
        return Expectation(self.manifests, self.selector, negate=not self.negate)

    def check(self, type_name: str, *positional: Any, **kwargs: Any) -> Expectation:
        """Run assertion ``type_name``; raise :class:`AssertionError` on failure."""
        validator = get(type_name if type_name in REGISTRY else _ALIASES.get(type_name, type_name))
        if len(positional) > len(validator.params):
            raise AssertionArgsError(f"{validator.name} takes at most {len(validator.params)} "
                                     f"positional arguments ({', '.join(validator.params)})")
        args = dict(zip(validator.params, positional, strict=False))
        args.update(kwargs)
        failures = validator.run(self.manifests, args, self.selector, self.negate)
        if failures:
            raise AssertionError("\n".join(f.to_finding().render() for f in failures))
        return _un_negated(self)

    def __getattr__(self, name: str) -> Callable[..., Expectation]:
        if name.startswith("__") or (name not in REGISTRY and name not in _ALIASES):
            raise AttributeError(name)

        def call(*positional: Any, **kwargs: Any) -> Expectation:
            return self.check(name, *positional, **kwargs)

        return call


def _un_negated(e: Expectation) -> Expectation:
    """After an assertion the chain continues un-negated on the same selection."""
    return Expectation(e.manifests, e.selector) if e.negate else e


_ALIASES: dict[str, str] = {_snake(n): n for n in REGISTRY if _snake(n) != n}


def expect(manifests: ManifestSet | Any) -> Expectation:
    """Start a fluent assertion chain on rendered manifests: a :class:`ManifestSet`, a
    :class:`~chartgate.render.Rendered` (its render must have succeeded) or raw
    ``helm template`` output."""
    if isinstance(manifests, str):
        manifests = parse(manifests)
    elif not isinstance(manifests, ManifestSet) and hasattr(manifests, "manifests"):
        if manifests.manifests is None:
            raise AssertionError(f"the chart did not render: {getattr(manifests, 'error', '')}")
        manifests = manifests.manifests
    if not isinstance(manifests, ManifestSet):
        raise TypeError(f"expect() needs manifests, got {type(manifests).__name__}")
    return Expectation(manifests)

