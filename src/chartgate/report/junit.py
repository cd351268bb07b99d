"""JUnit XML: one ``<testsuite>`` per stage, one ``<testcase>`` per stage result
(``classname`` = stage, ``name`` = scenario); a failing result carries its findings'
text; warnings and notes go to ``<system-out>``."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from chartgate.report.model import Report, Severity


def to_junit_xml(report: Report, suite_name: str = "chartgate") -> str:
    root = ET.Element("testsuites", name=suite_name)
    by_stage: dict[str, ET.Element] = {}
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for r in report.results:
        suite = by_stage.get(r.stage)
        if suite is None:
            suite = by_stage[r.stage] = ET.SubElement(root, "testsuite", name=f"{suite_name}.{r.stage}")
            suite.attrib.update(tests="0", failures="0", errors="0", skipped="0", time="0")
        suite.set("tests", str(int(suite.get("tests", "0")) + 1))
        suite.set("time", f"{float(suite.get('time', '0')) + r.duration:.3f}")
        totals["tests"] += 1
        case = ET.SubElement(suite, "testcase", classname=r.stage, name=r.scenario, time=f"{r.duration:.3f}")
        errors = [f for f in r.findings if f.severity is Severity.ERROR]
        others = [f for f in r.findings if f.severity is not Severity.ERROR]
        if r.skipped:
            ET.SubElement(case, "skipped", message=r.skipped)
            suite.set("skipped", str(int(suite.get("skipped", "0")) + 1))
            totals["skipped"] += 1
        elif errors:
            first = errors[0].message.splitlines()[0] if errors[0].message else errors[0].rule
            failure = ET.SubElement(case, "failure", message=f"{len(errors)} finding(s): {first}",
                                    type=errors[0].rule)
            failure.text = "\n\n".join(f.render() for f in errors)
            suite.set("failures", str(int(suite.get("failures", "0")) + 1))
            totals["failures"] += 1
        if others:
            out = ET.SubElement(case, "system-out")
            out.text = "\n\n".join(f"{f.severity.value.upper()}: {f.render()}" for f in others)
    root.attrib.update({k: str(v) for k, v in totals.items()}, time=f"{report.duration:.3f}", errors="0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(report: Report, path: Path, suite_name: str = "chartgate") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_junit_xml(report, suite_name))


write = write_junit  # the writer interface every format module shares: write(report, path, ...)
