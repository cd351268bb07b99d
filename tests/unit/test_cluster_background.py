"""``chartgate cluster up --background`` / ``cluster wait``: the detached creation reports how
it ended through its status file; ``wait`` returns that exit code with the log, fails a
process that died without a status, and gives up at its deadline naming the log."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest

from chartgate import proc
from chartgate.airgap import background, cli, cluster


@pytest.fixture(autouse=True)
def _cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHARTGATE_CACHE", str(tmp_path))


def _status_script(job: background.Job, message: str, rc: int) -> str:
    """Like ``cluster up --status-file``: print (stdout is the log file, block-buffered),
    write the status, and stay alive a little (so the exit does not flush the log for it)."""
    return (f"import time; from pathlib import Path; from chartgate.airgap import background; "
            f"print({message!r}); background.write_status(Path({str(job.status)!r}), {rc}); time.sleep(3)")


def _fake_job(name: str, script: str) -> background.Job:
    """A detached process standing in for `cluster up`, recorded as the job of ``name``."""
    job = background.Job(name)
    child = proc.start([sys.executable, "-c", script], log_file=job.log)
    job.pid_file.write_text(str(child.pid))
    return job


def test_wait_returns_the_status_and_the_log() -> None:
    job = background.Job("ok")
    _fake_job("ok", _status_script(job, "cluster ready", 0))
    rc, log = background.wait("ok", timeout=30)
    assert rc == 0 and "cluster ready" in log


def test_wait_reports_a_failed_creation() -> None:
    job = background.Job("bad")
    _fake_job("bad", _status_script(job, "kind create failed", 1))
    rc, log = background.wait("bad", timeout=30)
    assert rc == 1 and "kind create failed" in log


def test_a_process_that_dies_without_status_is_a_failure() -> None:
    _fake_job("died", "import os; os._exit(9)")
    rc, log = background.wait("died", timeout=30)
    assert rc == 1 and "ended without an exit code" in log


def test_wait_gives_up_at_its_deadline_naming_the_log() -> None:
    job = _fake_job("slow", "import time; time.sleep(30)")
    try:
        with pytest.raises(TimeoutError, match=str(job.log)):
            background.wait("slow", timeout=1)
    finally:
        import os
        import signal

        os.kill(int(job.pid_file.read_text()), signal.SIGKILL)


def test_wait_without_a_started_job_names_what_is_missing() -> None:
    with pytest.raises(FileNotFoundError, match="no background `chartgate cluster up --name never`"):
        background.wait("never", timeout=1)


def test_foreground_up_writes_its_status_even_when_it_fails(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    def broken_up(*a: object, **kw: object) -> Path:
        raise RuntimeError("node image not found")

    monkeypatch.setattr(cluster, "up", broken_up)
    status = tmp_path / "status.json"
    args = argparse.Namespace(cluster_cmd="up", background=False, name="c", image=None, load=[],
                              no_postgres=True, recreate=False, status_file=str(status))
    with pytest.raises(RuntimeError):
        cli._cluster(args)
    assert json.loads(status.read_text()) == {"phase": "done", "returncode": 1}


def test_background_up_passes_the_same_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(background, "start",
                        lambda name, args: started.append((name, args)) or background.Job(name))
    args = argparse.Namespace(cluster_cmd="up", background=True, name="c", image="stock",
                              load=["app:1"], no_postgres=False, recreate=True, status_file=None)
    assert cli._cluster(args) == 0
    assert started == [("c", ["--load=app:1", "--image=stock", "--recreate"])]


def test_wait_created_returns_once_the_node_runs() -> None:
    job = background.Job("boot")
    script = (f"import time; open({str(job.status)!r}, 'w').write('{{\"phase\": \"created\"}}'); "
              "time.sleep(30)")
    _fake_job("boot", script)
    try:
        rc, _ = background.wait("boot", timeout=20, created=True)
        assert rc == 0
        with pytest.raises(TimeoutError):
            background.wait("boot", timeout=1)  # the full wait still waits for the end
    finally:
        import os
        import signal

        os.kill(int(job.pid_file.read_text()), signal.SIGKILL)


def test_foreground_up_records_the_created_phase(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    status = tmp_path / "status.json"
    phases: list[dict] = []

    def fake_up(*a: object, on_created: object = None, **kw: object) -> Path:
        assert callable(on_created)
        on_created()
        phases.append(json.loads(status.read_text()))
        return tmp_path / "kubeconfig"

    monkeypatch.setattr(cluster, "up", fake_up)
    args = argparse.Namespace(cluster_cmd="up", background=False, name="c", image=None, load=[],
                              no_postgres=True, recreate=False, status_file=str(status))
    assert cli._cluster(args) == 0
    assert phases == [{"phase": "created"}]
    assert json.loads(status.read_text()) == {"phase": "done", "returncode": 0}
