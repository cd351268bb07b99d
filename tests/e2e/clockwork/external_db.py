"""PostgreSQL outside the cluster, for the scenarios with an external database: a
container (the air-gapped PostgreSQL image, started with testcontainers) on kind's docker
network, reached by pods at its IP on that network.

One container serves a whole pytest session: its xdist workers share it (each scenario
creates databases of its own), instead of each worker starting one. :class:`Shared` keeps
who uses it in a state file under a lock: the first worker to ask starts it, the last one
to finish removes it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from chartgate.tools import docker


@dataclass
class ExternalPostgres:
    container: str  # its docker name
    ip: str
    user: str
    password: str
    port: int = 5432
    databases: list[str] = field(default_factory=list)

    def url(self, database: str) -> str:
        return f"postgres://{self.user}:{self.password}@{self.ip}:{self.port}/{database}?sslmode=disable"

    def psql(self, database: str, sql: str) -> str:
        res = docker.exec_(self.container, ["psql", "-v", "ON_ERROR_STOP=1", "-U", self.user, "-d", database,
                                            "-tA", "-c", sql], check=False, timeout=120)
        if res.returncode != 0:
            raise AssertionError(f"psql on the external PostgreSQL failed ({res.returncode}): "
                                 f"{res.stdout}{res.stderr}")
        return res.stdout.strip()

    def create_database(self, name: str) -> str:
        self.psql("postgres", f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return self.url(name)


@dataclass(frozen=True)
class Shared:
    """The session's container, as a state file ``path``: its connection data and the
    workers using it. Call :meth:`join` and :meth:`leave` under an inter-process lock."""

    path: Path

    def _read(self) -> dict:
        try:
            return dict(json.loads(self.path.read_text()))
        except (OSError, ValueError):
            return {}

    def _write(self, state: dict) -> None:
        self.path.write_text(json.dumps(state))
        self.path.chmod(0o600)

    def join(self, worker: str, start: Callable[[], ExternalPostgres]) -> ExternalPostgres:
        """The running container (``start()`` when there is none), with ``worker`` counted in."""
        state = self._read()
        if not state or not docker.containers([f"name=^{state['container']}$"], all_=False):
            if state:  # it stopped: start a new one under the same name
                docker.remove_container(state["container"])
            pg = start()
            state = {"container": pg.container, "ip": pg.ip, "user": pg.user, "password": pg.password,
                     "users": []}
        state["users"] = sorted(set(state["users"]) | {worker})
        self._write(state)
        return ExternalPostgres(state["container"], state["ip"], state["user"], state["password"])

    def leave(self, worker: str) -> bool:
        """Count ``worker`` out; the last one removes the container (returns True then)."""
        state = self._read()
        users = set(state.get("users", [])) - {worker}
        if users:
            self._write({**state, "users": sorted(users)})
            return False
        if state.get("container"):
            docker.remove_container(state["container"])
        self.path.unlink(missing_ok=True)
        return True
