"""A Helm release of the chart under test, driven through :class:`chartgate.tools.helm.Helm`.

Value overrides are written to a YAML file per operation (types survive, no ``--set``
escaping) and passed after the release's base values files, so a scenario reads like
the docs: ``helm install clockwork ./deploy/helm/clockwork -f values-dev.yaml -n clockwork
--create-namespace`` plus the few settings the test environment needs (local images).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chartgate.tools.helm import Helm, HelmError
from chartgate.util.durations import parse_duration
from chartgate.util.merge import deep_merge

_counter = itertools.count(1)


class E2EHelm(Helm):
    """Helm plus what the e2e stage needs beyond :class:`Helm`'s methods."""

    def rollback_with(self, release: str, revision: int, namespace: str, extra: Sequence[str], *,
                      timeout: str = "5m", kubeconfig: str | None = None) -> str:
        """``helm rollback`` with extra flags (e.g. ``--force-conflicts``), waiting."""
        argv = ["rollback", release, str(revision), "--namespace", namespace, "--wait", "--timeout", timeout,
                *extra]
        if kubeconfig:
            argv += ["--kubeconfig", kubeconfig]
        return self._run("rollback", argv, timeout=parse_duration(timeout, 600) + 60).stdout


class ReleaseError(HelmError):
    """A helm operation failed; the message adds the cluster's view of the culprit
    (Deployment conditions, pod states, events, container logs)."""


@dataclass
class Operation:
    action: str
    seconds: float
    output: str


@dataclass
class Release:
    helm: Helm
    chart: Path
    name: str
    namespace: str
    kubeconfig: str
    workdir: Path
    values_files: Sequence[str] = ()
    values: Mapping[str, Any] = field(default_factory=dict)  # the environment's overrides
    timeout: str = "4m"
    log: list[Operation] = field(default_factory=list)
    on_error: Callable[[], str] | None = None  # diagnostics appended to a failed operation

    def _values_file(self, extra: Mapping[str, Any] | None) -> str:
        merged = deep_merge(self.values, extra or {})
        self.workdir.mkdir(parents=True, exist_ok=True)
        path = self.workdir / f"values-{self.name}-{next(_counter)}.yaml"
        path.write_text(yaml.safe_dump(merged, sort_keys=False))
        return str(path)

    def _timed(self, action: str, fn: Any) -> str:
        t0 = time.monotonic()
        try:
            out = str(fn())
        except HelmError as exc:
            self.log.append(Operation(action, round(time.monotonic() - t0, 1), f"FAILED: {exc.message}"))
            if self.on_error is None:
                raise
            try:
                diag = self.on_error()
            except Exception as dexc:
                diag = f"(diagnostics unavailable: {dexc})"
            raise ReleaseError(exc.action, f"{exc.message}\n{diag}", exc.argv) from exc
        self.log.append(Operation(action, round(time.monotonic() - t0, 1), out))
        return out

    def install(self, values: Mapping[str, Any] | None = None, *, create_namespace: bool = True,
                wait: bool = True, timeout: str | None = None, extra: Sequence[str] = ()) -> str:
        files = [*self.values_files, self._values_file(values)]
        return self._timed("install", lambda: self.helm.install(
            self.name, self.chart, self.namespace, values_files=files, create_namespace=create_namespace,
            wait=wait, timeout=timeout or self.timeout, kubeconfig=self.kubeconfig, extra=extra))

    def upgrade(self, values: Mapping[str, Any] | None = None, *, wait: bool = True,
                timeout: str | None = None, extra: Sequence[str] = ()) -> str:
        files = [*self.values_files, self._values_file(values)]
        return self._timed("upgrade", lambda: self.helm.install(
            self.name, self.chart, self.namespace, values_files=files, wait=wait,
            timeout=timeout or self.timeout, kubeconfig=self.kubeconfig, upgrade=True, extra=extra))

    def rollback(self, revision: int, *, timeout: str | None = None, extra: Sequence[str] = ()) -> str:
        if extra:
            helm = self.helm if isinstance(self.helm, E2EHelm) else E2EHelm(
                self.helm.tool, self.helm.binary, self.helm.env, self.helm.timeout)
            return self._timed("rollback", lambda: helm.rollback_with(
                self.name, revision, self.namespace, extra, timeout=timeout or self.timeout,
                kubeconfig=self.kubeconfig))
        return self._timed("rollback", lambda: self.helm.rollback(
            self.name, revision, self.namespace, timeout=timeout or self.timeout, kubeconfig=self.kubeconfig))

    def test(self, timeout: str = "3m") -> str:
        return self._timed("test", lambda: self.helm.test(self.name, self.namespace, timeout=timeout,
                                                          kubeconfig=self.kubeconfig))

    def uninstall(self, timeout: str = "3m") -> str:
        return self._timed("uninstall", lambda: self.helm.uninstall(
            self.name, self.namespace, kubeconfig=self.kubeconfig, timeout=timeout))

    def history(self) -> list[dict[str, Any]]:
        return self.helm.history(self.name, self.namespace, kubeconfig=self.kubeconfig)

    def revision(self) -> int:
        return max(int(h["revision"]) for h in self.history())

    def timings(self) -> str:
        return ", ".join(f"{op.action} {op.seconds}s" for op in self.log)
