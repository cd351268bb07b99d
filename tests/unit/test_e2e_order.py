"""chartgate.e2e.fixtures' collection order: files marked ``e2e_seconds(N)`` come first,
longest first, each file's tests together and in their order; unmarked files keep their
order after them — what pytest-xdist's ``--dist loadfile --no-loadscope-reorder`` then hands
out to the workers. Runs an inner pytest session (pytester) with the plugin loaded the
documented way."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

CONFTEST = 'pytest_plugins = ["chartgate.e2e.fixtures"]\n'


def _module(seconds: float | None, *tests: str) -> str:
    mark = f"pytestmark = pytest.mark.e2e_seconds({seconds})\n" if seconds is not None else ""
    return "import pytest\n" + mark + "".join(f"\ndef test_{t}():\n    pass\n" for t in tests)


def test_marked_files_first_longest_first(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_a_short=_module(10, "one", "two"), test_b_plain=_module(None, "x"),
                        test_c_long=_module(90, "first", "second", "third"), test_d_plain=_module(None, "y"),
                        test_e_mid=_module(40, "only"))
    result = pytester.runpytest("-p", "no:cacheprovider", "--collect-only", "-q")
    ids = [line.split("::")[-1] for line in result.stdout.lines if "::" in line]
    assert ids == ["test_first", "test_second", "test_third",  # 90 s
                   "test_only",  # 40 s
                   "test_one", "test_two",  # 10 s
                   "test_x", "test_y"]  # unmarked, in collection order


def test_no_marks_no_change(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_b=_module(None, "b1", "b2"), test_a=_module(None, "a1"))
    result = pytester.runpytest("-p", "no:cacheprovider", "--collect-only", "-q")
    ids = [line.split("::")[-1] for line in result.stdout.lines if "::" in line]
    assert ids == ["test_a1", "test_b1", "test_b2"]


def test_the_mark_is_registered(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_m=_module(5, "m"))
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers", "-q")
    result.assert_outcomes(passed=1)
