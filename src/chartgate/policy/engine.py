"""The policy engine: scenarios' manifest sets in, per-scenario policy results out.

Package ``main`` runs once per distinct document (conftest's default mode), package
``combine`` once per scenario on conftest's ``--combine`` input, both batched in one OPA
server (:class:`~chartgate.policy.evaluator.Evaluator`); evaluations of earlier runs come
from the results cache, and OPA starts only if something is left to evaluate.
"""

from __future__ import annotations

import datetime as _dt
import importlib.resources
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chartgate.manifests import Document, ManifestSet
from chartgate.policy.conftest import Evaluation, RuleResult
from chartgate.policy.evaluator import Evaluator
from chartgate.results_cache import ResultCache, body_key, digest, files_digest
from chartgate.results_cache import enabled as results_enabled
from chartgate.tools.versions import tool

CACHE_NAME = "policy"  # the results cache's file name prefix
RESULTS_VERSION = "policy/2"  # bump when evaluations are read or pickled differently


def builtin_policy_dir() -> Path:
    """The built-in policy pack shipped inside the package (``chartgate/policies``): found
    next to this module, so an installed wheel has it as well as a source checkout."""
    return Path(str(importlib.resources.files("chartgate") / "policies"))


def default_policy_dir() -> Path:
    """The policy directory used when none is given: the built-in pack."""
    return builtin_policy_dir()


def policy_dirs(policies: Path | None = None, extra: Sequence[Path] = (),
                chart: Path | None = None) -> list[Path]:
    """The policy directories a run evaluates together. ``policies`` replaces the built-in
    pack; without it the built-in pack comes first, then the chart's own ``policies/``
    (next to its Chart.yaml, when it holds ``*.rego``); every ``extra`` directory extends
    either."""
    dirs = [Path(policies)] if policies else [builtin_policy_dir()]
    own = chart / "policies" if chart is not None else None
    if not policies and own is not None and own.is_dir() and any(own.rglob("*.rego")):
        dirs.append(own)
    dirs += [Path(d) for d in extra if Path(d) not in dirs]
    return dirs


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

    def __init__(self, policy_dir: Path | Sequence[Path] | None = None, data: Sequence[Path] | None = None,
                 namespace: str = "main", combine_namespace: str = "combine",
                 server: Evaluator | None = None, result_cache: bool = False) -> None:
        if isinstance(policy_dir, (str, Path)):
            policy_dir = [Path(policy_dir)]
        self.policy_dirs = [Path(d) for d in policy_dir] if policy_dir else [default_policy_dir()]
        self.policy_dir = self.policy_dirs[0]
        if data is None:  # each directory's data/ (the pack's, then the extensions')
            data = [d / "data" for d in self.policy_dirs if (d / "data").is_dir()]
        self.data = list(data)
        self.namespace = namespace
        self.combine_namespace = combine_namespace
        self._server = server
        self._owns_server = server is None
        self.result_cache = result_cache  # the gate turns it on (CHARTGATE_RESULT_CACHE=0: off)
        self._results: ResultCache | None = None

    def __enter__(self) -> PolicyEngine:
        self.evaluator()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def evaluator(self) -> Evaluator:
        """The OPA server, started on first use."""
        if self._server is None:
            self._server = Evaluator(self.policy_dirs, data=self.data,
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
            files = sorted(p for d in self.policy_dirs for p in d.rglob("*.rego"))
            for d in self.data:
                d = Path(d)
                files += sorted(p for p in d.rglob("*") if p.is_file()) if d.is_dir() else [d]
            salt = digest(RESULTS_VERSION, files_digest(files), tool("opa").version, self.namespace,
                          self.combine_namespace, _dt.datetime.now(_dt.UTC).date().isoformat())
            self._results = ResultCache(
                CACHE_NAME, salt, enabled_=bool(self.result_cache) and results_enabled())
        return self._results

    def evaluate(self, sets: Mapping[str, ManifestSet],
                 external: Mapping[str, Sequence[str]] | None = None) -> dict[str, ScenarioPolicy]:
        """``{label: manifests}`` → ``{label: ScenarioPolicy}`` in two batched passes.

        Package main runs once per *distinct* document (a matrix renders the same
        ServiceAccount in every scenario), combine once per scenario; results of earlier
        runs come from :meth:`results`, and OPA starts only if something is left.
        ``external[label]`` lists the objects ("Kind/name") that set's release references
        but the cluster provides (added to ``data.chartgate.external_objects`` for it)."""
        external = external or {}
        cache = self.results()
        labels = list(sets)
        flat: list[tuple[str, Document]] = [(label, d) for label in labels for d in sets[label]]
        out = {label: ScenarioPolicy(documents=len(sets[label])) for label in labels}
        doc_keys = ["main|" + body_key(d.body) for _, d in flat]
        todo: dict[str, Mapping[str, Any]] = {}
        for key, (_, doc) in zip(doc_keys, flat, strict=True):
            if key not in todo and key not in cache:
                todo[key] = doc.body
        # a set is its documents' digests in order (no repr of the whole set again)
        set_keys = [f"combine|{label}|" + digest(*(body_key(d.body) for d in sets[label]),
                                                   *sorted(external.get(label, ())))
                    for label in labels]
        missing = [i for i, key in enumerate(set_keys) if key not in cache]
        # the two passes are independent: OPA evaluates them at the same time, on two cores
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chartgate-policy") as pool:
            combining = pool.submit(
                self.evaluator().evaluate_combined, self.combine_namespace,
                [[d.body for d in sets[labels[i]]] for i in missing],
                paths=[f"{labels[i]}.yaml" for i in missing],
                external=[external.get(labels[i], ()) for i in missing]) if missing else None
            if todo:
                for key, ev in zip(todo, self.evaluator().evaluate(self.namespace, list(todo.values())),
                                   strict=True):
                    cache.put(key, ev)
            combined = combining.result() if combining is not None else []
        for key, (label, doc) in zip(doc_keys, flat, strict=True):
            out[label].hits.extend(_hits_for_doc(cache.get(key), doc, self.namespace))
        for i, ev in zip(missing, combined, strict=True):
            cache.put(set_keys[i], ev)
        for label, key in zip(labels, set_keys, strict=True):
            out[label].hits.extend(_hit_for_set(r, sets[label], self.combine_namespace)
                                   for r in cache.get(key).results)
        cache.save()
        return out
