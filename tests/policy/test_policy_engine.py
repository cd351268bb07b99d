"""The OPA server lifecycle and the engine: loopback only, batched queries, always
stopped, compile errors with file:line, and the scenario expectations."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import corpus
import pytest

from chartgate.policy.conftest import rule_id
from chartgate.policy.engine import PolicyEngine, PolicyHit, ScenarioPolicy
from chartgate.policy.evaluator import Evaluator
from chartgate.report.model import Severity
from chartgate.scenario import PolicyExpectation
from chartgate.stages.policy import compare
from chartgate.tools.opa import OpaError, PolicyCompileError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purposes
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def test_server_on_loopback_batched_and_stopped(opa_binary: Path) -> None:
    docs = [f.manifests for f in corpus.fixtures()]
    bodies = [d.body for m in docs for d in m]
    with Evaluator(corpus.POLICIES, data=[corpus.DATA], batch_size=500) as opa:
        pid = opa.server.pid
        assert pid is not None
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert f"127.0.0.1:{opa.server.port}".encode() in argv
        results = opa.evaluate("main", bodies)
        assert len(results) == len(bodies)
        expected_requests = -(-len(bodies) // 500)
        assert opa.requests == expected_requests, "documents must be evaluated in batches"
        combined = opa.evaluate_combined("combine", [[d.body for d in m] for m in docs])
        assert len(combined) == len(docs)
    assert not _alive(pid), "OPA must be stopped when the context exits"


def test_server_stopped_when_the_body_raises(opa_binary: Path) -> None:
    pid = 0
    with pytest.raises(RuntimeError, match="boom"), Evaluator(corpus.POLICIES) as opa:
        assert opa.server.pid is not None
        pid = opa.server.pid
        raise RuntimeError("boom")
    assert pid and not _alive(pid)


def test_compile_error_names_file_and_line(opa_binary: Path, tmp_path: Path) -> None:
    (tmp_path / "ok.rego").write_text("package main\n\nimport rego.v1\n\ndeny contains 1 if false\n")
    (tmp_path / "broken.rego").write_text(
        textwrap.dedent("""\
        package main

        import rego.v1

        deny_x contains msg if {
            msg := undefined_function(input)
        }
        """)
    )
    with pytest.raises(PolicyCompileError) as err:
        Evaluator(tmp_path).start()
    assert f"{tmp_path / 'broken.rego'}:6" in str(err.value)
    assert err.value.locations == [f"{tmp_path / 'broken.rego'}:6"]


def test_parse_error_names_file_and_line(opa_binary: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.rego").write_text("package main\n\nimport rego.v1\n\ndeny contains msg if {\n")
    with pytest.raises(PolicyCompileError, match=r"bad\.rego:\d+"):
        Evaluator(tmp_path).start()


def test_opa_that_does_not_start_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "opa"
    fake.write_text("#!/bin/sh\necho 'listen tcp: address already in use' >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(OpaError, match=r"did not start.*address already in use"):
        Evaluator(corpus.POLICIES, binary=fake, start_timeout=5).start()


def test_sigterm_stops_opa(opa_binary: Path, tmp_path: Path) -> None:
    """A chartgate process killed with SIGTERM takes its OPA down with it."""
    pidfile = tmp_path / "opa.pid"
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from chartgate.policy.evaluator import Evaluator
        opa = Evaluator(Path({str(corpus.POLICIES)!r})).start()
        Path({str(pidfile)!r}).write_text(str(opa.server.pid))
        time.sleep(120)
    """)
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 60
        while not pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pidfile.exists(), "the child never started OPA"
        pid = int(pidfile.read_text())
        assert _alive(pid)
        child.send_signal(signal.SIGTERM)
        child.wait(30)
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(pid), "OPA outlived the chartgate process"
    finally:
        if child.poll() is None:
            child.kill()


def test_data_files_merge_and_stringify_dates(opa_binary: Path, tmp_path: Path) -> None:
    """Files directly in a data directory at the data root, a subdirectory's under its name
    (as ``conftest --data DIR``); YAML dates are strings."""
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.yaml").write_text("clockwork:\n  exemptions:\n    - {expires: 2027-01-01}\n")
    (data / "b.json").write_text('{"other": {"x": 1}}')
    (data / "sub" / "c.yaml").write_text("y: 2\n")
    (tmp_path / "p.rego").write_text("package main\n\n"
                                     "seen := {\"clockwork\": data.clockwork, \"other\": data.other, "
                                     "\"sub\": data.sub}\n")
    with Evaluator(tmp_path, data=[data]) as opa:
        seen = opa.server.query("main", "seen", {})
    assert seen == {
        "clockwork": {"exemptions": [{"expires": "2027-01-01"}]}, "other": {"x": 1}, "sub": {"y": 2}}


def test_a_data_key_defined_twice_is_an_error(opa_binary: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.yaml").write_text("clockwork: {exemptions: []}\n")
    (data / "b.yaml").write_text("clockwork: {exemptions: [1]}\n")
    (tmp_path / "p.rego").write_text("package main\n")
    with pytest.raises(OpaError, match=r"did not start.*clockwork"):
        Evaluator(tmp_path, data=[data]).start()


def test_rule_id_from_name() -> None:
    assert rule_id("deny_clk_sec_001") == "CLK-SEC-001"
    assert rule_id("warn_clk_img_002") == "CLK-IMG-002"
    assert rule_id("deny") == "deny"


def _result(*hits: tuple[str, str]) -> ScenarioPolicy:
    return ScenarioPolicy(
        [PolicyHit(sev, rid, "Deployment/x", f"[{rid}] Deployment/x: bad") for sev, rid in hits]
    )


def test_expectation_prod_no_deny_no_warn() -> None:
    findings = compare(PolicyExpectation(deny=(), warn=()), _result(("warn", "CLK-IMG-002")), "prod")
    assert [(f.rule, f.severity) for f in findings] == [("CLK-IMG-002", Severity.ERROR)]
    assert "unexpected warn" in findings[0].message


def test_expectation_default_reports_warnings_without_failing() -> None:
    findings = compare(PolicyExpectation(deny=(), warn=None), _result(("warn", "CLK-IMG-002")), "default")
    assert [(f.rule, f.severity) for f in findings] == [("CLK-IMG-002", Severity.WARNING)]
    findings = compare(PolicyExpectation(deny=(), warn=None), _result(("deny", "CLK-SEC-001")), "default")
    assert [(f.rule, f.severity) for f in findings] == [("CLK-SEC-001", Severity.ERROR)]


def test_expectation_negative_scenario_exact_ids() -> None:
    expect = PolicyExpectation(deny=("CLK-NET-002",), warn=None)
    ok = compare(expect, _result(("deny", "CLK-NET-002")), "neg")
    assert [f.severity for f in ok] == [Severity.NOTE]
    missing = compare(expect, _result(), "neg")
    assert [(f.rule, f.severity) for f in missing] == [("CLK-NET-002", Severity.ERROR)]
    assert "expects policy CLK-NET-002 to deny, but it did not" in missing[0].message
    extra = compare(expect, _result(("deny", "CLK-NET-002"), ("deny", "CLK-SEC-001")), "neg")
    assert {(f.rule, f.severity) for f in extra} == {
        ("CLK-NET-002", Severity.NOTE),
        ("CLK-SEC-001", Severity.ERROR),
    }


def test_expectation_any_deny_and_exemptions_are_notes() -> None:
    findings = compare(
        PolicyExpectation(deny=None, warn=None),
        _result(("deny", "CLK-SEC-001"), ("exempt", "CLK-SEC-012")),
        "x",
    )
    assert {f.severity for f in findings} == {Severity.NOTE}


def test_engine_reports_template_for_combine_findings(engine: PolicyEngine) -> None:
    fixture = corpus.load_fixture(corpus.FIXTURES / "rel-005-no-pdb.yaml")
    from chartgate.manifests import parse

    text = fixture.path.read_text().replace(
        "---\napiVersion: apps/v1",
        "---\n# Source: clockwork/templates/deployment.yaml\napiVersion: apps/v1",
        1,
    )
    result = engine.evaluate({"x": parse(text)})["x"]
    (hit,) = [h for h in result.hits if h.id == "CLK-REL-005"]
    assert hit.template == "templates/deployment.yaml"
    assert hit.namespace == "combine"
