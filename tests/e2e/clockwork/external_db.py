"""PostgreSQL outside the cluster, for the scenarios with an external database: a
testcontainers container (the air-gapped PostgreSQL image) on kind's docker network,
reached by pods at its IP on that network."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ExternalPostgres:
    container: Any
    ip: str
    user: str
    password: str
    port: int = 5432
    databases: list[str] = field(default_factory=list)

    def url(self, database: str) -> str:
        return f"postgres://{self.user}:{self.password}@{self.ip}:{self.port}/{database}?sslmode=disable"

    def psql(self, database: str, sql: str) -> str:
        code, out = self.container.exec(["psql", "-v", "ON_ERROR_STOP=1", "-U", self.user, "-d", database,
                                         "-tA", "-c", sql])
        text = out.decode(errors="replace") if isinstance(out, bytes) else str(out)
        if code != 0:
            raise AssertionError(f"psql on the external PostgreSQL failed ({code}): {text}")
        return text.strip()

    def create_database(self, name: str) -> str:
        self.psql("postgres", f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return self.url(name)
