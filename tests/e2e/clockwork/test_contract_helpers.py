"""The clockwork scenarios' own helpers, without a cluster: goose's version table read
and judged, and the real-image mode's settings check."""

from __future__ import annotations

import pytest
from contract import assert_migrated_once, goose_versions
from double import RealImages


def test_goose_versions_and_applied_once() -> None:
    versions = goose_versions(lambda sql: "0|1\n1|1\n2|1\n")
    assert versions == {0: 1, 1: 1, 2: 1}
    assert_migrated_once(versions, "db", at_least=2, before={0: 1, 1: 1})
    with pytest.raises(AssertionError, match="more than once"):
        assert_migrated_once({0: 1, 1: 2}, "db")
    with pytest.raises(AssertionError, match="no longer recorded"):
        assert_migrated_once({0: 1, 1: 1}, "db", before={0: 1, 1: 1, 2: 1})
    with pytest.raises(AssertionError, match="want >= 2"):
        assert_migrated_once({0: 1, 1: 1}, "db", at_least=2)


def test_real_image_mode_needs_a_second_different_image() -> None:
    assert RealImages(None, None).problem() is None
    assert "needs CLOCKWORK_E2E_IMAGE_NEXT" in (RealImages("srv:1", None).problem() or "")
    assert "rolls nothing" in (RealImages("srv:1", "srv:1").problem() or "")
    assert RealImages("srv:1", "srv:2").problem() is None
