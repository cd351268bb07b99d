"""Session fixtures for the policy tests: pinned tools, one OPA-backed engine, and every
scenario rendered once."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import corpus
import pytest

from chartgate.policy.engine import PolicyEngine, ScenarioPolicy
from chartgate.render import Rendered, Renderer
from chartgate.scenario import Defaults, dir_overrides, load_dir
from chartgate.tools import bootstrap
from chartgate.tools.conftest import Conftest
from chartgate.tools.helm import Helm
from chartgate.util.ci import missing_prerequisite


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.policy)


@pytest.fixture(scope="session")
def opa_binary() -> Path:
    return bootstrap.ensure("opa")


@pytest.fixture(scope="session")
def conftest_tool() -> Conftest:
    return Conftest(corpus.POLICIES, [corpus.DATA], bootstrap.ensure("conftest"))


@pytest.fixture(scope="session")
def engine(opa_binary: Path) -> Iterator[PolicyEngine]:
    with PolicyEngine(corpus.POLICIES, [corpus.DATA]) as eng:
        yield eng


@pytest.fixture(scope="session")
def fixture_results(engine: PolicyEngine) -> dict[str, ScenarioPolicy]:
    """Every fixture file through the engine in one batch."""
    return engine.evaluate({f.name: f.manifests for f in corpus.fixtures()})


@pytest.fixture(scope="session")
def rendered() -> dict[str, Rendered]:
    if not corpus.CHART.is_dir():
        missing_prerequisite(f"no chart at {corpus.CHART}")
    bootstrap.ensure("helm")
    defaults = dataclasses.replace(Defaults(chart=corpus.CHART), **dir_overrides(corpus.SCENARIOS))
    scenarios = load_dir(corpus.SCENARIOS, defaults)
    return Renderer(Helm()).render_all(scenarios)


@pytest.fixture(scope="session")
def policy_scenarios(rendered: dict[str, Rendered]) -> dict[str, Rendered]:
    """Scenarios that render and run the policy stage."""
    return {
        n: r for n, r in rendered.items() if r.ok and r.manifests is not None and r.scenario.wants("policy")
    }


@pytest.fixture(scope="session")
def scenario_results(
    engine: PolicyEngine, policy_scenarios: dict[str, Rendered]
) -> dict[str, ScenarioPolicy]:
    return engine.evaluate(
        {n: r.manifests for n, r in policy_scenarios.items() if r.manifests is not None},
        {n: r.scenario.external_objects for n, r in policy_scenarios.items()},
    )
