"""OpaServer's queries over loopback (the standard library's HTTP client): an answer, a
runtime error in the policy and a server that went away each surface as what they are."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from chartgate.tools.opa import OpaError, OpaServer

MODULE = """package t

import rego.v1

double := input.x * 2

conflict := input.a

conflict := input.b
"""


def test_queries_answers_and_errors(opa_binary: Path, tmp_path: Path) -> None:
    with OpaServer([], modules={"t.rego": MODULE}, binary=opa_binary) as opa:
        assert opa.query("t", "double", {"x": 21}) == 42
        # two threads at once (the engine's two passes)
        out: list[int] = []
        threads = [threading.Thread(target=lambda i=i: out.append(opa.query("t", "double", {"x": i})))
                   for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(out) == [0, 2, 4, 6]
        with pytest.raises(OpaError, match=r"HTTP 500 .*conflict"):
            opa.query("t", "conflict", {"a": 1, "b": 2})  # two values for one complete rule
        with pytest.raises(OpaError, match="no result"):
            opa.query("t", "missing", {})
        assert opa.requests == 7
        opa._proc.kill()  # type: ignore[union-attr]
        opa._proc.wait()  # type: ignore[union-attr]
        # as if it had died unnoticed: the next query cannot connect
        opa._proc = type("Gone", (), {"poll": lambda self: None})()
        with pytest.raises(OpaError, match="did not answer"):
            opa.query("t", "double", {"x": 1})
        opa._proc = None
