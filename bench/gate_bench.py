"""Benchmark (a script, never a test): the chartgate static gate against the usual ways
of getting the same answers, on the same scenario matrix, in ONE run on this machine.

Contenders (every scenario of tests/scenarios — 134 today, incl. the 96-combination
features matrix; each per-scenario baseline gets the same worker count as the gate):

  gate cold   chartgate gate: render + assertions + k8s-schema + values-schema + policy,
              empty render cache and empty result caches, in a fresh process
              (persistent renderer; also once with `helm template` as the renderer).
  gate warm   the same again with the caches of the cold run (unchanged chart).
  usual       per scenario: helm template | kubeconform -strict | conftest test
              (package main, and package combine with --combine: the gate's policy work).
              kubeconform is built from its Go module; its schemas are generated from
              kubernetes-validate's bundled JSON schemas (no download).
  unittest    helm-unittest (one `helm unittest` process, renders in-process) running the
              scenarios' assertions: suites generated from the scenarios into a temp copy
              of the chart (one test job per scenario).
  floor       bare `helm template` per scenario: the rendering floor.

Every process goes through chartgate.proc and the tools wrappers. Tools are built or
found by chartgate's bootstrap (helm, opa, conftest, helm-unittest, kubeconform) and the
persistent renderer by chartgate.tools.renderer.ensure().

Usage (from a fresh clone, after `pip install -e .`):
    .venv/bin/python bench/gate_bench.py [--repeat 3] [--workers N] [--json out.json]

Prints seconds and scenarios/s per contender (medians over --repeat rounds; the order of
contenders rotates between rounds) and the target ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "deploy" / "helm" / "clockwork"
SCENARIOS = ROOT / "tests" / "scenarios"
POLICIES = ROOT / "src" / "chartgate" / "policies"
GATE_STAGES = ("render", "assertions", "k8s-schema", "values-schema", "policy")


# --- one gate run, in its own process -------------------------------------------------------
def gate_once(render_dir: str, backend: str, coverage: bool = False) -> dict[str, Any]:
    """Run the gate once (called in a child process) and return timings and outcome; with
    ``coverage``, template and values coverage too (summed and its three files written)."""
    t_start = time.perf_counter()
    from collections import Counter

    from chartgate.pipeline import Gate, GateConfig
    from chartgate.render import Renderer
    from chartgate.tools.helm import Helm

    t_imported = time.perf_counter()
    config = GateConfig(chart=CHART, scenarios=SCENARIOS, stages=GATE_STAGES, policies=POLICIES,
                        ci=True, progress=bool(os.environ.get("BENCH_PROGRESS")), coverage=coverage)
    renderer = Renderer(Helm(), cache_dir=Path(render_dir), backend=backend, coverage=coverage)
    gate = Gate(config, renderer=renderer)
    gate.load()
    report = gate.run()
    branch = None
    if coverage:
        from chartgate import coverage as cov

        (chart_cov,) = cov.collect(renderer, gate.rendered.values())
        cov.write(chart_cov, Path(render_dir) / "coverage")
        branch = round(chart_cov.templates.branch_percent(), 1)
    t_done = time.perf_counter()
    statuses = Counter(f"{r.stage}:{r.status}" for r in report.results)
    return {
        "import_s": t_imported - t_start,
        "gate_s": t_done - t_imported,  # load scenarios + render + every stage + report
        "scenarios": len(gate.scenarios),
        "renders": renderer.renders,
        "persistent": renderer._fast is not None,
        "render_failures": sorted(n for n, r in gate.rendered.items() if not r.ok),
        "statuses": dict(sorted(statuses.items())),
        "branch_coverage": branch,
    }


def run_gate(render_dir: Path, results_dir: Path, backend: str, coverage: bool = False) -> dict[str, Any]:
    from chartgate import proc

    env = {"CHARTGATE_RESULTS_DIR": str(results_dir), "CHARTGATE_RENDER_BACKEND": backend,
           # chartgate's modules load from their bytecode, as an installed package's do (see
           # precompile()); a shell's PYTHONDONTWRITEBYTECODE=1 would have every timed process
           # compile from source each module the gate imports while it runs
           "PYTHONDONTWRITEBYTECODE": ""}
    t0, cpu0 = time.perf_counter(), children_cpu()
    res = proc.run([sys.executable, __file__, "--gate-once", str(render_dir), backend,
                    *(["--coverage"] if coverage else [])], env=env, timeout=1800)
    wall = time.perf_counter() - t0
    out = json.loads(res.stdout.strip().splitlines()[-1])
    out["wall_s"] = wall
    out["cpu_s"] = children_cpu() - cpu0  # the gate process and what it waited for (renderer, OPA)
    return out


def children_cpu() -> float:
    """User + system CPU seconds of every finished child process so far (and theirs).
    Under load, wall-clock ratios also measure how each contender's threads got scheduled;
    the CPU a contender burned depends on that far less."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def precompile() -> None:
    """Byte-compile chartgate's modules before any timed run, as ``pip install`` does for an
    installed package (the gate imports its stages while it runs, so their compile time
    would otherwise count in every round under PYTHONDONTWRITEBYTECODE=1)."""
    import compileall

    compileall.compile_dir(ROOT / "src" / "chartgate", quiet=1)


# --- helm-unittest suites from the scenarios --------------------------------------------------
def _ut_path(path: str) -> str:
    """chartgate path → helm-unittest JSONPath (``[name=server]`` → ``[?(@.name == "server")]``)."""
    from chartgate.manifests import parse_path

    out = ""
    for part in parse_path(path):
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, tuple):
            out += f'[?(@.{part[0]} == "{part[1]}")]'
        elif all(c.isalnum() or c in "_-" for c in part):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out


def _doc_selector(docs_in_template: list[Any], doc: Any) -> dict[str, Any]:
    """The narrowest helm-unittest selector for ``doc`` within its template."""
    kinds = [d.kind for d in docs_in_template]
    names = [d.name for d in docs_in_template]
    if len(docs_in_template) == 1:
        return {}
    if kinds.count(doc.kind) == 1:
        return {"documentSelector": {"path": "kind", "value": doc.kind}}
    if names.count(doc.name) == 1:
        return {"documentSelector": {"path": "metadata.name", "value": doc.name}}
    return {"documentIndex": docs_in_template.index(doc)}


def write_unittest_suites(scenarios: list[Any], rendered: dict[str, Any],
                          dest: Path) -> tuple[int, int, list[str]]:
    """Copy the chart to ``dest`` and write one suite per scenario file / matrix there.
    Returns (tests, asserts, scenarios whose expectation helm-unittest cannot check: their
    job renders the chart and asserts only that it rendered)."""
    import yaml

    shutil.copytree(CHART, dest, ignore=shutil.ignore_patterns("tests"))
    templates_dir = dest / "templates"
    (dest / "tests").mkdir()
    # where each Kind/name and Kind renders, over every scenario (for absent / count 0)
    where: dict[str, tuple[str, str]] = {}
    kind_where: dict[str, set[tuple[str, str]]] = {}
    for r in rendered.values():
        for d in r.manifests or ():
            where.setdefault(d.ref, (d.template.removeprefix("templates/"), d.api_version))
            kind_where.setdefault(d.kind, set()).add((d.template.removeprefix("templates/"), d.api_version))
    suites: dict[str, list[dict[str, Any]]] = {}
    n_asserts = 0
    inexpressible: list[str] = []
    for sc in scenarios:
        r = rendered[sc.name]
        m = r.manifests
        by_template: dict[str, list[Any]] = {}
        for d in m or ():
            by_template.setdefault(d.template.removeprefix("templates/"), []).append(d)
        asserts: list[dict[str, Any]] = []
        exp = sc.expect
        if not exp.renders and re.search(r"requires kubeVersion", r.error or ""):
            # Chart.yaml's kubeVersion range is checked by helm install/template, not by the
            # engine render helm-unittest runs: the job still renders, and says only that
            inexpressible.append(sc.name)
            asserts.append({"notFailedTemplate": {}, "template": "deployment.yaml"})
        elif not exp.renders:
            fa: dict[str, Any] = {"errorPattern": exp.error} if exp.error else {}
            failed: dict[str, Any] = {"failedTemplate": fa}
            # helm-unittest checks a failedTemplate per template of the suite: aim it at the
            # template the error names (a values-schema error fails every template)
            at = re.search(r"\([^/()]+/templates/([^:()]+):\d+", r.error or "")
            if at:
                failed["template"] = at.group(1)
            asserts.append(failed)
        else:
            # containsDocument without `any` wants every document of the template to match
            # (and its `not` passes when one does not): `any` is the gate's present/absent
            for ref in exp.present:
                if ref in where:
                    tpl, api = where[ref]
                    kind, name = ref.split("/", 1)
                    asserts.append({"containsDocument": {"kind": kind, "apiVersion": api, "name": name,
                                                         "any": True}, "template": tpl})
            for ref in exp.absent:
                if ref in where:
                    tpl, api = where[ref]
                    kind, name = ref.split("/", 1)
                    if tpl not in by_template:  # helm-unittest: an empty template is asserted by count
                        if "/" not in tpl:  # (it cannot select an empty template in a subdirectory)
                            asserts.append({"hasDocuments": {"count": 0}, "template": tpl})
                        continue
                    asserts.append({"containsDocument": {"kind": kind, "apiVersion": api, "name": name,
                                                         "any": True}, "not": True, "template": tpl})
            for kind, count in exp.count.items():
                for tpl, api in sorted(kind_where.get(kind, ())):
                    if count == 0 and tpl not in by_template:
                        if "/" not in tpl:
                            asserts.append({"hasDocuments": {"count": 0}, "template": tpl})
                    elif count == 0:
                        asserts.append({"containsDocument": {"kind": kind, "apiVersion": api, "any": True},
                                        "not": True, "template": tpl})
                    else:
                        asserts.append({"hasDocuments": {"count": count, "filterAware": True},
                                        "template": tpl,
                                        "documentSelector": {"path": "kind", "value": kind,
                                                             "matchMany": True}})
            for spec in exp.assertions:
                if m is None:
                    break
                sel = spec.select
                docs = m.find(sel.kind, sel.name, sel.template, sel.api_version)
                args = dict(spec.args)
                if "path" in args:
                    args["path"] = _ut_path(str(args["path"]))
                entry: dict[str, Any] = {spec.type: args}
                if spec.negate:
                    entry["not"] = True
                if docs:
                    tpl = docs[0].template.removeprefix("templates/")
                    entry["template"] = tpl
                    if spec.type == "hasDocuments":
                        if sel.name or sel.kind:
                            args["filterAware"] = True
                            path, value = ("metadata.name", sel.name) if sel.name else ("kind", sel.kind)
                            entry["documentSelector"] = {"path": path, "value": value, "matchMany": True}
                    else:
                        entry.update(_doc_selector(by_template[tpl], docs[0]))
                elif spec.type == "hasDocuments" and sel.kind and kind_where.get(sel.kind):
                    tpl, _ = sorted(kind_where[sel.kind])[0]
                    entry["template"] = tpl
                    args["filterAware"] = True
                    entry["documentSelector"] = {"path": "kind", "value": sel.kind, "matchMany": True,
                                                 "skipEmptyTemplates": True}
                else:
                    continue
                asserts.append(entry)
        if not asserts:  # still render the chart once, like every other contender
            asserts.append({"hasDocuments": {"count": len(by_template.get("deployment.yaml", ()))},
                            "template": "deployment.yaml"})
        n_asserts += len(asserts)
        job: dict[str, Any] = {"it": sc.name, "asserts": asserts,
                               "release": {"name": sc.args.release, "namespace": sc.args.namespace,
                                           "upgrade": sc.args.is_upgrade}}
        if sc.args.set_json:
            job["set"] = {k: json.loads(v) for k, v in sc.args.set_json}
        if sc.args.values_files:
            vals = []
            for vf in sc.args.values_files:
                p = Path(vf)
                with contextlib.suppress(ValueError):  # values files of the chart: use the copy's
                    p = dest / p.resolve().relative_to(CHART.resolve())
                vals.append(os.path.relpath(p, dest / "tests"))
            job["values"] = vals
        if sc.args.kube_version:
            major, minor = sc.args.kube_version.lstrip("v").split(".")[:2]
            job["capabilities"] = {"majorVersion": int(major), "minorVersion": int(minor)}
            if sc.args.api_versions:
                job["capabilities"]["apiVersions"] = list(sc.args.api_versions)
        suites.setdefault(sc.matrix or sc.file.stem, []).append(job)
    all_templates = sorted(p.relative_to(templates_dir).as_posix() for p in templates_dir.rglob("*")
                           if p.is_file() and p.suffix in (".yaml", ".yml", ".tpl")
                           and not p.name.startswith("_"))
    for i, (name, jobs) in enumerate(sorted(suites.items())):
        suite = {"suite": f"chartgate scenarios: {name}", "templates": all_templates, "tests": jobs}
        (dest / "tests" / f"s{i:03d}_{name}_test.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    return sum(len(j) for j in suites.values()), n_asserts, inexpressible


def junit_counts(file: Path) -> tuple[int, int]:
    root = ET.parse(file).getroot()
    cases = root.iter("testcase")
    total = failed = 0
    for tc in cases:
        total += 1
        if tc.find("failure") is not None or tc.find("error") is not None:
            failed += 1
    return total, failed


# --- the benchmark ------------------------------------------------------------------------------
def main() -> int:
    if len(sys.argv) in (4, 5) and sys.argv[1] == "--gate-once":
        print(json.dumps(gate_once(sys.argv[2], sys.argv[3], coverage=sys.argv[4:] == ["--coverage"])))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="rounds (medians are reported)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                    help="parallel processes for the per-scenario baselines (default: cores)")
    ap.add_argument("--json", type=Path, help="also write every measurement here")
    ap.add_argument("--skip", default="",
                    help="comma-separated contenders to skip: usual,unittest,floor,helm-gate")
    args = ap.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}

    from chartgate.render import Renderer
    from chartgate.scenario import Defaults, dir_overrides, load_dir
    from chartgate.tools import bootstrap
    from chartgate.tools import renderer as fast
    from chartgate.tools.conftest import Conftest
    from chartgate.tools.helm import Helm, HelmError
    from chartgate.tools.kubeconform import Kubeconform, local_schemas

    say = lambda msg: print(msg, flush=True)  # noqa: E731
    say(f"# chartgate gate benchmark — {os.cpu_count()} cores, load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} at start")
    for name in ("helm", "opa", "conftest", "helm-unittest", "kubeconform"):
        bootstrap.ensure(name)
    fast.ensure()
    precompile()
    helm = Helm()
    # the scenario directory's _defaults.yaml, as the gate reads it (release, namespace …)
    scenarios = load_dir(SCENARIOS, dataclasses.replace(Defaults(chart=CHART.resolve()),
                                                        **dir_overrides(SCENARIOS)))
    n = len(scenarios)
    work = Path(tempfile.mkdtemp(prefix="chartgate-bench-"))
    try:
        # reference render (not timed): kinds for kubeconform, selectors for helm-unittest
        rendered = Renderer(helm, cache_dir=work / "ref-render").render_all(scenarios)
        failures = sorted(name for name, r in rendered.items() if not r.ok)
        unexpected = sorted(name for name in failures if rendered[name].scenario.expect.renders)
        kinds = {(d.api_version, d.kind) for r in rendered.values() for d in r.manifests or ()}
        docs = sum(len(r.manifests or ()) for r in rendered.values())
        say(f"matrix: {n} scenarios ({sum(1 for s in scenarios if s.matrix)} from matrices), "
            f"{docs} documents; {len(failures)} fail to render "
            f"({len(failures) - len(unexpected)} on purpose, {len(unexpected)} unexpectedly — "
            f"the chart is being finished; they still cost a render everywhere)")
        kube_versions = sorted({s.args.kube_version or "1.34.0" for s in scenarios})
        schema_root = None
        for kv in kube_versions:
            schema_root = local_schemas(kv, kinds)
        assert schema_root is not None
        conftest = Conftest(POLICIES, [POLICIES / "data"] if (POLICIES / "data").is_dir() else [])
        ut_chart = work / "unittest-chart" / CHART.name
        ut_chart.parent.mkdir()
        ut_tests, ut_asserts, ut_unchecked = write_unittest_suites(scenarios, rendered, ut_chart)
        say(f"helm-unittest: {ut_tests} test jobs, {ut_asserts} asserts generated in {ut_chart}"
            + (f"; not expressible in helm-unittest (the job only renders): {', '.join(ut_unchecked)}"
               if ut_unchecked else ""))

        def floor() -> dict[str, Any]:
            def one(sc: Any) -> None:
                with contextlib.suppress(HelmError):
                    helm.template(sc.chart, sc.args)
            t0 = time.perf_counter()
            with ThreadPoolExecutor(args.workers) as pool:
                list(pool.map(one, scenarios))
            return {"s": time.perf_counter() - t0}

        def usual() -> dict[str, Any]:
            out_dir = Path(tempfile.mkdtemp(dir=work, prefix="usual-"))
            invalid = [0]

            def one(item: tuple[int, Any]) -> None:
                i, sc = item
                try:
                    text = helm.template(sc.chart, sc.args)
                except HelmError:
                    return  # the pipeline stops at a failed render
                f = out_dir / f"s{i:03d}.yaml"
                f.write_text(text)
                kc = Kubeconform(schema_root, sc.args.kube_version or "1.34.0")
                bad = [r for r in kc.validate([f]) if r.status != "statusValid"]
                invalid[0] += len(bad)
                conftest.test([f], namespace="main")
                conftest.test([f], namespace="combine", combine=True)

            t0 = time.perf_counter()
            with ThreadPoolExecutor(args.workers) as pool:
                list(pool.map(one, enumerate(scenarios)))
            return {"s": time.perf_counter() - t0, "kubeconform_findings": invalid[0]}

        def unittest() -> dict[str, Any]:
            junit = Path(tempfile.mkdtemp(dir=work, prefix="ut-")) / "junit.xml"
            t0, cpu0 = time.perf_counter(), children_cpu()
            res = helm.unittest(ut_chart, junit=junit)
            s, cpu = time.perf_counter() - t0, children_cpu() - cpu0
            if not junit.exists():
                raise RuntimeError(f"helm unittest wrote no report: {res.stdout[-2000:]} "
                                   f"{res.stderr[-2000:]}")
            total, failed = junit_counts(junit)
            return {"s": s, "cpu_s": cpu, "tests": total, "failed": failed}

        def gate_pair(backend: str) -> Callable[[], dict[str, Any]]:
            def run() -> dict[str, Any]:
                rdir = Path(tempfile.mkdtemp(dir=work, prefix="render-"))
                res_dir = Path(tempfile.mkdtemp(dir=work, prefix="results-"))
                cold = run_gate(rdir, res_dir, backend)
                warm = run_gate(rdir, res_dir, backend) if backend != "helm" else None
                return {"cold": cold, "warm": warm}
            return run

        def gate_coverage() -> dict[str, Any]:
            rdir = Path(tempfile.mkdtemp(dir=work, prefix="render-cov-"))
            res_dir = Path(tempfile.mkdtemp(dir=work, prefix="results-cov-"))
            return {"cold": run_gate(rdir, res_dir, "persistent", coverage=True), "warm": None}

        contenders: dict[str, Callable[[], dict[str, Any]]] = {"gate": gate_pair("persistent"),
                                                               "gate-cov": gate_coverage}
        if "helm-gate" not in skip:
            contenders["gate-helm"] = gate_pair("helm")
        if "floor" not in skip:
            contenders["floor"] = floor
        if "usual" not in skip:
            contenders["usual"] = usual
        if "unittest" not in skip:
            contenders["unittest"] = unittest
        rounds: list[dict[str, Any]] = []
        names = list(contenders)
        for r in range(args.repeat):
            order = names[r % len(names):] + names[:r % len(names)]
            row: dict[str, Any] = {}
            for name in order:
                row[name] = contenders[name]()
                say(f"  round {r + 1}: {name:9s} {_short(row[name])}")
            rounds.append(row)
        summary = report(rounds, n, say)
        if args.json:
            args.json.write_text(json.dumps({"scenarios": n, "rounds": rounds, "summary": summary,
                                             "render_failures": failures}, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _short(m: dict[str, Any]) -> str:
    if "cold" in m:
        c, w = m["cold"], m["warm"]
        s = (f"cold {c['gate_s']:.2f}s (process {c['wall_s']:.2f}s, CPU {c['cpu_s']:.2f}s, "
             f"persistent={c['persistent']})")
        if w:
            s += f", warm {w['gate_s']:.2f}s (process {w['wall_s']:.2f}s)"
        return s
    return ", ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in m.items())


def report(rounds: list[dict[str, Any]], n: int, say: Callable[[str], None]) -> dict[str, Any]:
    def med(values: list[float]) -> float:
        return statistics.median(values)

    t: dict[str, float] = {}
    t["gate cold"] = med([r["gate"]["cold"]["gate_s"] for r in rounds])
    t["gate cold (process)"] = med([r["gate"]["cold"]["wall_s"] for r in rounds])
    t["gate warm"] = med([r["gate"]["warm"]["gate_s"] for r in rounds])
    t["gate warm (process)"] = med([r["gate"]["warm"]["wall_s"] for r in rounds])
    t["gate cold with coverage"] = med([r["gate-cov"]["cold"]["gate_s"] for r in rounds])
    if "gate-helm" in rounds[0]:
        t["gate cold, helm renderer"] = med([r["gate-helm"]["cold"]["gate_s"] for r in rounds])
    for name, label in (("floor", "floor: helm template"), ("usual", "usual pipeline"),
                        ("unittest", "helm-unittest")):
        if name in rounds[0]:
            t[label] = med([r[name]["s"] for r in rounds])
    say("")
    say(f"## medians over {len(rounds)} round(s), {n} scenarios")
    say(f"{'contender':34s} {'seconds':>8s} {'scenarios/s':>12s}")
    for label, s in t.items():
        say(f"{label:34s} {s:8.2f} {n / s:12.1f}")
    out: dict[str, Any] = {"seconds": t}
    say("")
    say("## targets: ratios within each round (median over rounds; rounds run back to back,")
    say("## so each ratio compares contenders under the same machine load)")

    def ratio(f: Callable[[dict[str, Any]], float]) -> float:
        return med([f(r) for r in rounds])

    def line(name: str, value: float, target: str, ok: bool) -> None:
        out[name] = {"value": value, "target": target, "met": ok}
        say(f"{name:56s} {value:7.2f}  target {target:9s} {'met' if ok else 'NOT met'}")

    def cold(r: dict[str, Any]) -> float:
        return float(r["gate"]["cold"]["gate_s"])

    def warm(r: dict[str, Any]) -> float:
        return float(r["gate"]["warm"]["gate_s"])

    say("# the three targets of the coverage/performance work:")
    if "unittest" in rounds[0]:
        v = ratio(lambda r: r["unittest"]["s"] / cold(r))
        line("throughput gate cold / helm-unittest", v, ">= 1.5x", v >= 1.5)
    v = ratio(lambda r: r["gate-cov"]["cold"]["gate_s"] / cold(r) - 1)
    line("coverage overhead: gate cold with coverage / without - 1", v, "<= 0.25", v <= 0.25)
    v = t["gate warm"]
    line("gate warm, whole matrix, seconds (in process)", v, "<= 0.5 s", v <= 0.5)
    say("# earlier targets:")
    if "unittest" in rounds[0]:
        v = ratio(lambda r: r["unittest"]["s"] / warm(r))
        line("throughput gate warm (unchanged chart) / helm-unittest", v, ">= 5x", v >= 5)
    if "unittest" in rounds[0]:
        v = ratio(lambda r: r["unittest"]["cpu_s"] / r["gate"]["cold"]["cpu_s"])
        say(f"{'(no target) CPU seconds: helm-unittest / gate cold process':56s} {v:7.2f}")
        out["cpu ratio helm-unittest / gate cold"] = v
    v = ratio(lambda r: r["gate-cov"]["cold"]["cpu_s"] / r["gate"]["cold"]["cpu_s"] - 1)
    say(f"{'(no target) CPU seconds: gate cold with coverage / without - 1':56s} {v:7.2f}")
    out["cpu coverage overhead"] = v
    if "usual" in rounds[0]:
        v = ratio(lambda r: r["usual"]["s"] / cold(r))
        line("throughput gate cold / usual pipeline", v, ">= 10x", v >= 10)
    if "floor" in rounds[0]:
        v = ratio(lambda r: cold(r) / r["floor"]["s"])
        line("time gate cold / rendering floor", v, "<= 1.3x", v <= 1.3)
        if "gate-helm" in rounds[0]:
            v = ratio(lambda r: r["gate-helm"]["cold"]["gate_s"] / r["floor"]["s"])
            line("time gate cold with `helm template` renderer / floor", v, "<= 1.3x", v <= 1.3)
    v = t["gate warm (process)"]
    line("gate warm, whole matrix, seconds (incl. Python start)", v, "<= 1 s", v <= 1.0)
    last = rounds[-1]["gate"]["cold"]
    say("")
    say(f"gate outcome (last cold run): {last['statuses']}")
    say(f"branch coverage (last coverage run): {rounds[-1]['gate-cov']['cold']['branch_coverage']}%")
    if "unittest" in rounds[-1]:
        u = rounds[-1]["unittest"]
        say(f"helm-unittest outcome: {u['tests']} tests, {u['failed']} failed")
    return out


if __name__ == "__main__":
    sys.exit(main())
