"""Assertion type name → :class:`Validator`. Adding an assertion = adding one module and
one line here."""

from __future__ import annotations

from chartgate.assertions import (
    contains,
    equal,
    exists,
    greater_or_equal,
    has_documents,
    is_api_version,
    is_empty,
    is_kind,
    is_not_empty,
    is_not_null,
    is_not_subset,
    is_null,
    is_subset,
    is_type,
    length_equal,
    less_or_equal,
    match_regex,
    not_contains,
    not_equal,
    not_exists,
    not_match_regex,
)
from chartgate.assertions.common import AssertionArgsError, Validator

_MODULES = (
    equal, not_equal, match_regex, not_match_regex, contains, not_contains, exists, not_exists,
    is_kind, is_api_version, has_documents, length_equal, is_subset, is_not_subset, is_null,
    is_not_null, is_empty, is_not_empty, is_type, greater_or_equal, less_or_equal,
)

REGISTRY: dict[str, Validator] = {m.VALIDATOR.name: m.VALIDATOR for m in _MODULES}

# Types that are valid in a scenario file but judged by another stage.
ELSEWHERE = {
    "failedTemplate": "render",  # evaluated on the render error (chartgate.assertions.failed_template)
    "matchSnapshot": "snapshot",
}


def get(name: str) -> Validator:
    try:
        return REGISTRY[name]
    except KeyError:
        raise AssertionArgsError(
            f"unknown assertion type {name!r}; known: {', '.join(sorted(REGISTRY))}") from None
