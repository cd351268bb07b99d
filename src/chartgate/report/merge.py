"""Joining the reports of CI shards (``chartgate check --shard K/N``) into one, format by
format: JUnit XML, SARIF 2.1.0 and chartgate's JSON.

Every result is put back in the canonical order the caller gives (``key(stage, name)``;
``chartgate check`` writes its own reports in that order), so N merged shard reports equal
the unsharded report, apart from timings. JUnit suites (one per stage) and totals are
recounted; SARIF results keep their run's tool and rules (rules in order of first use);
JSON counts and ``failed`` are recomputed.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

Key = Callable[[str, str], Any]  # (stage, result name) → sort key
FORMATS = ("junit", "sarif", "json")


def format_of(path: Path) -> str:
    """``out.xml`` → junit, ``out.sarif``/``out.sarif.json`` → sarif, ``out.json`` → json."""
    name = path.name.lower()
    if name.endswith(".xml"):
        return "junit"
    if name.endswith((".sarif", ".sarif.json")):
        return "sarif"
    if name.endswith(".json"):
        return "json"
    raise ValueError(f"{path}: cannot tell the report format from the name (.xml, .sarif, .json)")


def merge_json(docs: Sequence[dict[str, Any]], key: Key) -> dict[str, Any]:
    results = sorted((r for d in docs for r in d.get("results", [])),
                     key=lambda r: key(r["stage"], r["scenario"]))
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"failed": any(r["status"] == "failed" for r in results),
            "duration": round(max((float(d.get("duration", 0)) for d in docs), default=0.0), 3),
            "counts": counts, "results": results}


def merge_sarif(docs: Sequence[dict[str, Any]], key: Key) -> dict[str, Any]:
    if not docs:
        raise ValueError("no SARIF reports to merge")
    runs = [run for d in docs for run in d.get("runs", [])]
    if not runs:
        raise ValueError("the SARIF reports hold no runs")
    results = sorted((r for run in runs for r in run.get("results", [])),
                     key=lambda r: key(r.get("properties", {}).get("stage", ""),
                                       r.get("properties", {}).get("scenario", "")))
    known = {rule["id"]: rule for run in runs for rule in run["tool"]["driver"].get("rules", [])}
    rules: dict[str, Any] = {}
    for r in results:
        if r.get("ruleId") in known:
            rules.setdefault(r["ruleId"], known[r["ruleId"]])
    driver = {**runs[0]["tool"]["driver"], "rules": list(rules.values())}
    return {**{k: v for k, v in docs[0].items() if k != "runs"},
            "runs": [{**runs[0], "tool": {**runs[0]["tool"], "driver": driver}, "results": results}]}


def merge_junit(roots: Sequence[ET.Element], key: Key) -> ET.Element:
    cases: list[tuple[str, ET.Element]] = []  # (suite name, testcase)
    name = "chartgate"
    for root in roots:
        name = root.get("name", name)
        for suite in root.iter("testsuite"):
            cases.extend((suite.get("name", ""), tc) for tc in suite.iter("testcase"))
    cases.sort(key=lambda c: key(c[1].get("classname", ""), c[1].get("name", "")))
    out = ET.Element("testsuites", name=name)
    suites: dict[str, ET.Element] = {}
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    total_time = 0.0
    for suite_name, tc in cases:
        if suite_name not in suites:
            suites[suite_name] = ET.SubElement(out, "testsuite", name=suite_name)
            suites[suite_name].attrib.update(tests="0", failures="0", errors="0", skipped="0", time="0")
        suite = suites[suite_name]
        suite.append(tc)
        seconds = float(tc.get("time") or 0)
        total_time += seconds
        suite.set("tests", str(int(suite.get("tests", "0")) + 1))
        suite.set("time", f"{float(suite.get('time', '0')) + seconds:.3f}")
        totals["tests"] += 1
        for tag, counter in (("failure", "failures"), ("skipped", "skipped")):
            if tc.find(tag) is not None:
                suite.set(counter, str(int(suite.get(counter, "0")) + 1))
                totals[counter] += 1
    out.attrib.update({k: str(v) for k, v in totals.items()}, time=f"{total_time:.3f}", errors="0")
    ET.indent(out)
    return out


def merge_files(inputs: Sequence[Path], output: Path, key: Key) -> str:
    """Merge report files of one format into ``output``; returns the format."""
    fmt = format_of(output)
    wrong = [str(p) for p in inputs if format_of(p) != fmt]
    if wrong:
        raise ValueError(f"{output} is {fmt}, but these inputs are not: {', '.join(wrong)}")
    if not inputs:
        raise ValueError("no reports to merge")
    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "junit":
        root = merge_junit([ET.parse(p).getroot() for p in inputs], key)
        text = ET.tostring(root, encoding="unicode")
        output.write_text(f'<?xml version="1.0" encoding="utf-8"?>\n{text}\n')
    elif fmt == "sarif":
        merged = merge_sarif([json.loads(p.read_text()) for p in inputs], key)
        output.write_text(json.dumps(merged, indent=2) + "\n")
    else:
        merged = merge_json([json.loads(p.read_text()) for p in inputs], key)
        output.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")
    return fmt
