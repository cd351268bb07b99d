"""chartgate.util.deadline and chartgate.tools.kube_waits: wall-clock deadline loops and
rollout/job state logic, with a fake clock and fake API objects (no cluster)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace as NS
from typing import Any

import pytest
from kubernetes import client as k

from chartgate.tools.kube import (
    Kube,
    ObjRef,
    WaitTimeout,
    deployment_rollout_state,
    job_failed_state,
    job_state,
)
from chartgate.util.deadline import Terminal, poll_until


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


class SlowClock(FakeClock):
    """Every check costs wall-clock time (a slow API): loops must not count iterations."""

    def monotonic(self) -> float:
        self.t += 7
        return self.t


def test_poll_until_done_immediately() -> None:
    clock = FakeClock()
    assert poll_until(lambda: (True, "ok"), timeout=10, clock=clock) == (True, "ok", False)
    assert clock.sleeps == []


def test_poll_until_times_out_on_wall_clock_with_last_state() -> None:
    clock = FakeClock()
    calls = []

    def check() -> tuple[bool, str]:
        calls.append(clock.t)
        return False, f"state at {clock.t - 1000:g}"

    done, last, terminal = poll_until(check, timeout=5, interval=2, clock=clock)
    assert (done, terminal) == (False, False)
    assert clock.t == 1005.0  # never sleeps past the deadline
    assert last == "state at 5"  # one last check right at the deadline
    assert clock.sleeps == [2, 2, 1]


def test_poll_until_bounded_by_time_not_iterations() -> None:
    clock = SlowClock()
    n = 0

    def check() -> tuple[bool, str]:
        nonlocal n
        n += 1
        return False, "never"

    poll_until(check, timeout=20, interval=1, clock=clock)
    assert n <= 4  # 7 s per monotonic() call: a 20 s deadline allows only a few checks


def test_poll_until_terminal_stops_early() -> None:
    def check() -> tuple[bool, str]:
        raise Terminal("Job failed: BackoffLimitExceeded")

    assert poll_until(check, timeout=100, clock=FakeClock()) == (
        False,
        "Job failed: BackoffLimitExceeded",
        True,
    )


def test_poll_until_retries_transient_errors() -> None:
    clock = FakeClock()
    answers: list[Any] = [ConnectionError("refused"), (True, "fine")]

    def check() -> tuple[bool, str]:
        a = answers.pop(0)
        if isinstance(a, Exception):
            raise a
        return a  # type: ignore[no-any-return]

    assert poll_until(check, timeout=10, clock=clock, transient=(ConnectionError,)) == (True, "fine", False)


def _dep(
    gen: int = 2,
    observed: int = 2,
    replicas: int = 2,
    updated: int = 2,
    available: int = 2,
    ready: int = 2,
    spec: int = 2,
    conditions: list[Any] | None = None,
) -> k.V1Deployment:
    if conditions is None:
        conditions = [
            k.V1DeploymentCondition(type="Available", status="True", reason="MinimumReplicasAvailable")
        ]
    return k.V1Deployment(
        metadata=k.V1ObjectMeta(name="clockwork-server", namespace="ns", generation=gen),
        spec=k.V1DeploymentSpec(
            replicas=spec,
            selector=k.V1LabelSelector(match_labels={"app": "x"}),
            template=k.V1PodTemplateSpec(
                spec=k.V1PodSpec(containers=[k.V1Container(name="server", image="clockwork:1.0.0")])
            ),
        ),
        status=k.V1DeploymentStatus(
            observed_generation=observed,
            replicas=replicas,
            updated_replicas=updated,
            available_replicas=available,
            ready_replicas=ready,
            conditions=conditions,
        ),
    )


def _stuck_dep(message: str) -> k.V1Deployment:
    """A Deployment whose rollout hit its progressDeadlineSeconds."""
    stuck = k.V1DeploymentCondition(type="Progressing", status="False",
                                    reason="ProgressDeadlineExceeded", message=message)
    return _dep(available=1, conditions=[stuck])


@pytest.mark.parametrize(
    ("dep", "fragment"),
    [
        (_dep(observed=1), "observe generation 2"),
        (_dep(updated=1, replicas=3), "1 of 2 new replicas updated"),
        (_dep(replicas=3), "1 old replicas pending termination"),
        (_dep(available=1), "1 of 2 updated replicas available"),
        (
            _dep(conditions=[k.V1DeploymentCondition(type="Available", status="False")]),
            "Available is not True",
        ),
    ],
)
def test_rollout_not_complete(dep: k.V1Deployment, fragment: str) -> None:
    done, state = deployment_rollout_state(dep)
    assert not done and fragment in state


def test_rollout_complete_and_deadline_exceeded() -> None:
    assert deployment_rollout_state(_dep())[0]
    with pytest.raises(Terminal, match="ProgressDeadlineExceeded"):
        deployment_rollout_state(_stuck_dep("RS has timed out"))


def _job(cond: str | None) -> k.V1Job:
    conds = (
        [
            k.V1JobCondition(
                type=cond,
                status="True",
                reason="BackoffLimitExceeded" if cond == "Failed" else None,
                message="Job has reached the specified backoff limit",
            )
        ]
        if cond
        else []
    )
    return k.V1Job(
        metadata=k.V1ObjectMeta(name="clockwork-migrate"),
        status=k.V1JobStatus(
            active=0,
            succeeded=1 if cond == "Complete" else 0,
            failed=2 if cond == "Failed" else 0,
            conditions=conds,
        ),
    )


def test_job_states() -> None:
    assert job_state(_job("Complete"))[0]
    assert not job_state(_job(None))[0]
    with pytest.raises(Terminal, match="BackoffLimitExceeded"):
        job_state(_job("Failed"))
    assert job_failed_state(_job("Failed"))[0]
    with pytest.raises(Terminal, match="expected it to fail"):
        job_failed_state(_job("Complete"))


# --- a Kube with fake APIs --------------------------------------------------------------

NOW = dt.datetime.now(dt.UTC)


def _pod(name: str, ready: bool, waiting: str | None = None, restarts: int = 0) -> k.V1Pod:
    state = (
        k.V1ContainerState(waiting=k.V1ContainerStateWaiting(reason=waiting, message="back-off 10s"))
        if waiting
        else k.V1ContainerState(running=k.V1ContainerStateRunning())
    )
    last = (
        k.V1ContainerState(terminated=k.V1ContainerStateTerminated(exit_code=2, reason="Error"))
        if restarts
        else None
    )
    return k.V1Pod(
        metadata=k.V1ObjectMeta(name=name, namespace="ns"),
        spec=k.V1PodSpec(containers=[k.V1Container(name="server", image="clockwork:1.0.0")]),
        status=k.V1PodStatus(
            phase="Running",
            pod_ip="10.244.0.7",
            conditions=[k.V1PodCondition(type="Ready", status=str(ready))],
            container_statuses=[
                k.V1ContainerStatus(
                    name="server",
                    image="clockwork:1.0.0",
                    image_id="",
                    ready=ready,
                    restart_count=restarts,
                    state=state,
                    last_state=last,
                )
            ],
        ),
    )


def _event(obj: str, reason: str, message: str, seconds_ago: int, kind: str = "Pod") -> k.CoreV1Event:
    return k.CoreV1Event(
        metadata=k.V1ObjectMeta(name=f"{obj}.{reason}"),
        type="Warning",
        reason=reason,
        message=message,
        involved_object=k.V1ObjectReference(kind=kind, name=obj),
        last_timestamp=NOW - dt.timedelta(seconds=seconds_ago),
        count=3,
    )


class FakeApps:
    def __init__(self, dep: k.V1Deployment) -> None:
        self.dep = dep

    def read_namespaced_deployment(self, name: str, namespace: str) -> k.V1Deployment:
        return self.dep

    def list_namespaced_replica_set(self, namespace: str) -> Any:
        return NS(items=[])


class FakeCore:
    def __init__(self, pods: list[k.V1Pod], events: list[Any], logs: dict[str, str]) -> None:
        self.pods, self._events, self._logs = pods, events, logs

    def list_namespaced_pod(self, namespace: str, label_selector: str | None = None) -> Any:
        return NS(items=self.pods)

    def list_namespaced_event(self, namespace: str) -> Any:
        return NS(items=self._events)

    def read_namespaced_pod_log(
        self,
        name: str,
        namespace: str,
        container: str | None = None,
        previous: bool = False,
        tail_lines: int | None = None,
        **_: Any,
    ) -> str:
        return self._logs.get(f"{name}/{container}{'/prev' if previous else ''}", "")

    def read_namespaced_pod(self, name: str, namespace: str) -> k.V1Pod:
        return next(p for p in self.pods if p.metadata.name == name)


def _kube(dep: k.V1Deployment, clock: FakeClock) -> Kube:
    pods = [_pod("clockwork-server-abc", ready=False, waiting="CrashLoopBackOff", restarts=3)]
    events = [
        _event(
            "clockwork-server-abc",
            "Unhealthy",
            "Readiness probe failed: HTTP probe failed with statuscode: 404",
            5,
        ),
        _event("other-pod", "BackOff", "unrelated", 1),
    ]
    logs = {
        "clockwork-server-abc/server": "level=INFO msg=listening addr=[::]:8080\n",
        "clockwork-server-abc/server/prev": "clockwork: invalid configuration: DATABASE_URL: missing\n",
    }
    return Kube(
        core=FakeCore(pods, events, logs), apps=FakeApps(dep), batch=object(), discovery=object(), clock=clock
    )


def test_wait_deployment_timeout_names_object_conditions_events_and_logs() -> None:
    clock = FakeClock()
    dep = _dep(
        available=0,
        ready=0,
        conditions=[
            k.V1DeploymentCondition(
                type="Available",
                status="False",
                reason="MinimumReplicasUnavailable",
                message="Deployment does not have minimum availability.",
            ),
            k.V1DeploymentCondition(type="Progressing", status="True", reason="ReplicaSetUpdated"),
        ],
    )
    kube = _kube(dep, clock)
    with pytest.raises(WaitTimeout) as err:
        kube.wait_deployment_available("clockwork-server", "ns", timeout=30, interval=5)
    text = str(err.value)
    assert clock.t == 1030.0
    assert text.startswith("deployment/clockwork-server -n ns: not available (rollout complete) within 30s")
    assert "0 of 2 updated replicas available" in text
    assert (
        "Available=False (MinimumReplicasUnavailable): Deployment does not have minimum availability." in text
    )
    assert "waiting (CrashLoopBackOff: back-off 10s)" in text and "restarts=3" in text
    assert "Readiness probe failed: HTTP probe failed with statuscode: 404 (x3)" in text
    assert "unrelated" not in text  # only events of the object and its pods
    assert "listening" in text and "DATABASE_URL: missing" in text  # current and --previous logs
    assert err.value.ref == ObjRef("Deployment", "clockwork-server", "ns")


def test_wait_deployment_terminal_is_immediate() -> None:
    clock = FakeClock()
    kube = _kube(_stuck_dep("timed out progressing"), clock)
    with pytest.raises(WaitTimeout) as err:
        kube.wait_deployment_available("clockwork-server", "ns", timeout=300)
    assert err.value.terminal and clock.t == 1000.0
    assert "available (rollout complete) failed" in str(err.value)


def test_wait_restart_count() -> None:
    clock = FakeClock()
    kube = _kube(_dep(), clock)
    assert kube.wait_restart_count("clockwork-server-abc", "ns", "server", above=2, timeout=10) == 3
    with pytest.raises(
        WaitTimeout, match=r"pod/clockwork-server-abc -n ns: not restarted \(restartCount > 3\)"
    ):
        kube.wait_restart_count("clockwork-server-abc", "ns", "server", above=3, timeout=10)
