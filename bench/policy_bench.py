"""Benchmark (not a test): batched OPA evaluation vs one `conftest test` process per scenario.

Both sides evaluate the same policies on the same rendered documents (every scenario of
tests/scenarios that renders and runs the policy stage; rendering is done once, before
timing, and is not counted):

* chartgate: one OPA server; package main per document and package combine per scenario,
  in batched HTTP requests. Reported with and without the server start-up.
* conftest:  per scenario, `conftest test` (package main) and `conftest test --combine
  --namespace combine`, one process each, sequentially — what a per-scenario CI loop does.

Usage: .venv/bin/python bench/policy_bench.py [--repeat N] [--limit N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="OPA evaluation rounds (best is reported)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N scenarios")
    ap.add_argument("--target", type=float, default=10.0, help="speed-up to reach")
    args = ap.parse_args()

    from chartgate.policy.engine import PolicyEngine
    from chartgate.render import Renderer
    from chartgate.scenario import Defaults, load_dir
    from chartgate.tools import bootstrap
    from chartgate.tools.conftest import Conftest
    from chartgate.tools.helm import Helm

    policies = ROOT / "src" / "chartgate" / "policies"
    data = policies / "data"
    scenarios = load_dir(
        ROOT / "tests" / "scenarios", Defaults(chart=(ROOT / "deploy/helm/clockwork").resolve())
    )
    rendered = Renderer(Helm()).render_all(scenarios)
    sets = {
        n: r.manifests
        for n, r in rendered.items()
        if r.ok and r.manifests is not None and r.scenario.wants("policy")
    }
    if args.limit:
        sets = dict(list(sets.items())[: args.limit])
    docs = sum(len(m) for m in sets.values())
    print(f"matrix: {len(sets)} scenarios, {docs} documents")

    # --- chartgate: one OPA server, batched ------------------------------------------
    t0 = time.perf_counter()
    engine = PolicyEngine(policies, [data])
    with engine:
        startup = time.perf_counter() - t0
        best = float("inf")
        for _ in range(args.repeat):
            t1 = time.perf_counter()
            engine.evaluate(sets)
            best = min(best, time.perf_counter() - t1)
        requests = engine.evaluator().requests // args.repeat
    opa_rate = docs / best
    opa_total_rate = docs / (best + startup)
    print(
        f"chartgate/OPA : {best:7.2f}s eval ({requests} HTTP requests per round) "
        f"-> {opa_rate:8.1f} docs/s; with {startup:.2f}s server start-up: {opa_total_rate:8.1f} docs/s"
    )

    # --- conftest: one process per scenario ------------------------------------------
    conftest = Conftest(policies, [data], bootstrap.binary("conftest"))
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for i, (name, m) in enumerate(sets.items()):
            files[name] = Path(tmp) / f"s{i:03d}.yaml"
            files[name].write_text(m.raw)
        t2 = time.perf_counter()
        for f in files.values():
            conftest.test([f], namespace="main")
            conftest.test([f], namespace="combine", combine=True)
        ct = time.perf_counter() - t2
    ct_rate = docs / ct
    print(f"conftest      : {ct:7.2f}s ({2 * len(files)} processes) -> {ct_rate:8.1f} docs/s")
    speedup, speedup_total = opa_rate / ct_rate, opa_total_rate / ct_rate
    print(
        f"speed-up      : {speedup:.1f}x (evaluation), {speedup_total:.1f}x (including OPA start-up); "
        f"target {args.target:.0f}x: {'met' if speedup_total >= args.target else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
