"""JUnit XML writer."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from _report_sample import sample_report

from chartgate.report.junit import to_junit_xml, write


def test_one_testcase_per_stage_result(tmp_path: Path) -> None:
    write(sample_report(), tmp_path / "junit.xml")
    root = ET.parse(tmp_path / "junit.xml").getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("6", "2", "1")
    cases = root.findall("testsuite/testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("assertions", "prod"), ("assertions", "dev"), ("k8s-schema", "prod"), ("k8s-schema", "dev"),
        ("values-schema", "dev"), ("snapshot", "dev")]
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert suites["chartgate.assertions"].get("tests") == "2"
    assert suites["chartgate.assertions"].get("failures") == "1"


def test_failure_carries_findings_text_and_other_severities_go_to_system_out() -> None:
    root = ET.fromstring(to_junit_xml(sample_report()))
    case = root.find("testsuite/testcase[@name='prod']")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "equal"
    assert failure.get("message") == "1 finding(s): expected 3, got 2"
    assert "Deployment/clockwork-server (templates/deployment.yaml) spec.replicas" in (failure.text or "")
    assert "expected: 3" in (failure.text or "")
    skipped = root.find("testsuite/testcase[@classname='k8s-schema'][@name='dev']/skipped")
    assert skipped is not None and "does not run" in (skipped.get("message") or "")
    out = root.find("testsuite/testcase[@classname='values-schema']/system-out")
    assert out is not None and (out.text or "").startswith("WARNING:")
    assert root.find("testsuite/testcase[@classname='values-schema']/failure") is None
