"""The air-gapped PostgreSQL image honours the official image's contract on a port other
than 5432: the chart's in-cluster PostgreSQL sets ``PGPORT`` from ``postgresql.port``, so
the first start (initdb, the temporary init server, creating ``POSTGRES_DB``) must follow
it. Runs the image with plain docker (no cluster): a few seconds."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from chartgate.airgap import images
from chartgate.e2e.settings import missing as missing_prerequisite
from chartgate.proc import ProcessError
from chartgate.tools import docker
from chartgate.util.deadline import Terminal, poll_until

PORT = "6543"


@pytest.fixture
def postgres_on_other_port() -> Iterator[str]:
    try:
        if not docker.engine_running() or not docker.image_exists(images.postgres_tag()):
            missing_prerequisite(f"docker engine with {images.postgres_tag()} (run `chartgate airgap build`)")
    except docker.DockerUnavailable as exc:
        missing_prerequisite(str(exc))
    name = f"chartgate-pg-port-{secrets.token_hex(3)}"
    docker.run_detached(images.postgres_tag(), name=name, env={
        "PGPORT": PORT, "POSTGRES_USER": "clockwork", "POSTGRES_DB": "clockwork",
        "POSTGRES_PASSWORD": secrets.token_hex(8)})
    try:
        yield name
    finally:
        docker.remove_container(name)


def test_first_start_initialises_and_listens_on_pgport(postgres_on_other_port: str) -> None:
    name = postgres_on_other_port

    def ready() -> tuple[bool, str]:
        # initdb's temporary server answers too: wait for the entrypoint's "initialized"
        # line (it has stopped that one), then for the real server.
        logs = docker.run(["logs", name], check=False, timeout=30)
        if "chartgate postgres: initialized" not in logs.stdout + logs.stderr:
            if "is not running" in docker.exec_(name, ["true"], check=False, timeout=20).stderr:
                raise Terminal(f"the container exited during initialisation:\n{logs.stdout}{logs.stderr}")
            return False, "initialising"
        res = docker.exec_(name, ["pg_isready", "-p", PORT, "-d", "clockwork", "-U", "clockwork"],
                           check=False, timeout=20)
        return res.returncode == 0, (res.stdout + res.stderr).strip()

    done, state, _ = poll_until(ready, timeout=60, interval=1, transient=(ProcessError,))
    logs = docker.run(["logs", name], check=False, timeout=30)
    assert done, (f"PostgreSQL with PGPORT={PORT} never accepted connections on {PORT}: {state}\n"
                  f"container log:\n{logs.stdout}{logs.stderr}")
    out = docker.exec_(name, ["psql", "-p", PORT, "-U", "clockwork", "-d", "clockwork",
                              "-tAc", "SHOW port"], timeout=30)
    assert out.stdout.strip() == PORT
