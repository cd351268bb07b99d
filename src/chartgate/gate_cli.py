"""`chartgate check PATH` (the whole static gate outside pytest, :mod:`chartgate.check`: a
chart or every chart under a directory, with its defaults, ci/*-values.yaml, scenario files
and helm-unittest suites; ``--changed``/``--shard`` for monorepos and CI matrices; with
``--base REF`` also the upgrade stage against that chart), `chartgate gate --base REF`
(chart-testing style: a changed chart needs a version bump, then the gate runs, upgrade
stage included) and `chartgate report merge` (the shards' reports joined into one)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from chartgate.gate_options import add_shared
from chartgate.pipeline import summary
from chartgate.report.model import Report, Severity
from chartgate.semver import version_bumped
from chartgate.tools import git

STATUS = {"passed": "ok", "failed": "FAIL", "skipped": "-"}


def print_table(report: Report, stages: tuple[str, ...], out: Any = None) -> None:
    out = out or sys.stdout
    table = summary(report)
    width = max([len(s) for s in table] + [8])
    print(f"{'scenario':{width}}  " + "  ".join(f"{s:13}" for s in stages), file=out)
    for scenario, row in table.items():
        if scenario == "(run)":
            continue
        cells = "  ".join(f"{STATUS.get(row.get(s, ''), ''):13}" for s in stages)
        print(f"{scenario:{width}}  {cells}", file=out)


def run_check(args: argparse.Namespace) -> int:
    from chartgate import check
    from chartgate.charts import ChartDefaults, parse_shard
    from chartgate.k8s_schemas import missing_schemas_default

    stages = tuple(s for s in args.stages.split(",") if s)
    base = getattr(args, "base", None)
    if base and not getattr(args, "no_upgrade", False) and "upgrade" not in stages:
        stages = (*stages, "upgrade")
    api_versions = tuple(a for v in (getattr(args, "api_versions", None) or []) for a in v.split(",") if a)
    opts = check.CheckOptions(
        stages=stages, scenarios=Path(args.scenarios).resolve() if args.scenarios else None,
        chart_defaults=ChartDefaults(kube_version=getattr(args, "kube_version", None),
                                     api_versions=api_versions),
        helm_tool=args.helm, use_cache=not args.no_cache, update_snapshots=args.update_snapshots,
        fail_on_warn=args.fail_on_warn, policies=Path(args.policies).resolve() if args.policies else None,
        extra_policies=tuple(Path(d).resolve() for d in getattr(args, "extra_policies", None) or ()),
        base=base, changed_since=base if getattr(args, "changed", False) else None,
        shard=parse_shard(getattr(args, "shard", None) or "1/1"),
        crd_dirs=tuple(Path(d).resolve() for d in getattr(args, "crd_dir", None) or ()),
        missing_schemas=getattr(args, "missing_schemas", None) or missing_schemas_default(), progress=True,
        coverage=bool(getattr(args, "coverage", False) or getattr(args, "coverage_min", None) is not None))
    if getattr(args, "changed", False) and not base:
        raise ValueError("--changed needs --base REF (the ref to compare with, e.g. origin/main)")
    done = check.run(Path(args.chart), opts)
    report = done.report
    scenario_results = Report(results=[r for r in report.results if r.stage != check.UNITTEST])
    ran = {r.stage for r in scenario_results.results}
    print_table(scenario_results, tuple(s for s in stages if s in ran))
    unit = [r for r in report.results if r.stage == check.UNITTEST]
    if unit:
        bad = sum(r.failed for r in unit)
        print(f"\nhelm-unittest: {len(unit) - bad} of {len(unit)} tests passed")
    failures = [f for f in report.findings() if f.severity is Severity.ERROR]
    warnings = [f for f in report.findings() if f.severity is Severity.WARNING]
    for r in report.results:
        for f in r.findings:
            shown = args.fail_on_warn or r.stage in ("upgrade", "k8s-schema")
            if f.severity is Severity.ERROR or (f.severity is Severity.WARNING and shown):
                print(f"\n--- {r.scenario} [{r.stage}]\n{f.render()}")
    counts = report.counts()
    print(f"\n{done.scenarios} scenarios, {counts['passed']} passed, {counts['failed']} failed, "
          f"{counts['skipped']} skipped; {len(failures)} errors, {len(warnings)} warnings "
          f"in {report.duration:.2f}s")
    charts_ = [p.chart.path for p in done.plans]
    chart_dir = charts_[0] if len(charts_) == 1 and not any(p.prefix for p in done.plans) else None
    if done.coverage:
        from chartgate import coverage

        report.results.extend(coverage.present(done.coverage, args.coverage_min, Path(args.coverage_dir)))
    _write_reports(args, report, chart_dir)
    if opts.changed_since and not done.plans:
        print(f"chartgate check: no chart changed since {base}; nothing to check")
    failed = report.failed or (args.fail_on_warn and bool(warnings))
    return 1 if failed else 0


def _write_reports(args: argparse.Namespace, report: Report, chart: Path | None) -> None:
    from chartgate.report import writers

    writers.write_all(report, {"junit": args.junit, "sarif": args.sarif, "json": args.json},
                      writers.Options(chart=chart))


def run_gate(args: argparse.Namespace) -> int:
    if args.scenarios is None and Path(GATE_SCENARIOS).is_dir():
        args.scenarios = GATE_SCENARIOS
    chart = Path(args.chart).resolve()
    repo = git.toplevel(chart)
    rel = chart.relative_to(repo).as_posix()
    ref = args.base
    # Compare with where this branch forked from --base, not with --base's tip: a branch
    # behind main is not blamed for what main changed since.
    args.base = git.merge_base(repo, ref)
    print(f"chartgate gate: base {args.base[:12]}, the merge base of {ref} and HEAD")
    watched = [rel, *args.watch]
    changed = git.changed_files(repo, args.base, watched)
    if not changed:
        print(f"chartgate gate: nothing under {', '.join(watched)} changed since {ref}; "
              "running the gate anyway" if args.always else
              f"chartgate gate: nothing under {', '.join(watched)} changed since {ref}; skipping")
        if not args.always:
            return 0
    else:
        print(f"chartgate gate: {len(changed)} changed file(s) since {ref}:")
        for f in changed[:50]:
            print(f"  {f}")
    chart_changed = [f for f in changed if f.startswith(rel + "/") and "/tests/" not in f[len(rel):]]
    if chart_changed:
        old_text = git.show(repo, args.base, f"{rel}/Chart.yaml")
        new = yaml.safe_load((chart / "Chart.yaml").read_text())["version"]
        if old_text is not None:
            old = yaml.safe_load(old_text)["version"]
            if not version_bumped(str(old), str(new)):
                print(f"chartgate gate: FAIL: {rel}/Chart.yaml version {new} is not greater than "
                      f"{old} at {ref}, but the chart changed. Bump `version` in Chart.yaml.")
                return 1
            print(f"chartgate gate: Chart.yaml version bumped {old} → {new}")
    return run_check(args)


GATE_SCENARIOS = "tests/scenarios"  # gate's scenario directory when it exists and none is given


def _common(p: argparse.ArgumentParser) -> None:
    from chartgate.check import DEFAULT_STAGES

    p.add_argument("--scenarios",
                   help="scenario directory (or one scenario file), besides the chart's defaults and "
                        f"ci/*-values.yaml (gate: {GATE_SCENARIOS} when it exists)")
    p.add_argument("--stages", default=",".join(DEFAULT_STAGES),
                   help=f"comma-separated stages (default {','.join(DEFAULT_STAGES)}; add policy)")
    p.add_argument("--kube-version", help="Kubernetes version to render and validate for (like helm "
                                          "template --kube-version; default: helm's)")
    p.add_argument("--api-versions", action="append", metavar="API[,API]",
                   help="extra capabilities, as helm template --api-versions (repeatable)")
    p.add_argument("--crd-dir", action="append", metavar="DIR",
                   help="CRD manifests giving custom resources a schema, besides the chart's crds/ "
                        "(repeatable)")
    p.add_argument("--missing-schemas", choices=("fail", "warn", "skip"),
                   help="a kind no schema covers: fail, warn or skip "
                        "(default: fail under CI=true, else warn)")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    p.add_argument("--sarif", metavar="FILE", help="write a SARIF 2.1.0 report")
    p.add_argument("--json", metavar="FILE", help="write a JSON report")
    p.add_argument("--update-snapshots", action="store_true", help="rewrite snapshots")
    p.add_argument("--fail-on-warn", action="store_true", help="warnings fail the gate too")
    add_shared(p.add_argument)


def run_report_merge(args: argparse.Namespace) -> int:
    from chartgate.check import result_key
    from chartgate.report.merge import merge_files

    fmt = merge_files([Path(p) for p in args.inputs], Path(args.output), result_key)
    print(f"chartgate report merge: {len(args.inputs)} {fmt} reports → {args.output}")
    return 0


def register(sub: Any) -> None:
    r = sub.add_parser("report", help="work with chartgate's report files")
    rsub = r.add_subparsers(dest="report_cmd", required=True)
    m = rsub.add_parser("merge", help="join the JUnit, SARIF or JSON reports of CI shards "
                                      "(check --shard K/N)")
    m.add_argument("inputs", nargs="+", help="one report per shard, all of one format")
    m.add_argument("-o", "--output", required=True,
                   help="the merged report; its name says the format (.xml, .sarif, .json)")
    m.set_defaults(func=run_report_merge)
    c = sub.add_parser("check", help="check a chart, or every chart under a directory: its defaults, "
                                     "ci/*-values.yaml, scenario files, helm-unittest suites")
    c.add_argument("chart", nargs="?", default="deploy/helm/clockwork",
                   help="a chart directory, or a directory of charts (a monorepo)")
    c.add_argument("--base", help="also run the upgrade stage: upgrade from this chart (a git ref, "
                                  "a chart directory or a packaged .tgz); with --changed, the ref to "
                                  "compare with")
    c.add_argument("--changed", action="store_true",
                   help="only charts changed since --base (chart-testing list-changed; a changed chart "
                        "must bump its Chart.yaml version)")
    c.add_argument("--no-upgrade", action="store_true",
                   help="with --changed: no upgrade stage (only the Chart.yaml version bump is checked)")
    c.add_argument("--shard", metavar="K/N", help="check only the K-th of N deterministic shares of the work")
    _common(c)
    c.set_defaults(func=run_check)
    g = sub.add_parser("gate", help="CI gate: require a Chart.yaml bump if the chart changed, then check")
    g.add_argument("chart", nargs="?", default="deploy/helm/clockwork")
    g.add_argument("--base", required=True, help="git ref to compare with (e.g. origin/main)")
    g.add_argument("--watch", action="append", default=["src/chartgate/policies", "tests/scenarios"],
                   help="other paths whose change triggers the gate")
    g.add_argument("--always", action="store_true", help="run the gate even when nothing changed")
    g.add_argument("--no-upgrade", action="store_true",
                   help="skip the upgrade stage (static upgrade check against the chart at --base)")
    _common(g)
    g.set_defaults(func=run_gate)
