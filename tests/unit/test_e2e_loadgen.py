"""The request loop's verdict on a rollout (chartgate.e2e.loadgen): what makes a covered
rollout clean, and the control request that stops the loop."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chartgate.e2e.loadgen import STOP_BY_TEST, LoopResult, RequestLoop, Rollout, assert_clean_rollout
from chartgate.tools.kube import HttpAnswer

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
REASON = "every old pod gone (2)"


def _go(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"


def _result(**over: Any) -> LoopResult:
    data: dict[str, Any] = {
        "url": "http://s/api/health", "total": 1400, "failed": 0, "in_flight_lost": 0,
        "versions": {"1.0.0": 500, "1.0.1": 620}, "statuses": {"200": 1120, "201": 280}, "errors": [],
        "started_at": _go(T0), "finished_at": _go(T0 + timedelta(seconds=31)), "seconds": 31.0,
        "stop_reason": STOP_BY_TEST + REASON, "first_version": "1.0.0", "last_version": "1.0.1",
        "window": {"from": _go(T0 + timedelta(seconds=2)), "to": _go(T0 + timedelta(seconds=30)),
                   "total": 1300, "failed": 0, "writes": 260, "versions": {}},
        "writes": {"created": 280, "failed": 0, "read_back": 280, "missing": [], "read_back_error": ""},
    }
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(data.get(k), dict):
            data[k] = {**data[k], **v}
        else:
            data[k] = v
    return LoopResult.parse("LOADGEN_STARTED\nLOADGEN_RESULT " + json.dumps(data) + "\n")


ROLLOUT = Rollout(T0 + timedelta(seconds=2), T0 + timedelta(seconds=30), ["a", "b"], REASON)


def test_a_clean_rollout_has_no_problems() -> None:
    res = _result()
    assert res.problems(ROLLOUT, 500) == []
    assert_clean_rollout(res, ROLLOUT, "phase")
    assert "rollout window 28.0s: 1300 requests (260 writes), 0 failed" in res.summary()


@pytest.mark.parametrize(("over", "needle"), [
    ({"stop_reason": "max-duration"}, "stopped on its own ('max-duration')"),
    ({"started_at": _go(T0 + timedelta(seconds=3))}, "after the change"),
    ({"finished_at": _go(T0 + timedelta(seconds=29))}, "before every old pod was gone"),
    ({"window": {"total": 499}}, "only 499 requests inside the rollout window"),
    ({"failed": 3, "in_flight_lost": 1, "window": {"failed": 2}},
     "3 requests failed (2 inside the rollout window; 1 lost in flight)"),
    ({"writes": {"created": 0, "read_back": 0}}, "wrote no rows"),
    ({"writes": {"read_back": 279, "missing": ["7 lg-7"]}}, "only 279 of 280 written rows were read back"),
    ({"writes": {"read_back_error": "GET …: HTTP 500"}}, "could not be read back"),
    ({"window": None}, "no rollout window"),
])
def test_each_problem_is_named(over: dict[str, Any], needle: str) -> None:
    problems = _result(**over).problems(ROLLOUT, 500)
    assert any(needle in p for p in problems), problems
    with pytest.raises(AssertionError, match="not clean"):
        assert_clean_rollout(_result(**over), ROLLOUT, "phase")


class _FakeKube:
    def __init__(self) -> None:
        from chartgate.util.deadline import SYSTEM_CLOCK

        self.calls: list[tuple[str, str, int, str, str]] = []
        self.clock = SYSTEM_CLOCK

    def job_pods(self, job: str, ns: str) -> list[Any]:
        class Meta:
            name = "lg-pod"

        class Pod:
            metadata = Meta()

        return [Pod()]

    def pod_http(self, pod: str, ns: str, port: int, path: str, method: str = "GET") -> HttpAnswer:
        self.calls.append((pod, ns, port, path, method))
        return HttpAnswer(200, "{}", {})


def test_stop_posts_the_window_to_the_control_port() -> None:
    kube = _FakeKube()
    loop = RequestLoop(kube, "ns", "lg:1", "http://s/api/health", job="lg-1")  # type: ignore[arg-type]
    loop.stop(REASON, ROLLOUT.start, ROLLOUT.end)
    ((pod, ns, port, path, method),) = kube.calls
    assert (pod, ns, port, method) == ("lg-pod", "ns", 8081, "POST")
    assert path.startswith("/stop?reason=every+old+pod+gone+%282%29&from=2026-01-01T12%3A00%3A02.000000Z")
