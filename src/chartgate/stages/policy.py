"""Policy stage: every rendered document of every scenario through the Rego policies.

``prepare()`` evaluates all scenarios at once through the policy engine
(:class:`chartgate.policy.engine.PolicyEngine`: one OPA server, batched requests, package
``main`` per document and ``combine`` per scenario). ``check()`` turns one scenario's
results into findings and compares the policy ids with the scenario's
:class:`PolicyExpectation`:

* ``deny: []`` (the default) — any deny fails; ``deny: [ids]`` — exactly those ids must
  deny (they become notes), others fail, missing ones fail; ``deny: any`` — not gated.
* ``warn: []`` (prod) — any warning fails; ``warn: [ids]`` — exactly those; unset —
  warnings are reported as warnings (they fail only with fail-on-warn).

Honoured exemptions are reported as notes (tallied, like Polaris' ``<check>-exempt``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from chartgate.manifests import ManifestSet
from chartgate.policy.engine import PolicyEngine, PolicyHit, ScenarioPolicy
from chartgate.render import Rendered
from chartgate.report.model import Finding, Severity
from chartgate.scenario import PolicyExpectation

STAGE = "policy"



def _detail(hit: PolicyHit) -> str:
    """The message without the ``[CLK-…] Kind/name: `` prefix (a Finding carries both)."""
    prefix = f"[{hit.id}] {hit.object}: "
    return hit.message[len(prefix):] if hit.message.startswith(prefix) else hit.message


def compare(expect: PolicyExpectation, result: ScenarioPolicy, scenario: str) -> list[Finding]:
    """Findings for one scenario: results graded by the expectation, plus missing ids."""
    findings: list[Finding] = []
    wanted = {"deny": expect.deny, "warn": expect.warn}
    for hit in sorted(result.hits, key=lambda h: (h.severity, h.id, h.object, h.path)):
        text = _detail(hit)
        if hit.severity == "exempt":
            sev, msg = Severity.NOTE, text
        else:
            want = wanted[hit.severity]
            if want is None and hit.severity == "deny":
                sev, msg = Severity.NOTE, f"{text} (not gated: the scenario accepts any deny)"
            elif want is None:
                sev, msg = Severity.WARNING, text
            elif hit.id in want:
                sev, msg = Severity.NOTE, f"{text} (expected by the scenario)"
            else:
                expected = ", ".join(want) if want else "none"
                sev = Severity.ERROR
                msg = f"{text} (unexpected {hit.severity}: the scenario expects {expected})"
        findings.append(Finding(stage=STAGE, rule=hit.id, message=msg, severity=sev,
                                scenario=scenario, object=hit.object, template=hit.template,
                                path=hit.path))
    for severity, want in wanted.items():
        if not want:
            continue
        got = result.ids(severity)
        for rid in want:
            if rid not in got:
                findings.append(Finding(
                    stage=STAGE, rule=rid, severity=Severity.ERROR, scenario=scenario,
                    message=f"the scenario expects policy {rid} to {severity}, but it did not "
                            f"(got {severity}: {', '.join(sorted(got)) or 'nothing'})",
                    expected=sorted(want), actual=sorted(got)))
    return findings


class PolicyStage:
    """The ``policy`` stage (see the module docstring)."""

    name = STAGE

    def __init__(self, policy_dir: Path | Sequence[Path] | None = None, data: Sequence[Path] | None = None,
                 engine: PolicyEngine | None = None, result_cache: bool = False) -> None:
        self.engine = engine or PolicyEngine(policy_dir, data, result_cache=result_cache)
        self.results: dict[str, ScenarioPolicy] = {}
        self._warming: threading.Thread | None = None
        self._queued: dict[str, ManifestSet] = {}  # observed, not yet sent to OPA
        self._external: dict[str, tuple[str, ...]] = {}  # each scenario's externalObjects
        self._pool: ThreadPoolExecutor | None = None
        self._evaluating: list[Future[dict[str, ScenarioPolicy]]] = []
        self._lock = threading.Lock()  # _queued and _draining, shared with the background evaluation
        self._draining = False  # an evaluation runs in the background and takes what is queued next

    def __enter__(self) -> PolicyStage:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.engine.close()

    @staticmethod
    def applies(rendered: Rendered) -> bool:
        return rendered.ok and rendered.manifests is not None and rendered.scenario.wants(STAGE)

    def warm_up(self) -> None:
        """Start OPA now, in the background (the gate calls this while it renders), unless
        earlier runs' results for these policies exist (then OPA may not be needed at all).
        :meth:`prepare` waits for it; a start-up error surfaces there."""
        if self._warming is not None or self.engine.results().exists():
            return

        def start() -> None:
            with contextlib.suppress(Exception):  # prepare() starts again and reports it
                self.engine.evaluator()

        self._warming = threading.Thread(target=start, name="chartgate-opa-warm-up", daemon=True)
        self._warming.start()

    CHUNK = 10  # observed renders that start a background evaluation when none runs

    def observe(self, rendered: Rendered) -> None:
        """Queue one render. When :attr:`CHUNK` of them wait and OPA is idle, they go to OPA
        in the background; that evaluation then takes whatever was queued meanwhile, until
        nothing is. OPA evaluates while the renderer works on the next scenarios, and what
        is left for :meth:`prepare` after the last render is small."""
        name = rendered.scenario.name
        if not self.applies(rendered) or name in self.results or name in self._queued:
            return
        assert rendered.manifests is not None
        with self._lock:
            self._queued[name] = rendered.manifests
            self._external[name] = rendered.scenario.external_objects
            if self._draining or len(self._queued) < self.CHUNK:
                return
            batch, self._queued = self._queued, {}
            self._draining = True
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chartgate-policy")
        self._evaluating.append(self._pool.submit(self._drain, batch, self._warming))

    def _drain(self, batch: Mapping[str, ManifestSet],
               warming: threading.Thread | None) -> dict[str, ScenarioPolicy]:
        """Evaluate ``batch``, then everything queued meanwhile, until the queue is empty."""
        if warming is not None:  # one OPA: the warm-up starts it
            warming.join()
        out: dict[str, ScenarioPolicy] = {}
        try:
            while True:
                out.update(self.engine.evaluate(batch, {name: self._external.get(name, ())
                                                        for name in batch}))
                with self._lock:
                    batch, self._queued = self._queued, {}
                    if not batch:
                        self._draining = False  # the next CHUNK observed starts another
                        return out
        except BaseException:
            with self._lock:
                self._draining = False
            raise

    def prepare(self, rendered: Mapping[str, Rendered]) -> None:
        """Evaluate every scenario in one OPA server, then stop it (nothing lingers)."""
        warming, self._warming = self._warming, None
        evaluating, self._evaluating = self._evaluating, []
        try:
            for pending in evaluating:
                self.results.update(pending.result())
            with self._lock:
                self._queued = {}  # fewer than CHUNK left after the last background evaluation
            todo = {name: r.manifests for name, r in rendered.items()
                    if self.applies(r) and name not in self.results and r.manifests is not None}
            if warming is not None:
                warming.join()
            if todo:
                self.results.update(self.engine.evaluate(
                    todo, {name: rendered[name].scenario.external_objects for name in todo}))
        finally:
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None
            self.engine.close()

    def check(self, rendered: Rendered) -> list[Finding]:
        if not self.applies(rendered):
            return []
        name = rendered.scenario.name
        if name not in self.results:
            self.prepare({name: rendered})
        return compare(rendered.scenario.expect.policy, self.results[name], name)
