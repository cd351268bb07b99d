"""kubectl — only for what the deployment plan's commands need verbatim.

Everything else goes through :mod:`chartgate.tools.kube` (the Python client). These are
the commands the docs promise users, so the e2e stage runs them exactly:
``kubectl create namespace|configmap|secret``, ``kubectl set image``,
``kubectl rollout status`` and ``kubectl port-forward service/clockwork-service 8080:80``.

The binary is the pinned kubectl the air-gapped build makes from the Kubernetes Go
module (``chartgate tools install kubectl`` / ``chartgate airgap build``);
``CHARTGATE_KUBECTL`` overrides it, ``kubectl`` on PATH is the last resort.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from chartgate import proc
from chartgate.util.deadline import poll_until
from chartgate.util.durations import parse_duration


class KubectlError(RuntimeError):
    pass


def binary() -> str:
    override = os.environ.get("CHARTGATE_KUBECTL")
    if override:
        return override
    # the pinned kubectl (`chartgate tools install kubectl`), else the one built with
    # Kubernetes by `chartgate airgap build`
    from chartgate.tools import bootstrap
    from chartgate.tools.versions import tool

    candidates = [bootstrap.install_dir(tool("kubectl")) / tool("kubectl").binary,
                  bootstrap.install_dir(tool("kubernetes")) / "kubectl"]
    for cand in candidates:
        if cand.exists():
            return str(cand)
    found = shutil.which("kubectl")
    if found:
        return found
    raise KubectlError("no kubectl: run `chartgate tools install kubectl` (or `chartgate airgap build`), "
                       "or set CHARTGATE_KUBECTL")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


@dataclass
class PortForward:
    local_port: int
    argv: list[str]
    process: subprocess.Popen[bytes] = field(repr=False)
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.local_port}"


@dataclass
class Kubectl:
    kubeconfig: str | None = None
    binary: str = field(default_factory=binary)
    timeout: float = 300

    def _argv(self, args: Sequence[str]) -> list[str]:
        argv = [self.binary, *args]
        if self.kubeconfig:
            argv += ["--kubeconfig", self.kubeconfig]
        return argv

    def run(self, args: Sequence[str], timeout: float | None = None, check: bool = True) -> proc.Result:
        res = proc.run(self._argv(args), timeout=timeout or self.timeout, check=False)
        if check and res.returncode != 0:
            raise KubectlError(f"`kubectl {' '.join(args)}` failed (exit {res.returncode}): "
                               f"{(res.stderr or res.stdout).strip()}")
        return res

    # --- the plan's commands -------------------------------------------------------------
    def create_namespace(self, name: str) -> str:
        return self.run(["create", "namespace", name]).stdout

    def create_configmap(self, name: str, namespace: str, literals: Mapping[str, str]) -> str:
        args = ["create", "configmap", name, *(f"--from-literal={k}={v}" for k, v in literals.items()),
                "-n", namespace]
        return self.run(args).stdout

    def create_secret_generic(self, name: str, namespace: str, literals: Mapping[str, str]) -> str:
        args = ["create", "secret", "generic", name,
                *(f"--from-literal={k}={v}" for k, v in literals.items()), "-n", namespace]
        return self.run(args).stdout

    def set_image(self, deployment: str, container: str, image: str, namespace: str) -> str:
        return self.run(["set", "image", f"deployment/{deployment}", f"{container}={image}",
                         "-n", namespace]).stdout

    def rollout_status(self, deployment: str, namespace: str, timeout: str = "300s") -> str:
        return self.run(["rollout", "status", f"deployment/{deployment}", "-n", namespace,
                         f"--timeout={timeout}"], timeout=parse_duration(timeout, 300) + 30).stdout

    def get(self, args: Sequence[str]) -> str:
        return self.run(["get", *args]).stdout

    def exec(self, pod: str, namespace: str, command: Sequence[str], container: str | None = None,
             timeout: float = 60) -> str:
        """``kubectl exec POD -n NS [-c CONTAINER] -- COMMAND…``; its stdout."""
        argv = [self.binary, "exec", pod, "-n", namespace, *(["-c", container] if container else [])]
        if self.kubeconfig:
            argv += ["--kubeconfig", self.kubeconfig]
        res = proc.run([*argv, "--", *command], timeout=timeout, check=False)
        if res.returncode != 0:
            raise KubectlError(f"`kubectl exec {pod} -n {namespace} -- {' '.join(command)}` failed "
                               f"(exit {res.returncode}): {(res.stderr or res.stdout).strip()}")
        return res.stdout

    @contextmanager
    def port_forward(self, target: str, namespace: str, remote_port: int, local_port: int = 8080,
                     log_dir: Path | None = None, ready_timeout: float = 30) -> Iterator[PortForward]:
        """``kubectl port-forward TARGET LOCAL:REMOTE -n NS``, bound to loopback only.

        The plan's ``8080:80`` is used when 8080 is free, else a free port (other
        processes on a shared CI host may hold 8080). A port taken between that check and
        kubectl's bind (parallel test workers) is retried once on a fresh free port.
        Stopped on exit.
        """
        port = local_port if port_free(local_port) else free_port()
        try:
            process, argv, log = self._start_forward(target, namespace, port, remote_port, log_dir,
                                                     ready_timeout)
        except _PortTaken:
            port = free_port()
            process, argv, log = self._start_forward(target, namespace, port, remote_port, log_dir,
                                                     ready_timeout)
        try:
            yield PortForward(port, argv, process, log)
        finally:
            proc.stop(process)

    def _start_forward(self, target: str, namespace: str, port: int, remote_port: int, log_dir: Path | None,
                       ready_timeout: float) -> tuple[subprocess.Popen[bytes], list[str], Path]:
        argv = self._argv(["port-forward", target, f"{port}:{remote_port}", "-n", namespace,
                           "--address", "127.0.0.1"])
        log = (log_dir or Path("/tmp")) / f"port-forward-{namespace}-{port}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("")
        process = proc.start(argv, log_file=log)

        def forwarding() -> tuple[bool, str]:
            text = log.read_text(errors="replace")
            if re.search(rf"Forwarding from 127\.0\.0\.1:{port}", text) and _connectable(port):
                return True, text
            if process.poll() is not None:
                if "address already in use" in text:
                    raise _PortTaken(text)
                raise KubectlError(f"`{' '.join(argv)}` exited with {process.returncode}: {text.strip()}")
            return False, text

        try:
            done, text, _ = poll_until(forwarding, timeout=ready_timeout, interval=0.2)
            if not done:
                raise KubectlError(f"`{' '.join(argv)}` not forwarding after {ready_timeout:g}s: "
                                   f"{text.strip() or '(no output)'}")
            return process, argv, log
        except BaseException:
            proc.stop(process)
            raise


class _PortTaken(KubectlError):
    """kubectl port-forward could not bind its local port (another process got it first)."""


def _connectable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
