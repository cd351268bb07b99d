"""Work the gate starts while it still renders: the policy stage sends observed renders to
OPA in the background (CHUNK of them start an evaluation, which then takes whatever arrived
meanwhile), and prepare() only evaluates what is left."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chartgate.manifests import ManifestSet, parse
from chartgate.policy.engine import ScenarioPolicy
from chartgate.render import Rendered
from chartgate.scenario import Scenario
from chartgate.stages.policy import PolicyStage


class FakeEngine:
    def __init__(self) -> None:
        self.batches: list[tuple[list[str], str]] = []
        self.closed = False

    def evaluate(self, sets: Mapping[str, ManifestSet],
                 external: Mapping[str, Any] | None = None) -> dict[str, ScenarioPolicy]:
        self.batches.append((sorted(sets), threading.current_thread().name))
        return {name: ScenarioPolicy(documents=len(m)) for name, m in sets.items()}

    def close(self) -> None:
        self.closed = True

    def results(self) -> Any:
        return type("R", (), {"exists": staticmethod(lambda: True)})()


def _rendered(i: int) -> Rendered:
    sc = Scenario(name=f"s{i:02d}", file=Path(f"/s/s{i:02d}.yaml"), chart=Path("/chart"))
    return Rendered(sc, parse("kind: ConfigMap\nmetadata: {name: a}\n"), None, 0.0, False)


def test_observed_renders_are_evaluated_in_the_background_in_chunks() -> None:
    engine = FakeEngine()
    stage = PolicyStage(engine=engine)  # type: ignore[arg-type]
    stage.CHUNK = 4
    renders = {r.scenario.name: r for r in map(_rendered, range(10))}
    for r in renders.values():
        stage.observe(r)
    stage.prepare(renders)
    batches = [b for b, _ in engine.batches]
    assert batches[0] == ["s00", "s01", "s02", "s03"]
    assert sorted(n for b in batches for n in b) == sorted(renders)  # each exactly once
    assert engine.batches[0][1].startswith("chartgate-policy")
    assert sorted(stage.results) == sorted(renders) and engine.closed


class SlowEngine(FakeEngine):
    """The first evaluation waits for ``release`` (OPA busy while renders keep arriving)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def evaluate(self, sets: Mapping[str, ManifestSet],
                 external: Mapping[str, Any] | None = None) -> dict[str, ScenarioPolicy]:
        if not self.batches:
            self.release.wait(10)
        return super().evaluate(sets, external)


def test_renders_observed_while_opa_is_busy_go_in_the_next_evaluation_together() -> None:
    """OPA never idles while renders wait, and never gets a fixed-size chunk late: what
    arrived during one evaluation is the next one, so little is left after the last render."""
    engine = SlowEngine()
    stage = PolicyStage(engine=engine)  # type: ignore[arg-type]
    stage.CHUNK = 4
    renders = {r.scenario.name: r for r in map(_rendered, range(11))}
    for r in renders.values():
        stage.observe(r)  # s00-s03 start an evaluation; s04-s10 arrive while it runs
    engine.release.set()
    stage.prepare(renders)
    assert [b for b, _ in engine.batches] == [["s00", "s01", "s02", "s03"],
                                              ["s04", "s05", "s06", "s07", "s08", "s09", "s10"]]
    assert all(t.startswith("chartgate-policy") for _, t in engine.batches)
    assert sorted(stage.results) == sorted(renders) and engine.closed
