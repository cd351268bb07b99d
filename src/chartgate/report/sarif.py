"""SARIF 2.1.0: one result per finding; ``ruleId`` = the finding's rule; the location is
the template file, made repo-relative with ``base_dir`` (the chart's path in the
repository, e.g. ``deploy/helm/clockwork``) so code-scanning UIs link to the file."""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath
from typing import Any

from chartgate import __version__
from chartgate.report.model import Finding, Report

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_POSITION = re.compile(r"^(.+?):(\d+)(?::(\d+))?$")


def artifact_uri(template: str, base_dir: str | Path = "", root: Path | None = None) -> str:
    """Repo-relative URI of a finding's file. Chart-relative paths get ``base_dir`` in
    front; absolute paths are made relative to ``root`` (default: the current directory)."""
    p = Path(template)
    if p.is_absolute():
        try:
            return p.relative_to((root or Path.cwd()).resolve()).as_posix()
        except ValueError:
            return p.as_uri()
    base = PurePosixPath(Path(base_dir).as_posix()) if str(base_dir) else PurePosixPath()
    return (base / PurePosixPath(template)).as_posix()


def split_position(template: str) -> tuple[str, int, int]:
    """``templates/x.yaml:12:5`` (as Helm's errors name a position) → file, line, column."""
    m = _POSITION.match(template)
    if not m:
        return template, 0, 0
    return m.group(1), int(m.group(2)), int(m.group(3) or 0)


def _result(f: Finding, base_dir: str | Path, root: Path | None, default_uri: str) -> dict[str, Any]:
    text = f.message
    if f.location():
        text += f"\nat {f.location()}"
    if f.expected is not None or f.actual is not None:
        text += f"\nexpected: {f.expected!r}\nactual: {f.actual!r}"
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "level": f.severity.value,
        "message": {"text": text},
        "properties": {"stage": f.stage, "scenario": f.scenario, "object": f.object, "path": f.path,
                       "valuesKeys": list(f.values_keys)},
    }
    template, line, column = split_position(f.template)
    uri = artifact_uri(template, base_dir, root) if template else default_uri
    if uri:
        physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
        if line:
            physical["region"] = {"startLine": line, **({"startColumn": column} if column else {})}
        location: dict[str, Any] = {"physicalLocation": physical}
        if f.object:
            location["logicalLocations"] = [{"name": f.object, "kind": "object"}]
        result["locations"] = [location]
    return result


def to_sarif(report: Report, base_dir: str | Path = "", root: Path | None = None) -> dict[str, Any]:
    """The SARIF log as a dict. Findings without a file point at ``<base_dir>/Chart.yaml``."""
    default_uri = artifact_uri("Chart.yaml", base_dir, root)
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for f in report.findings():
        rules.setdefault(f.rule, {"id": f.rule, "name": f.rule,
                                  "shortDescription": {"text": f"chartgate {f.stage}: {f.rule}"},
                                  "properties": {"stage": f.stage}})
        results.append(_result(f, base_dir, root, default_uri))
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "chartgate", "version": __version__, "rules": list(rules.values())}},
            "results": results,
        }],
    }


def to_sarif_json(report: Report, base_dir: str | Path = "", root: Path | None = None) -> str:
    return json.dumps(to_sarif(report, base_dir, root), indent=2) + "\n"


def write_sarif(report: Report, path: Path, base_dir: str | Path = "", root: Path | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_sarif_json(report, base_dir, root))


def write(report: Report, path: Path, base: Path | None = None, chart: Path | None = None,
          base_dir: str | Path = "") -> None:
    """The writer interface every format module shares. ``base`` is the repository root
    and ``chart`` the chart directory: template URIs become ``<chart relative to base>/
    templates/x.yaml``. An explicit ``base_dir`` wins."""
    root = (base or Path.cwd()).resolve()
    if not str(base_dir):
        base_dir = chart_base_dir(chart, root)
    write_sarif(report, path, base_dir, root)


def chart_base_dir(chart: Path | None, root: Path) -> str:
    """The chart's directory relative to the repository root ``root`` (``deploy/helm/clockwork``),
    absolute when it lies outside; ``""`` without a chart."""
    if chart is None:
        return ""
    try:
        return Path(chart).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(chart).resolve().as_posix()
