"""The one wrapper around the ``kubernetes`` Python client: :class:`Kube`.

Everything the e2e stage asks a cluster goes through :class:`Kube`, built in three
layers, one module each:

- :mod:`chartgate.tools.kube_client` — load a kubeconfig, read and write objects;
- :mod:`chartgate.tools.kube_diagnostics` — judge and explain states (rollout status,
  pod status, events, log tails, a namespace dumped to files);
- :mod:`chartgate.tools.kube_waits` — wait for states on **wall-clock deadlines**
  (:func:`chartgate.util.deadline.poll_until`); a timeout raises :class:`WaitTimeout`
  naming the object, its last state and the diagnostics.

Callers import from here; the clock and the API objects are injectable (unit tests use a
fake clock and fake APIs).
"""

from __future__ import annotations

from chartgate.tools.kube_client import HttpAnswer, KubeError, ObjRef, selector_string
from chartgate.tools.kube_diagnostics import (
    deployment_rollout_state,
    format_conditions,
    format_events,
    format_pod_status,
    job_failed_state,
    job_state,
    pod_ready,
    restart_count,
)
from chartgate.tools.kube_waits import KubeWaits, WaitTimeout

__all__ = [
    "HttpAnswer",
    "Kube",
    "KubeError",
    "ObjRef",
    "WaitTimeout",
    "deployment_rollout_state",
    "format_conditions",
    "format_events",
    "format_pod_status",
    "job_failed_state",
    "job_state",
    "pod_ready",
    "restart_count",
    "selector_string",
]


class Kube(KubeWaits):
    """A cluster: read and write objects, wait for states, explain failures."""
