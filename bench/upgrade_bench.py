"""Benchmark (a script, never a test): what the upgrade stage adds to a cold gate.

One run on this machine, two fresh processes, each with an empty render cache and empty
result caches:

  gate           chartgate's static gate over every scenario of tests/scenarios
                 (render, assertions, k8s-schema, values-schema, policy).
  gate+upgrade   the same, plus the upgrade stage against a base chart whose files differ
                 from the working tree's (a copy with another Chart.yaml version), so every
                 base render is a real render, not a cache hit of the head render.
  warm base      gate+upgrade again with empty result caches and the head renders not
                 cached, but the base renders cached from an earlier run — CI on a pull
                 request whose base branch did not move since the last run.

Both renders of a scenario go through the same renderer (the persistent renderer when it
is built) and cache. Prints both times and the ratio (gate+upgrade − gate) / gate — the
issue's target is ≤ 1×.

Usage: .venv/bin/python bench/upgrade_bench.py [--stages render,assertions,...] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "deploy" / "helm" / "clockwork"
SCENARIOS = ROOT / "tests" / "scenarios"
POLICIES = ROOT / "src" / "chartgate" / "policies"
GATE_STAGES = ("render", "assertions", "k8s-schema", "values-schema", "policy")


def once(render_dir: str, stages: str, base: str, chart: str = "") -> dict[str, Any]:
    """One gate run (in a child process): timings and outcome."""
    t0 = time.perf_counter()
    from collections import Counter

    from chartgate.pipeline import Gate, GateConfig
    from chartgate.render import Renderer
    from chartgate.tools.helm import Helm

    t1 = time.perf_counter()
    config = GateConfig(chart=Path(chart) if chart else CHART, scenarios=SCENARIOS,
                        stages=tuple(stages.split(",")),
                        policies=POLICIES, ci=True, base=base or None,
                        progress=bool(os.environ.get("BENCH_PROGRESS")))
    renderer = Renderer(Helm(), cache_dir=Path(render_dir))
    gate = Gate(config, renderer=renderer)
    report = gate.run()
    t2 = time.perf_counter()
    upgrade_s = sum(r.duration for r in report.results if r.stage == "upgrade")
    return {"import_s": t1 - t0, "gate_s": t2 - t1, "scenarios": len(gate.scenarios),
            "renders": renderer.renders, "persistent": renderer._fast is not None,
            "upgrade_check_s": upgrade_s,
            "statuses": dict(sorted(Counter(f"{r.stage}:{r.status}" for r in report.results).items()))}


def run(stages: str, base: str, work: Path, tag: str, render_dir: Path | None = None,
        chart: str = "") -> dict[str, Any]:
    from chartgate import proc

    render_dir = render_dir or work / f"render-{tag}"
    results_dir = work / f"results-{tag}"
    render_dir.mkdir(exist_ok=True)
    results_dir.mkdir()
    t0 = time.perf_counter()
    cpu0 = _children_cpu()
    res = proc.run([sys.executable, __file__, "--once", str(render_dir), stages, base, chart],
                   env={"CHARTGATE_RESULTS_DIR": str(results_dir)}, timeout=1800)
    out: dict[str, Any] = json.loads(res.stdout.strip().splitlines()[-1])
    out["wall_s"] = time.perf_counter() - t0
    out["cpu_s"] = _children_cpu() - cpu0
    return out


def _children_cpu() -> float:
    """CPU seconds (user + system) of finished child processes and what they waited for
    (helm, the persistent renderer, OPA): less sensitive to a busy machine than wall time."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stages", default=",".join(GATE_STAGES))
    ap.add_argument("--json", help="write the results here too")
    ap.add_argument("--once", nargs=4, metavar=("RENDER_DIR", "STAGES", "BASE", "CHART"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.once:
        print(json.dumps(once(*args.once)))
        return 0
    with tempfile.TemporaryDirectory(prefix="upgrade-bench-") as tmp:
        work = Path(tmp)
        base = work / "base-chart"
        shutil.copytree(CHART, base)
        chart_yaml = base / "Chart.yaml"
        chart_yaml.write_text(re.sub(r"(?m)^version: .*$", "version: 0.0.1-bench",
                                     chart_yaml.read_text()))
        gate = run(args.stages, "", work, "gate")
        both = run(args.stages + ",upgrade", str(base), work, "upgrade")
        # the base chart's renders alone (as if an earlier run had made them), then the gate
        run("render", "", work, "base-only", render_dir=work / "render-warm", chart=str(base))
        warm = run(args.stages + ",upgrade", str(base), work, "warm", render_dir=work / "render-warm")
    extra = both["gate_s"] - gate["gate_s"]
    warm_extra = warm["gate_s"] - gate["gate_s"]
    result = {"gate": gate, "gate+upgrade": both, "warm base": warm, "extra_s": extra,
              "ratio": extra / gate["gate_s"], "warm_ratio": warm_extra / gate["gate_s"],
              "cpu_ratio": (both["cpu_s"] - gate["cpu_s"]) / gate["cpu_s"],
              "warm_cpu_ratio": (warm["cpu_s"] - gate["cpu_s"]) / gate["cpu_s"]}
    print(f"scenarios: {gate['scenarios']}; persistent renderer: {gate['persistent']}")
    print(f"{'cold gate':24} {gate['gate_s']:7.2f} s  {gate['cpu_s']:7.2f} s CPU  "
          f"({gate['renders']} renders)")
    print(f"{'cold gate + upgrade':24} {both['gate_s']:7.2f} s  {both['cpu_s']:7.2f} s CPU  "
          f"({both['renders']} renders; upgrade checks {both['upgrade_check_s']:.2f} s)")
    print(f"{'… with the base cached':24} {warm['gate_s']:7.2f} s  {warm['cpu_s']:7.2f} s CPU  "
          f"({warm['renders']} renders)")
    print(f"upgrade stage's extra time / cold gate: {result['ratio']:.2f}× (target ≤ 1×); "
          f"with the base cached: {result['warm_ratio']:.2f}×; in CPU time: {result['cpu_ratio']:.2f}× and "
          f"{result['warm_cpu_ratio']:.2f}×")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
