"""Every file in tests/unit/invalid_values/ must be rejected by `helm template`, with an
error that matches the pattern on its first line (`# error: <regex>`) — i.e. names the
offending key. These are the chart's negative values fixtures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "invalid_values"
FILES = sorted(FIXTURES.glob("*.yaml"))


def _pattern(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    m = re.fullmatch(r"#\s*error:\s*(.+)", first.strip())
    assert m, f"{path.name}: first line must be `# error: <regex>`, got {first!r}"
    return m.group(1)


def test_there_are_enough_fixtures() -> None:
    assert len(FILES) >= 40, f"only {len(FILES)} invalid values fixtures in {FIXTURES}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_invalid_values_are_rejected(path: Path, render_chart) -> None:
    pattern = _pattern(path)
    result = render_chart(values=[str(path)], name=f"invalid-{path.stem}")
    assert result.error is not None, f"{path.name}: helm template accepted these values"
    assert re.search(pattern, result.error), (
        f"{path.name}: helm's error does not match /{pattern}/:\n{result.error}")
