"""Helm releases of the chart under test, driven through :class:`chartgate.tools.helm.Helm`.

:class:`Release` is one release; value overrides are written to a YAML file per
operation (types survive, no ``--set`` escaping) and passed after the release's base
values files, so a test reads like the docs: ``helm install web ./chart -f
values-dev.yaml -n web --create-namespace`` plus the few settings the test environment
needs (local images). :class:`Releases` (the ``releases`` fixture) makes each release in
its own namespace, with what :class:`ReleaseOptions` sets on every one, and cleans up.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chartgate.e2e import diagnostics
from chartgate.tools.helm import Helm, HelmError
from chartgate.tools.kube import Kube
from chartgate.util.merge import deep_merge

_counter = itertools.count(1)


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
        return self._timed("rollback", lambda: self.helm.rollback(
            self.name, revision, self.namespace, timeout=timeout or self.timeout, kubeconfig=self.kubeconfig,
            extra=extra))

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


@dataclass(frozen=True)
class ReleaseOptions:
    """What a chart's tests set on every release: override the ``release_options`` fixture.

    ``values`` go to every release (e.g. the locally built images); ``namespace_values``
    gives values that depend on the release's namespace (a chart that names its namespace
    in a value); ``explain`` is what a failed helm command appends to its error — by
    default the namespace's pods that are not Ready or restarted and its Warning events.
    """

    values: Mapping[str, Any] = field(default_factory=dict)
    namespace_values: Callable[[str], Mapping[str, Any]] | None = None
    explain: Callable[[Kube, str, str], str] | None = None  # (kube, release, namespace) -> text


@dataclass
class Releases:
    """Creates releases (each in its own namespace) and cleans them up."""

    helm: Helm
    kube: Kube
    chart: Path | None  # the default chart (None: every release names its chart)
    kubeconfig: str
    workdir: Path
    options: ReleaseOptions = field(default_factory=ReleaseOptions)
    helm_timeout: str = "4m"
    made: list[Release] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)

    def new(self, name: str, namespace: str, values_files: tuple[str, ...] = (),
            values: Mapping[str, Any] | None = None, chart: Path | None = None) -> Release:
        """A release ``name`` of ``chart`` (default: the session's chart) in ``namespace``,
        which is deleted first when a leftover of an interrupted run holds it.
        ``values_files`` are relative to the chart."""
        chart = chart or self.chart
        if chart is None:
            raise ValueError(f"release {name}: no chart given and no default chart "
                             "(set CHARTGATE_E2E_CHART or override the chart_dir fixture)")
        if self.kube.namespace_exists(namespace):
            self.kube.delete_namespace(namespace, wait=True, timeout=120)
        opts = self.options
        env = deep_merge(opts.values, opts.namespace_values(namespace) if opts.namespace_values else {})
        rel = Release(self.helm, chart, name, namespace, self.kubeconfig, self.workdir,
                      values_files=[str(chart / f) for f in values_files],
                      values=deep_merge(env, values or {}))
        explain = opts.explain
        rel.on_error = ((lambda: explain(self.kube, name, namespace)) if explain
                        else (lambda: diagnostics.culprit_summary(self.kube, namespace)))
        rel.timeout = self.helm_timeout
        self.made.append(rel)
        self.watch_namespace(namespace)
        return rel

    def watch_namespace(self, namespace: str) -> None:
        """Clean ``namespace`` up afterwards, and dump it when the test fails."""
        if namespace not in self.namespaces:
            self.namespaces.append(namespace)

    def cleanup(self) -> None:
        for rel in self.made:
            with contextlib.suppress(Exception):
                rel.uninstall(timeout="1m")
        for ns in self.namespaces:
            with contextlib.suppress(Exception):
                self.kube.delete_namespace(ns)
