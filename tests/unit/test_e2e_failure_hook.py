"""chartgate.e2e.fixtures' failure hook: a failed test whose stash holds a
:class:`~chartgate.e2e.fixtures.Watched` gets its releases' namespaces collected and a
summary section in its report; a passing one, or one that watches nothing, does not.
Runs an inner pytest session (pytester) with the plugin loaded the documented way."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

INNER = '''
from pathlib import Path

import pytest

from chartgate.e2e import diagnostics, fixtures
from chartgate.e2e.release import Releases
from chartgate.e2e.settings import Settings

pytest_plugins = ["chartgate.e2e.fixtures"]


@pytest.fixture
def watched(request, tmp_path, monkeypatch):
    def collect(kube, artifacts, nodeid, namespaces, releases):
        return tmp_path, f"SUMMARY of {nodeid.split('::')[-1]}: {','.join(namespaces)}"

    monkeypatch.setattr(diagnostics, "collect", collect)
    rels = Releases(helm=None, kube=None, chart=None, kubeconfig="", workdir=tmp_path)
    rels.watch_namespace("ns-a")
    settings = Settings(kubeconfig=None, cluster="c", artifacts=tmp_path)
    request.node.stash[fixtures.WATCH_KEY] = fixtures.Watched(rels, None, settings)


def test_fails_watched(watched):
    assert False


def test_passes_watched(watched):
    pass


def test_fails_unwatched():
    assert False
'''


def test_failed_watched_test_gets_diagnostics(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest("-p", "no:cacheprovider", "-rA")
    result.assert_outcomes(passed=1, failed=2)
    out = result.stdout.str()
    assert "SUMMARY of test_fails_watched: ns-a" in out
    assert "SUMMARY of test_passes_watched" not in out
    assert "SUMMARY of test_fails_unwatched" not in out
    assert out.count("kubernetes diagnostics") == 1
