"""Tiny HTTP client for loopback checks (port-forwards): every request has a timeout."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from chartgate.e2e.waits import eventually


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


def request(url: str, method: str = "GET", data: Any = None, headers: dict[str, str] | None = None,
            timeout: float = 10) -> Response:
    if not url.startswith(("http://127.0.0.1:", "http://localhost:")):
        raise ValueError(f"e2e HTTP checks only go to loopback (a port-forward), not {url}")
    body = None
    hdrs = dict(headers or {})
    if data is not None:
        body = json.dumps(data).encode()
        hdrs.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=body, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return Response(resp.status, {k.lower(): v for k, v in resp.headers.items()},
                            resp.read().decode(errors="replace"))
    except urllib.error.HTTPError as exc:
        return Response(exc.code, {k.lower(): v for k, v in (exc.headers or {}).items()},
                        exc.read().decode(errors="replace"))


def get(url: str, **kw: Any) -> Response:
    return request(url, "GET", **kw)


def post(url: str, data: Any, **kw: Any) -> Response:
    return request(url, "POST", data=data, **kw)


def get_ok(base: str, path: str, timeout: float = 30) -> Response:
    """``GET base+path`` until it answers 200 (wall-clock bounded); that answer."""
    def attempt() -> Response | None:
        r = get(base + path, timeout=5)
        return r if r.status == 200 else None

    return eventually(f"GET {path} -> 200 via {base}", attempt, timeout=timeout)
