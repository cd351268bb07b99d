"""``Kubectl.port_forward`` with a stand-in kubectl: parallel test workers may both see
8080 free and race for it; the loser must retry on another port instead of failing."""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

import pytest

from chartgate.tools.kubectl import Kubectl, KubectlError

FAKE = """#!{python}
import os, socket, sys
args = sys.argv[1:]
local = int(args[args.index("port-forward") + 2].split(":")[0])
calls = os.environ["FAKE_KUBECTL_CALLS"]
with open(calls, "a") as f:
    f.write(f"{{local}}\\n")
if os.environ.get("FAKE_KUBECTL_MODE") == "taken-once" and len(open(calls).read().split()) == 1:
    print(f"Unable to listen on port {{local}}: Listeners failed to create with the following errors: "
          f"[unable to create listener: Error listen tcp4 127.0.0.1:{{local}}: bind: address already in use]",
          flush=True)
    sys.exit(1)
if os.environ.get("FAKE_KUBECTL_MODE") == "broken":
    print("error: services \\"nope\\" not found", flush=True)
    sys.exit(1)
s = socket.socket()
s.bind(("127.0.0.1", local))
s.listen()
print(f"Forwarding from 127.0.0.1:{{local}} -> 80", flush=True)
while True:
    c, _ = s.accept()
    c.sendall(b"HTTP/1.0 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok")
    c.close()
"""


@pytest.fixture
def fake_kubectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Kubectl, Path]:
    script = tmp_path / "kubectl"
    script.write_text(FAKE.format(python=sys.executable))
    script.chmod(0o755)
    calls = tmp_path / "calls"
    monkeypatch.setenv("FAKE_KUBECTL_CALLS", str(calls))
    return Kubectl(binary=str(script)), calls


def test_a_port_taken_after_the_check_is_retried_on_a_free_port(
        fake_kubectl: tuple[Kubectl, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    kubectl, calls = fake_kubectl
    monkeypatch.setenv("FAKE_KUBECTL_MODE", "taken-once")
    with kubectl.port_forward("service/x", "ns", 80, 8080, log_dir=tmp_path, ready_timeout=10) as pf:
        with urllib.request.urlopen(pf.url, timeout=5) as resp:
            assert resp.read() == b"ok"
        tried = calls.read_text().split()
        assert len(tried) == 2 and int(tried[1]) == pf.local_port != int(tried[0])


def test_other_failures_are_not_retried(fake_kubectl: tuple[Kubectl, Path], monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    kubectl, calls = fake_kubectl
    monkeypatch.setenv("FAKE_KUBECTL_MODE", "broken")
    with pytest.raises(KubectlError, match='services "nope" not found'), \
            kubectl.port_forward("service/nope", "ns", 80, 8080, log_dir=tmp_path, ready_timeout=10):
        pass
    assert len(calls.read_text().split()) == 1
