"""chartgate.tools.kube formatting helpers and the e2e request-loop / release helpers
(pure logic, no cluster)."""

from __future__ import annotations

import datetime as dt

import pytest
from kubernetes import client as k

from chartgate.e2e.loadgen import LoopResult, RequestLoop
from chartgate.tools.kube import KubeError, ObjRef, format_conditions, format_events, format_pod_status
from chartgate.util.merge import deep_merge

NOW = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)


def _ev(name: str, ago: int, reason: str = "Unhealthy", kind: str = "Pod") -> k.CoreV1Event:
    return k.CoreV1Event(
        metadata=k.V1ObjectMeta(name=name),
        type="Warning",
        reason=reason,
        message=f"msg {name}\n",
        involved_object=k.V1ObjectReference(kind=kind, name=name),
        last_timestamp=NOW - dt.timedelta(seconds=ago),
        count=1,
    )


def test_format_events_sorted_oldest_first_and_limited() -> None:
    text = format_events([_ev("b", 10), _ev("a", 300), _ev("c", 1)], limit=2, now=NOW)
    lines = text.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(" 10s ago") and "pod/b: msg b" in lines[0]
    assert lines[1].startswith("  1s ago") and "pod/c" in lines[1]
    assert format_events([], now=NOW) == "(no events)"


def test_format_events_uses_event_time_when_no_timestamps() -> None:
    ev = _ev("x", 0)
    ev.last_timestamp = None
    ev.event_time = NOW - dt.timedelta(minutes=5)
    assert format_events([ev], now=NOW).startswith("  5m ago")


def test_format_conditions() -> None:
    conds = [
        k.V1DeploymentCondition(
            type="Available",
            status="False",
            reason="MinimumReplicasUnavailable",
            message="Deployment does not have minimum availability.",
        )
    ]
    assert format_conditions(conds) == (
        "Available=False (MinimumReplicasUnavailable): Deployment does not have minimum availability."
    )
    assert format_conditions(None) == "(no conditions)"


def test_format_pod_status_init_and_terminated() -> None:
    pod = k.V1Pod(
        metadata=k.V1ObjectMeta(name="p"),
        status=k.V1PodStatus(
            phase="Pending",
            pod_ip=None,
            conditions=[k.V1PodCondition(type="Ready", status="False", reason="ContainersNotReady")],
            init_container_statuses=[
                k.V1ContainerStatus(
                    name="migrate",
                    image="i",
                    image_id="",
                    ready=False,
                    restart_count=1,
                    state=k.V1ContainerState(
                        terminated=k.V1ContainerStateTerminated(
                            exit_code=1, reason="Error", message="ERROR 00099_fail.sql"
                        )
                    ),
                    last_state=k.V1ContainerState(
                        terminated=k.V1ContainerStateTerminated(exit_code=1, reason="Error")
                    ),
                )
            ],
        ),
    )
    text = format_pod_status(pod)
    assert "pod/p: phase=Pending Ready=False (ContainersNotReady) ip=-" in text
    assert "init migrate: terminated (exit 1, Error: ERROR 00099_fail.sql) ready=False restarts=1" in text
    assert "last: terminated (exit 1, Error)" in text


def test_objref_str() -> None:
    assert (
        str(ObjRef("Deployment", "clockwork-server", "clockwork"))
        == "deployment/clockwork-server -n clockwork"
    )
    assert str(ObjRef("Namespace", "clockwork")) == "namespace/clockwork"


LOG = """LOADGEN_STARTED
LOADGEN_PROGRESS +5s total=120 failed=0 versions=map[1.0.0:120]
LOADGEN_DONE total=612 failed=1 versions=[1.0.0 1.0.1] reason=settled on 1.0.1
LOADGEN_RESULT {"url":"http://s/api/health","total":612,"failed":1,"versions":{"1.0.0":300,"1.0.1":311},\
"statuses":{"200":611,"error":1},"errors":["+3.2s Get: connection refused"],\
"started_at":"2026-01-01T12:00:00.123456789Z","finished_at":"2026-01-01T12:00:30.5Z","seconds":30.4,\
"stop_reason":"settled on 1.0.1","first_version":"1.0.0","last_version":"1.0.1","warmup_seconds":0.1}
"""


def test_loop_result_parse_and_summary() -> None:
    res = LoopResult.parse(LOG)
    assert (res.total, res.failed, res.versions) == (612, 1, {"1.0.0": 300, "1.0.1": 311})
    assert res.started() == dt.datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)
    assert res.finished() == dt.datetime(2026, 1, 1, 12, 0, 30, 500000, tzinfo=dt.UTC)
    assert res.last_version_is("1.0.1")
    s = res.summary()
    assert "612 requests in 30.4s, 1 failed" in s and "1.0.0: 300, 1.0.1: 311" in s
    assert "connection refused" in s


def test_loop_result_without_result_line() -> None:
    with pytest.raises(KubeError, match="no result line"):
        LoopResult.parse("LOADGEN_STARTED\npanic: boom\n")


def test_request_loop_manifest_is_bounded_and_restricted() -> None:
    loop = RequestLoop(
        kube=None,
        namespace="ns",
        image="lg:1",
        url="http://svc/api/health",  # type: ignore[arg-type]
        write_url="http://svc/api/projects",
        max_requests=8000,
        max_duration=150,
        job="lg-1",
    )
    m = loop.manifest()
    spec = m["spec"]
    c = spec["template"]["spec"]["containers"][0]
    assert "-max-requests=8000" in c["args"] and "-max-duration=150s" in c["args"]
    assert "-write-url=http://svc/api/projects" in c["args"] and "-control=:8081" in c["args"]
    assert spec["backoffLimit"] == 0 and spec["activeDeadlineSeconds"] == 150 + 90 + 60
    assert c["securityContext"]["runAsNonRoot"] and c["securityContext"]["capabilities"] == {"drop": ["ALL"]}


def test_deep_merge() -> None:
    base = {"deployment": {"image": {"repository": "clockwork", "tag": "1.0.0"}, "replicas": 1}}
    out = deep_merge(base, {"deployment": {"image": {"tag": "1.0.1"}}, "x": [1]})
    assert out == {
        "deployment": {"image": {"repository": "clockwork", "tag": "1.0.1"}, "replicas": 1},
        "x": [1],
    }
    assert base["deployment"]["image"]["tag"] == "1.0.0"
