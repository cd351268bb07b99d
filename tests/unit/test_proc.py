"""proc: the one place processes run — errors always name the command and its stderr."""

from __future__ import annotations

import sys
import time

import pytest

from chartgate import proc

PY = sys.executable


def test_run_captures_output() -> None:
    res = proc.run([PY, "-c", "import sys; print('out'); print('err', file=sys.stderr)"])
    assert res.returncode == 0 and res.stdout == "out\n" and res.stderr == "err\n"


def test_nonzero_exit_names_command_and_stderr_tail() -> None:
    with pytest.raises(proc.ProcessError) as ei:
        proc.run([PY, "-c", "import sys; sys.stderr.write('boom happened'); sys.exit(3)"])
    assert ei.value.returncode == 3
    assert "exited with code 3" in str(ei.value) and "boom happened" in str(ei.value)
    assert PY in str(ei.value)


def test_check_false_returns_the_failure() -> None:
    res = proc.run([PY, "-c", "raise SystemExit(4)"], check=False)
    assert res.returncode == 4


def test_missing_program_is_a_process_error() -> None:
    with pytest.raises(proc.ProcessError, match="could not start"):
        proc.run(["/nonexistent/chartgate-no-such-tool"])


def test_timeout_is_reported() -> None:
    with pytest.raises(proc.ProcessError, match=r"timed out after 0.3s"):
        proc.run([PY, "-c", "import time; time.sleep(5)"], timeout=0.3)


def test_env_and_input_are_passed() -> None:
    res = proc.run([PY, "-c", "import os, sys; print(os.environ['CG_X'] + sys.stdin.read())"],
                   env={"CG_X": "a"}, input="b")
    assert res.stdout.strip() == "ab"


def test_start_and_stop_a_server(tmp_path) -> None:
    log = tmp_path / "server.log"
    p = proc.start([PY, "-c", "import time; print('up', flush=True); time.sleep(30)"], log_file=log)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "up" not in log.read_text():
        time.sleep(0.05)
    assert "up" in log.read_text()
    proc.stop(p, timeout=5)
    assert p.poll() is not None
    proc.stop(p)  # idempotent


def test_start_missing_program() -> None:
    with pytest.raises(proc.ProcessError, match="could not start"):
        proc.start(["/nonexistent/chartgate-no-such-server"])


class _ToolError(RuntimeError):
    pass


def test_run_json_accepts_finding_exit_codes_and_parses() -> None:
    out = proc.run_json([PY, "-c", "print('[1, 2]'); raise SystemExit(1)"], error=_ToolError, what="t")
    assert out == [1, 2]
    assert proc.run_json([PY, "-c", "pass"], error=_ToolError, what="t", empty="{}") == {}


def test_run_json_errors_name_the_tool() -> None:
    with pytest.raises(_ToolError, match=r"t exited 2: bad"):
        proc.run_json([PY, "-c", "import sys; sys.stderr.write('bad'); sys.exit(2)"],
                      error=_ToolError, what="t")
    with pytest.raises(_ToolError, match="t printed no JSON"):
        proc.run_json([PY, "-c", "print('nope')"], error=_ToolError, what="t")
