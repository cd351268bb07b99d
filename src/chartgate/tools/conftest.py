"""The pinned ``conftest`` binary, for parity checks and ``conftest verify``.

chartgate evaluates policies through its own OPA server (:mod:`chartgate.tools.opa`);
this wrapper runs the real ``conftest test`` on the same rendered files so tests can
prove both agree, and runs ``conftest verify`` on the policy unit tests.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chartgate import proc
from chartgate.tools import bootstrap

_ID_IN_MSG = re.compile(r"^\[([A-Z]+-[A-Z]+-\d{3})\]\s+([^:\s]+/[^:\s]*):")


class ConftestError(RuntimeError):
    """conftest failed for another reason than policy failures."""


@dataclass(frozen=True)
class ConftestResult:
    """One failure / warning / exception as ``conftest test --output json`` reports it."""

    severity: str  # "deny" (failures), "warn" (warnings), "exception"
    id: str  # metadata.id, or the [CLK-…] prefix of the message
    resource: str  # metadata.resource, or the Kind/name after the id in the message
    message: str
    file: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.severity, self.id, self.resource)


class Conftest:
    """``conftest test`` / ``conftest verify`` against one policy directory."""

    def __init__(self, policy_dir: Path | Sequence[Path], data: Sequence[Path] = (),
                 binary: Path | None = None) -> None:
        dirs = [policy_dir] if isinstance(policy_dir, (str, Path)) else policy_dir
        self.policy_dirs = [Path(d) for d in dirs]
        self.policy_dir = self.policy_dirs[0]
        self.data = [Path(d) for d in data]
        self._binary = binary

    @property
    def binary(self) -> Path:
        return self._binary or bootstrap.binary("conftest")

    def _common(self) -> list[str]:
        args = [a for d in self.policy_dirs for a in ("--policy", str(d))] + ["--no-color"]
        for d in self.data:
            args += ["--data", str(d)]
        return args

    def test(self, files: Sequence[Path], namespace: str = "main", combine: bool = False,
             timeout: float = 300) -> list[ConftestResult]:
        """Run ``conftest test`` on rendered files and return every non-success result."""
        argv: list[str | Path] = [self.binary, "test", *self._common(), "--namespace", namespace,
                                  "--output", "json"]
        if combine:
            argv.append("--combine")
        argv += [str(f) for f in files]
        # exit 0: all passed; 1: failures (or warnings with --fail-on-warn); else: an error
        payload = proc.run_json(argv, error=ConftestError, what="conftest test", empty="[]",
                                timeout=timeout)
        return parse_results(payload)

    def verify(self, report: str | None = None, timeout: float = 300) -> proc.Result:
        """``conftest verify`` (runs the ``*_test.rego`` rules); raises on a failing test."""
        argv: list[str | Path] = [self.binary, "verify", *self._common()]
        if report:
            argv += ["--report", report]
        return proc.run(argv, timeout=timeout)

    def version(self) -> str:
        return proc.run([self.binary, "--version"]).stdout.strip()


def parse_results(payload: list[dict[str, Any]]) -> list[ConftestResult]:
    out: list[ConftestResult] = []
    for check in payload or []:
        file = str(check.get("filename", ""))
        for severity, key in (("deny", "failures"), ("warn", "warnings"), ("exception", "exceptions")):
            for item in check.get(key) or []:
                msg = str(item.get("msg", ""))
                meta = item.get("metadata") or {}
                m = _ID_IN_MSG.match(msg)
                rid = str(meta.get("id") or (m.group(1) if m else ""))
                resource = str(meta.get("resource") or (m.group(2) if m else ""))
                out.append(ConftestResult(severity, rid, resource, msg, file))
    return out
