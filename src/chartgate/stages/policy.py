"""Policy stage: every rendered document of every scenario through the Rego policies.

``prepare()`` starts one OPA server (:class:`chartgate.tools.opa.OpaServer`) and
evaluates all documents of all scenarios in batched requests: package ``main`` once per
document (conftest's default mode) and package ``combine`` once per scenario on
conftest's ``--combine`` input. ``check()`` turns one scenario's results into findings
and compares the policy ids with the scenario's :class:`PolicyExpectation`:

* ``deny: []`` (the default) — any deny fails; ``deny: [ids]`` — exactly those ids must
  deny (they become notes), others fail, missing ones fail; ``deny: any`` — not gated.
* ``warn: []`` (prod) — any warning fails; ``warn: [ids]`` — exactly those; unset —
  warnings are reported as warnings (they fail only with fail-on-warn).

Honoured exemptions are reported as notes (tallied, like Polaris' ``<check>-exempt``).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import importlib.resources
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chartgate.manifests import Document, ManifestSet
from chartgate.render import Rendered
from chartgate.report.model import Finding, Severity
from chartgate.results_cache import ResultCache, body_key, digest, files_digest
from chartgate.results_cache import enabled as results_enabled
from chartgate.scenario import PolicyExpectation
from chartgate.tools.opa import Evaluation, OpaServer, RuleResult
from chartgate.tools.versions import tool

STAGE = "policy"
RESULTS_VERSION = "policy/1"  # bump when evaluations are read differently


def builtin_policy_dir() -> Path:
    """The built-in policy pack shipped inside the package (``chartgate/policies``): found
    next to this module, so an installed wheel has it as well as a source checkout."""
    return Path(str(importlib.resources.files("chartgate") / "policies"))


def default_policy_dir() -> Path:
    """The policy directory used when none is given: the built-in pack."""
    return builtin_policy_dir()


@dataclass(frozen=True)
class PolicyHit:
    """One policy result tied to the document it is about."""

    severity: str  # deny | warn | exempt
    id: str
    object: str  # Kind/name
    message: str
    template: str = ""
    path: str = ""
    namespace: str = "main"


@dataclass
class ScenarioPolicy:
    """All policy results of one scenario."""

    hits: list[PolicyHit] = field(default_factory=list)
    documents: int = 0

    def ids(self, severity: str) -> set[str]:
        return {h.id for h in self.hits if h.severity == severity}

    def keys(self, severities: Sequence[str] = ("deny", "warn")) -> set[tuple[str, str]]:
        """``(id, Kind/name)`` pairs — what parity with conftest compares."""
        return {(h.id, h.object) for h in self.hits if h.severity in severities}


def _hits_for_doc(ev: Evaluation, doc: Document, namespace: str) -> list[PolicyHit]:
    hits = [PolicyHit(r.severity, r.id, r.resource or doc.ref, r.message, doc.template, r.path, namespace)
            for r in ev.results]
    for ex in ev.exemptions:
        if ex.suppressed:
            why = f"exempted from {ex.id}"
            if ex.reason:
                why += f": {ex.reason}"
            if ex.expires:
                why += f" (until {ex.expires}"
                why += f", {ex.source})" if ex.source else ")"
            hits.append(PolicyHit("exempt", ex.id, doc.ref, why, doc.template,
                                  "metadata.annotations", namespace))
    return hits


def _hit_for_set(r: RuleResult, manifests: ManifestSet, namespace: str) -> PolicyHit:
    template = ""
    for d in manifests:
        if d.ref == r.resource:
            template = d.template
            break
    return PolicyHit(r.severity, r.id, r.resource, r.message, template, r.path, namespace)


class PolicyEngine:
    """Evaluate many manifest sets in one OPA server (batched), conftest-compatibly."""

    def __init__(self, policy_dir: Path | None = None, data: Sequence[Path] | None = None,
                 namespace: str = "main", combine_namespace: str = "combine",
                 server: OpaServer | None = None, result_cache: bool = False) -> None:
        self.policy_dir = Path(policy_dir) if policy_dir else default_policy_dir()
        if data is None:
            data = [self.policy_dir / "data"] if (self.policy_dir / "data").is_dir() else []
        self.data = list(data)
        self.namespace = namespace
        self.combine_namespace = combine_namespace
        self._server = server
        self._owns_server = server is None
        self.result_cache = result_cache  # the gate turns it on (CHARTGATE_RESULT_CACHE=0: off)
        self._results: ResultCache | None = None

    def __enter__(self) -> PolicyEngine:
        self.server()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def server(self) -> OpaServer:
        if self._server is None:
            self._server = OpaServer(self.policy_dir, data=self.data,
                                     namespaces=[self.namespace, self.combine_namespace])
        if not self._server.running:
            self._server.start()
        return self._server

    def close(self) -> None:
        if self._server is not None and self._owns_server:
            self._server.stop()
            self._server = None

    def results(self) -> ResultCache:
        """Evaluations persisted across runs. The salt holds everything besides the input
        that decides them: policy files, data, OPA version, namespaces, and the UTC day
        (exemptions expire by date)."""
        if self._results is None:
            files = sorted(self.policy_dir.rglob("*.rego"))
            for d in self.data:
                d = Path(d)
                files += sorted(p for p in d.rglob("*") if p.is_file()) if d.is_dir() else [d]
            salt = digest(RESULTS_VERSION, files_digest(files), tool("opa").version, self.namespace,
                          self.combine_namespace, _dt.datetime.now(_dt.UTC).date().isoformat())
            self._results = ResultCache(
                STAGE, salt, enabled_=bool(self.result_cache) and results_enabled())
        return self._results

    def evaluate(self, sets: Mapping[str, ManifestSet]) -> dict[str, ScenarioPolicy]:
        """``{label: manifests}`` → ``{label: ScenarioPolicy}`` in two batched passes.

        Package main runs once per *distinct* document (a matrix renders the same
        ServiceAccount in every scenario), combine once per scenario; results of earlier
        runs come from :meth:`results`, and OPA starts only if something is left."""
        cache = self.results()
        labels = list(sets)
        flat: list[tuple[str, Document]] = [(label, d) for label in labels for d in sets[label]]
        out = {label: ScenarioPolicy(documents=len(sets[label])) for label in labels}
        doc_keys = ["main|" + body_key(d.body) for _, d in flat]
        todo: dict[str, Mapping[str, Any]] = {}
        for key, (_, doc) in zip(doc_keys, flat, strict=True):
            if key not in todo and key not in cache:
                todo[key] = doc.body
        if todo:
            for key, ev in zip(todo, self.server().evaluate(self.namespace, list(todo.values())),
                               strict=True):
                cache.put(key, ev)
        for key, (label, doc) in zip(doc_keys, flat, strict=True):
            out[label].hits.extend(_hits_for_doc(cache.get(key), doc, self.namespace))
        set_keys = [f"combine|{label}|" + body_key([d.body for d in sets[label]]) for label in labels]
        missing = [i for i, key in enumerate(set_keys) if key not in cache]
        if missing:
            combined = self.server().evaluate_combined(
                self.combine_namespace, [[d.body for d in sets[labels[i]]] for i in missing],
                paths=[f"{labels[i]}.yaml" for i in missing])
            for i, ev in zip(missing, combined, strict=True):
                cache.put(set_keys[i], ev)
        for label, key in zip(labels, set_keys, strict=True):
            out[label].hits.extend(_hit_for_set(r, sets[label], self.combine_namespace)
                                   for r in cache.get(key).results)
        cache.save()
        return out


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

    def __init__(self, policy_dir: Path | None = None, data: Sequence[Path] | None = None,
                 engine: PolicyEngine | None = None, result_cache: bool = False) -> None:
        self.engine = engine or PolicyEngine(policy_dir, data, result_cache=result_cache)
        self.results: dict[str, ScenarioPolicy] = {}
        self._warming: threading.Thread | None = None

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
                self.engine.server()

        self._warming = threading.Thread(target=start, name="chartgate-opa-warm-up", daemon=True)
        self._warming.start()

    def prepare(self, rendered: Mapping[str, Rendered]) -> None:
        """Evaluate every scenario in one OPA server, then stop it (nothing lingers)."""
        warming, self._warming = self._warming, None
        todo = {name: r.manifests for name, r in rendered.items()
                if self.applies(r) and name not in self.results and r.manifests is not None}
        try:
            if warming is not None:
                warming.join()
            if todo:
                self.results.update(self.engine.evaluate(todo))
        finally:
            self.engine.close()

    def check(self, rendered: Rendered) -> list[Finding]:
        if not self.applies(rendered):
            return []
        name = rendered.scenario.name
        if name not in self.results:
            self.prepare({name: rendered})
        return compare(rendered.scenario.expect.policy, self.results[name], name)
