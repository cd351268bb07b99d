"""Benchmark (not a test): two ways to load the policy pack into an OPA server.

* paths (what chartgate does): ``opa run --server`` is given the ``*.rego`` files, the data
  directory and the batch driver; OPA loads and compiles them once before it listens.
* upload (what chartgate did before): an empty ``opa run --server``, then every module
  PUT through the REST API (each PUT recompiles the modules loaded so far; a module whose
  dependency is not loaded yet fails and is retried until no progress), then each
  top-level data key PUT after merging the YAML files in Python.

Each round measures start → ready to evaluate for both; the median of the rounds and the
ratio upload / paths are printed.

Usage: .venv/bin/python bench/opa_load_bench.py [--rounds N] [--policies DIR]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import yaml

from chartgate.policy.conftest import DRIVER_ID, driver, jsonable, package_of, packages, policy_files
from chartgate.policy.evaluator import Evaluator
from chartgate.tools.opa import OpaServer

ROOT = Path(__file__).resolve().parents[1]


def load_by_paths(policies: Path) -> float:
    t0 = time.perf_counter()
    with Evaluator(policies, data=[policies / "data"]):
        return time.perf_counter() - t0


def load_by_upload(policies: Path) -> float:
    from opa_client import OpaClient
    from opa_client.errors import RegoParseError

    files = policy_files(policies)
    t0 = time.perf_counter()
    with OpaServer([]) as server:
        client = OpaClient(host="127.0.0.1", port=server.port, retries=0, timeout=300)
        # libraries first, as chartgate did: a module calling an undefined function fails
        ordered = sorted(files, key=lambda f: (package_of(f.read_text()) or "").split(".")[0] != "lib")
        pending = {f.relative_to(policies).as_posix(): f.read_text() for f in ordered}
        while pending:
            progressed = False
            for module_id, text in list(pending.items()):
                try:
                    client.update_policy_from_string(text, module_id, rego_compat=False)
                except RegoParseError:
                    continue
                del pending[module_id]
                progressed = True
            if not progressed:
                raise SystemExit(f"modules do not compile: {sorted(pending)}")
        data: dict[str, Any] = {}
        for f in sorted((policies / "data").glob("*.yaml")):
            data.update(jsonable(yaml.safe_load(f.read_text()) or {}))
        for key, value in data.items():
            client.update_or_create_data(value, key)
        namespaces = sorted(p for p in packages(files) if not p.startswith("lib"))
        client.update_policy_from_string(driver(namespaces), DRIVER_ID, rego_compat=False)
        elapsed = time.perf_counter() - t0
        client.close_connection()
        return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--policies", type=Path, default=ROOT / "src" / "chartgate" / "policies")
    args = ap.parse_args()
    paths, upload = [], []
    for _ in range(args.rounds):
        paths.append(load_by_paths(args.policies))
        upload.append(load_by_upload(args.policies))
    p, u = statistics.median(paths), statistics.median(upload)
    print(f"{len(policy_files(args.policies))} modules, {args.rounds} rounds (median)")
    print(f"paths  (opa run --server with the files): {p:6.2f} s")
    print(f"upload (REST PUT per module, retried):    {u:6.2f} s")
    print(f"ratio upload / paths: {u / p:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
