"""Helm: the only module that builds helm command lines.

Callers ask for what they want (``template``, ``lint``, ``install``, ``unittest`` …) and
get typed results or a :class:`HelmError` carrying Helm's own message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from chartgate import proc
from chartgate.render_args import TemplateArgs
from chartgate.tools import bootstrap
from chartgate.util.durations import parse_duration


class HelmError(RuntimeError):
    """helm exited non-zero; ``message`` is Helm's own error text (``Error: …`` stripped)."""

    def __init__(self, action: str, message: str, argv: Sequence[str] = ()) -> None:
        self.action = action
        self.message = message
        self.argv = list(argv)
        super().__init__(f"helm {action} failed: {message}")


def template_argv(args: TemplateArgs) -> list[str]:
    """``helm template`` flags for ``args`` (after the release name and chart)."""
    out: list[str] = ["--namespace", args.namespace]
    for f in args.values_files:
        out += ["--values", f]
    for k, v in args.set_json:
        out += ["--set-json", f"{k}={v}"]
    if args.kube_version:
        out += ["--kube-version", args.kube_version]
    for api in args.api_versions:
        out += ["--api-versions", api]
    if args.is_upgrade:
        out.append("--is-upgrade")
    for s in args.show_only:
        out += ["--show-only", s]
    return out


def clean_error(stderr: str) -> str:
    """Helm's error text without warnings, the ``--debug`` hint and the ``Error:`` prefix."""
    lines = [ln for ln in stderr.strip().splitlines()
             if not ln.startswith("WARNING:") and "Use --debug flag" not in ln]
    text = "\n".join(lines).strip()
    return re.sub(r"^Error: ", "", text)


@dataclass
class Helm:
    """A pinned helm binary (``helm`` = Helm 4, ``helm3`` = Helm 3) and its environment."""

    tool: str = "helm"
    binary: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 600

    def __post_init__(self) -> None:
        if self.binary is None:
            self.binary = bootstrap.binary(self.tool)

    def _run(self, action: str, args: Sequence[str], timeout: float | None = None,
             env: Mapping[str, str] | None = None) -> proc.Result:
        argv = [str(self.binary), *args]
        merged = {**self.env, **(env or {})}
        res = proc.run(argv, env=merged or None, timeout=timeout or self.timeout, check=False)
        if res.returncode != 0:
            raise HelmError(action, clean_error(res.stderr) or res.stdout.strip(), argv)
        return res

    @cached_property
    def version(self) -> str:
        return self._run("version", ["version", "--short"]).stdout.strip()

    def template(self, chart: Path, args: TemplateArgs) -> str:
        return self._run("template", ["template", args.release, str(chart), *template_argv(args)]).stdout

    def lint(self, chart: Path, values_files: Sequence[str] = (), strict: bool = True) -> str:
        argv = ["lint", str(chart)]
        if strict:
            argv.append("--strict")
        for f in values_files:
            argv += ["--values", f]
        return self._run("lint", argv).stdout

    def dependency_build(self, chart: Path) -> str:
        """``helm dependency build`` without refreshing repository indexes (offline for
        ``file://`` dependencies); writes ``charts/*.tgz`` and ``Chart.lock`` in ``chart``."""
        return self._run("dependency build", ["dependency", "build", str(chart), "--skip-refresh"]).stdout

    def unittest(self, chart: Path, junit: Path | None = None,
                 files: Sequence[str] = (), update_snapshots: bool = False) -> proc.Result:
        """Run helm-unittest (installed as a plugin dir, never via its download hook)."""
        argv = ["unittest", str(chart)]
        if junit:
            argv += ["--output-type", "JUnit", "--output-file", str(junit)]
        for f in files:
            argv += ["--file", f]
        if update_snapshots:
            argv.append("--update-snapshot")
        argv_full = [str(self.binary), *argv]
        env = {**self.env, "HELM_PLUGINS": str(bootstrap.plugin_dir()), "NO_COLOR": "1"}
        return proc.run(argv_full, env=env, timeout=self.timeout, check=False)

    # --- cluster operations (used by the e2e stage) -------------------------------------
    def install(self, release: str, chart: Path, namespace: str, *, values_files: Sequence[str] = (),
                set_values: Mapping[str, str] | None = None, create_namespace: bool = False,
                wait: bool = True, timeout: str = "5m", kubeconfig: str | None = None,
                upgrade: bool = False, extra: Sequence[str] = ()) -> str:
        action = "upgrade" if upgrade else "install"
        argv = [action, release, str(chart), "--namespace", namespace]
        if create_namespace:
            argv.append("--create-namespace")
        for f in values_files:
            argv += ["--values", f]
        for k, v in (set_values or {}).items():
            argv += ["--set", f"{k}={v}"]
        if wait:
            argv += ["--wait", "--timeout", timeout]
        if kubeconfig:
            argv += ["--kubeconfig", kubeconfig]
        argv += list(extra)
        return self._run(action, argv, timeout=parse_duration(timeout, 600) + 60).stdout

    def upgrade(self, release: str, chart: Path, namespace: str, **kw: object) -> str:
        return self.install(release, chart, namespace, upgrade=True, **kw)  # type: ignore[arg-type]

    def rollback(self, release: str, revision: int, namespace: str, *, wait: bool = True,
                 timeout: str = "5m", kubeconfig: str | None = None, extra: Sequence[str] = ()) -> str:
        """``helm rollback``; ``extra`` flags (e.g. ``--force-conflicts``) go last."""
        argv = ["rollback", release, str(revision), "--namespace", namespace]
        if wait:
            argv += ["--wait", "--timeout", timeout]
        argv += list(extra)
        if kubeconfig:
            argv += ["--kubeconfig", kubeconfig]
        return self._run("rollback", argv, timeout=parse_duration(timeout, 600) + 60).stdout

    def test(self, release: str, namespace: str, *, timeout: str = "5m",
             kubeconfig: str | None = None, logs: bool = True) -> str:
        argv = ["test", release, "--namespace", namespace, "--timeout", timeout]
        if logs:
            argv.append("--logs")
        if kubeconfig:
            argv += ["--kubeconfig", kubeconfig]
        return self._run("test", argv, timeout=parse_duration(timeout, 600) + 60).stdout

    def uninstall(self, release: str, namespace: str, *, wait: bool = True,
                  kubeconfig: str | None = None, timeout: str = "5m") -> str:
        argv = ["uninstall", release, "--namespace", namespace]
        if wait:
            argv += ["--wait", "--timeout", timeout]
        if kubeconfig:
            argv += ["--kubeconfig", kubeconfig]
        return self._run("uninstall", argv, timeout=parse_duration(timeout, 600) + 60).stdout

    def history(self, release: str, namespace: str, kubeconfig: str | None = None) -> list[dict]:
        argv = ["history", release, "--namespace", namespace, "--output", "json"]
        if kubeconfig:
            argv += ["--kubeconfig", kubeconfig]
        return list(json.loads(self._run("history", argv).stdout))
