"""One OPA server holding a policy directory and its data, evaluating conftest-style
packages for many documents per HTTP request.

OPA loads the directory's ``*.rego`` (tests excluded), the data files and the batch driver
(:func:`chartgate.policy.conftest.driver`) at start; each request evaluates ``data.<namespace>
with input as doc`` for a whole batch of documents inside OPA.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from chartgate.policy.conftest import (
    DRIVER_ID,
    DRIVER_PACKAGE,
    DRIVER_RULE,
    Evaluation,
    driver,
    evaluation,
    jsonable,
    packages,
    policy_files,
)
from chartgate.tools.opa import OpaError, OpaServer, PolicyCompileError
from chartgate.util.lifecycle import Service

DEFAULT_BATCH = 2000  # documents per HTTP request


class Evaluator(Service):
    """``with Evaluator(Path("policies"), data=[Path("policies/data")]) as opa:
    opa.evaluate("main", documents)``."""

    def __init__(self, policy_dir: Path | Sequence[Path], data: Sequence[Path] = (),
                 binary: Path | None = None, namespaces: Sequence[str] | None = None,
                 batch_size: int = DEFAULT_BATCH, start_timeout: float = 30.0,
                 query_timeout: float = 300.0) -> None:
        dirs = [policy_dir] if isinstance(policy_dir, (str, Path)) else policy_dir
        self.policy_dirs = [Path(d) for d in dirs]
        self.policy_dir = self.policy_dirs[0]
        self.data_paths = [Path(p) for p in data]
        self.batch_size = batch_size
        self._requested = list(namespaces) if namespaces else None
        self.namespaces: list[str] = []
        self.packages: set[str] = set()
        self.server = OpaServer([], binary=binary, start_timeout=start_timeout, query_timeout=query_timeout)
        # id(document) -> (document, its JSON form): a matrix's scenarios share most documents,
        # and the combined pass sends each again in every set it is part of
        self._json: dict[int, tuple[Mapping[str, Any], Any]] = {}

    @property
    def running(self) -> bool:
        return self.server.running

    @property
    def requests(self) -> int:
        """Evaluation HTTP requests made (for tests and benchmarks)."""
        return self.server.requests

    def start(self) -> Evaluator:
        if self.running:
            return self
        files = [f for d in self.policy_dirs for f in policy_files(d)]
        if not files:
            raise OpaError(f"no policies (*.rego) under {', '.join(map(str, self.policy_dirs))}")
        missing = [p for p in self.data_paths if not p.exists()]
        if missing:
            raise OpaError(f"policy data not found: {', '.join(map(str, missing))}")
        self.packages = packages(files)
        wanted = self._requested or sorted(p for p in self.packages if not p.startswith("lib"))
        self.namespaces = [n for n in wanted if n in self.packages]
        self.server.paths = [*files, *self.data_paths]
        self.server.modules = {DRIVER_ID: driver(self.namespaces)}
        try:
            self.server.start()
        except PolicyCompileError as exc:
            raise PolicyCompileError(f"policies in {', '.join(map(str, self.policy_dirs))} do not compile:"
                                     f"{str(exc).partition(':')[2]}", exc.locations) from None
        return self

    def stop(self) -> None:
        """Stop OPA (idempotent)."""
        self.server.stop()

    def evaluate(self, namespace: str, documents: Sequence[Mapping[str, Any]]) -> list[Evaluation]:
        """Evaluate package ``namespace`` once per document (conftest's per-document mode)."""
        return self._evaluate(namespace, "docs", [self._jsonable(d) for d in documents])

    def _jsonable(self, document: Mapping[str, Any]) -> Any:
        """:func:`jsonable` of ``document``, once per document object (they are read-only)."""
        hit = self._json.get(id(document))
        if hit is None or hit[0] is not document:
            hit = self._json[id(document)] = (document, jsonable(document))
        return hit[1]

    def evaluate_combined(self, namespace: str, sets: Sequence[Sequence[Mapping[str, Any]]],
                          paths: Sequence[str] | None = None,
                          external: Sequence[Sequence[str]] | None = None) -> list[Evaluation]:
        """Evaluate ``namespace`` once per set of documents, each presented as conftest's
        ``--combine`` input ``[{path, contents}]`` (one entry per document); ``external[i]``
        ("Kind/name", objects the cluster provides) is added to the data's
        ``chartgate.external_objects`` for set ``i``."""
        inputs = []
        for i, docs in enumerate(sets):
            path = paths[i] if paths else f"set-{i}.yaml"
            inputs.append({"input": [{"path": path, "contents": self._jsonable(d)} for d in docs],
                           "external": list(external[i]) if external else []})
        return self._evaluate(namespace, "sets", inputs)

    def _evaluate(self, namespace: str, key: str, inputs: list[Any]) -> list[Evaluation]:
        if namespace not in self.namespaces:  # no such package: nothing to report
            return [Evaluation() for _ in inputs]
        out: list[Evaluation] = []
        size = self.batch_size if key == "docs" else max(1, self.batch_size // 20)
        for start in range(0, len(inputs), size):
            chunk = inputs[start:start + size]
            rows = self.server.query(DRIVER_PACKAGE, DRIVER_RULE, {key: {namespace: chunk}})[namespace][key]
            out.extend(evaluation(row) for row in rows)
        return out
