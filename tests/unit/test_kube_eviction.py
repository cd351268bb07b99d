"""chartgate.tools.kube.Kube.evict_pod: the Eviction API's answers as values (201 evicted,
429 refused by a PodDisruptionBudget), other errors raised — with a fake CoreV1Api."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from chartgate.tools.kube import Kube


class FakeCore:
    def __init__(self, status: int | None) -> None:
        self.status = status
        self.calls: list[tuple[str, str, Any]] = []

    def create_namespaced_pod_eviction(self, name: str, namespace: str, body: Any, **kw: Any) -> None:
        self.calls.append((name, namespace, body))
        if self.status is not None:
            exc = ApiException(status=self.status, reason="Too Many Requests")
            exc.body = '{"message": "Cannot evict pod as it would violate the pod\'s disruption budget."}'
            raise exc


def _kube(status: int | None) -> tuple[Kube, FakeCore]:
    core = FakeCore(status)
    return Kube(core=core, apps=object(), batch=object(), discovery=object()), core


def test_evicted() -> None:
    kube, core = _kube(None)
    assert kube.evict_pod("p", "ns").status == 201
    name, ns, body = core.calls[0]
    assert (name, ns) == ("p", "ns")
    assert (body.metadata.name, body.metadata.namespace) == ("p", "ns")


def test_refused_by_the_budget_is_an_answer() -> None:
    kube, _ = _kube(429)
    answer = kube.evict_pod("p", "ns")
    assert answer.status == 429 and "disruption budget" in answer.body


def test_other_errors_raise() -> None:
    kube, _ = _kube(404)
    with pytest.raises(ApiException):
        kube.evict_pod("p", "ns")
