"""``chartgate policy``: render every scenario once and evaluate the Rego policies.

The same :class:`~chartgate.pipeline.Gate` as ``chartgate check`` with the policy stage
alone, so the same renders, engine and expectations as the pytest plugin's ``policy`` items: exit 0
when every scenario meets its policy expectation, 1 otherwise (``--fail-on-warn`` also
fails on reported warnings), 2 on an error (chart, OPA, policy compile error).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from chartgate.pipeline import Gate, GateConfig
from chartgate.report import writers
from chartgate.report.model import Report, Severity


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("policy", help="evaluate the Rego policies on every rendered scenario",
                              description=__doc__)
    p.add_argument("--chart", type=Path, default=Path("deploy/helm/clockwork"), help="chart directory")
    p.add_argument("--scenarios", type=Path, default=Path("tests/scenarios"), help="scenario directory")
    p.add_argument("--policies", type=Path, default=None,
                   help="policy directory that replaces the built-in pack (default: the built-in pack, "
                        "extended by the chart's own policies/ directory)")
    p.add_argument("--extra-policies", type=Path, action="append", default=[], metavar="DIR",
                   help="policy directory evaluated together with the pack (repeatable)")
    p.add_argument("--data", type=Path, action="append", default=None,
                   help="data file or directory (repeatable; default: <policies>/data)")
    p.add_argument("--format", choices=writers.FORMATS, default="text")
    p.add_argument("--output", type=Path, default=None, help="write the report here (default: stdout)")
    p.add_argument("--fail-on-warn", action="store_true", help="warnings fail the run too")
    p.add_argument("--show-notes", action="store_true",
                   help="text format: also list exemptions and expected ids")
    p.add_argument("--no-cache", action="store_true", help="ignore the render cache")
    p.set_defaults(func=run)


def build_report(chart: Path, scenarios_dir: Path, policies: Path | None = None,
                 data: list[Path] | None = None, use_cache: bool = True,
                 extra_policies: Sequence[Path] = ()) -> Report:
    """The gate with the policy stage alone: every scenario rendered once, then evaluated."""
    config = GateConfig(chart=chart.resolve(), scenarios=scenarios_dir.resolve(), stages=("policy",),
                        policies=policies.resolve() if policies else None,
                        extra_policies=tuple(d.resolve() for d in extra_policies),
                        policy_data=tuple(d.resolve() for d in data) if data is not None else None,
                        use_cache=use_cache)
    return Gate(config).run()


def invocations(chart: Path, policies: Path | None, extra: Sequence[Path]) -> str:
    """What was evaluated, and the two conftest commands that reproduce it: plain
    ``conftest test`` runs package main only, never the cross-object rules."""
    from chartgate.policy.engine import policy_dirs

    chart = chart.resolve()
    dirs = policy_dirs(policies, extra, chart if (chart / "Chart.yaml").is_file() else None)
    flags = " ".join(f"--policy {d}" + (f" --data {d / 'data'}" if (d / "data").is_dir() else "")
                     for d in dirs)
    return ("chartgate policy: evaluated package main on every document and package combine "
            "(cross-object rules) on each scenario's whole rendered set, with "
            f"{', '.join(map(str, dirs))}.\n"
            "  conftest needs both commands (plain `conftest test FILE` skips every cross-object rule):\n"
            f"    conftest test {flags} FILE\n"
            f"    conftest test {flags} --combine --namespace combine FILE\n"
            "  a scenario's externalObjects go to the combine command as one more --data DIR holding "
            "`chartgate: {external_objects: [Kind/name, ...]}`")


def run(args: argparse.Namespace) -> int:
    report = build_report(args.chart, args.scenarios, args.policies, args.data,
                          use_cache=not args.no_cache, extra_policies=args.extra_policies)
    writers.write(report, args.format, args.output,
                  writers.Options(chart=args.chart, suite_name="chartgate-policy",
                                  show_notes=args.show_notes))
    if args.output is not None or args.format != "text":
        c = report.counts()
        print(f"chartgate policy: {c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped",
              file=sys.stderr)
    print(invocations(args.chart, args.policies, args.extra_policies), file=sys.stderr)
    exempted = Counter(f.rule for f in report.findings()
                       if f.severity is Severity.NOTE and f.message.startswith("exempted from "))
    if exempted:  # tallied, like Polaris' <check>-exempt
        tally = ", ".join(f"{rule} x{n}" for rule, n in sorted(exempted.items()))
        print(f"chartgate policy: exemptions honoured: {tally}", file=sys.stderr)
    if report.failed:
        return 1
    if args.fail_on_warn and any(f.severity is Severity.WARNING for f in report.findings()):
        return 1
    return 0
