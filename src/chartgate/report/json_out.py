"""JSON report: the model as plain data (stable keys, for other tools and dashboards)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from chartgate.report.model import Finding, Report


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return repr(value)


def finding_dict(f: Finding) -> dict[str, Any]:
    d = asdict(f)
    d["severity"] = f.severity.value
    d["values_keys"] = list(f.values_keys)
    d["expected"] = _jsonable(f.expected)
    d["actual"] = _jsonable(f.actual)
    return d


def to_dict(report: Report) -> dict[str, Any]:
    return {
        "failed": report.failed,
        "duration": round(report.duration, 3),
        "counts": report.counts(),
        "results": [
            {"stage": r.stage, "scenario": r.scenario, "status": r.status, "duration": round(r.duration, 3),
             "skipped": r.skipped, "findings": [finding_dict(f) for f in r.findings]}
            for r in report.results
        ],
    }


def to_json(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2, sort_keys=True) + "\n"


def write_json(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_json(report))


write = write_json  # the writer interface every format module shares: write(report, path, ...)
