"""The docker CLI: the only module that builds ``docker`` command lines.

Uses Debian's ``/usr/bin/docker`` (the CLI that matches Debian's docker.io engine) when
present, else ``docker`` on PATH; ``CHARTGATE_DOCKER`` overrides. The legacy builder is
used (``DOCKER_BUILDKIT=0``): it needs no buildx plugin and no registry for ``FROM``
of a local image.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from chartgate import proc
from chartgate.util.files import atomic_output

BUILD_TIMEOUT = 1800


class DockerUnavailable(RuntimeError):
    """No docker CLI, or no engine answering it."""


def binary() -> str:
    override = os.environ.get("CHARTGATE_DOCKER")
    if override:
        return override
    if Path("/usr/bin/docker").exists():
        return "/usr/bin/docker"
    found = shutil.which("docker")
    if not found:
        raise DockerUnavailable("no docker CLI found (install Debian's docker.io: "
                                "`chartgate airgap build` does that)")
    return found


def _env() -> dict[str, str]:
    return {"DOCKER_BUILDKIT": "0", "DOCKER_CLI_HINTS": "false"}


def run(args: Iterable[str | Path], *, timeout: float = 600, check: bool = True,
        stream: bool = False, input: str | None = None) -> proc.Result:
    return proc.run([binary(), *args], env=_env(), timeout=timeout, check=check,
                    stream=stream, input=input)


def engine_running() -> bool:
    try:
        return run(["info", "--format", "{{.ServerVersion}}"], timeout=20, check=False).returncode == 0
    except (proc.ProcessError, DockerUnavailable):
        return False


def info() -> dict:
    return json.loads(run(["info", "--format", "{{json .}}"], timeout=30).stdout)


def image_exists(ref: str) -> bool:
    return run(["image", "inspect", "--format", "{{.Id}}", ref], check=False, timeout=30).returncode == 0


def image_id(ref: str) -> str:
    return run(["image", "inspect", "--format", "{{.Id}}", ref], timeout=30).stdout.strip()


def image_has_file(ref: str, path: str) -> bool:
    """Whether ``path`` is a regular file in image ``ref`` (a throwaway container, no network)."""
    res = run(["run", "--rm", "--network", "none", "--entrypoint", "test", ref, "-f", path],
              check=False, timeout=60)
    return res.returncode == 0


def image_label(ref: str, label: str) -> str | None:
    res = run(["image", "inspect", "--format", "{{json .Config.Labels}}", ref], check=False, timeout=30)
    if res.returncode != 0:
        return None
    labels = json.loads(res.stdout.strip() or "null") or {}
    return labels.get(label)


def container_label(container: str, label: str) -> str | None:
    """A label of ``container`` (its image's labels included); None when it has no such label."""
    res = run(["inspect", "--format", "{{json .Config.Labels}}", container], check=False, timeout=30)
    if res.returncode != 0:
        return None
    return (json.loads(res.stdout.strip() or "null") or {}).get(label)


def build(context: Path, tag: str, *, dockerfile: Path | None = None,
          build_args: Mapping[str, str] | None = None, labels: Mapping[str, str] | None = None,
          stream: bool = False, no_cache: bool = False) -> None:
    args: list[str | Path] = ["build", "--network", "host", "-t", tag]
    if dockerfile:
        args += ["-f", dockerfile]
    for key, value in (build_args or {}).items():
        args += ["--build-arg", f"{key}={value}"]
    for key, value in (labels or {}).items():
        args += ["--label", f"{key}={value}"]
    if no_cache:
        args.append("--no-cache")
    args.append(context)
    run(args, timeout=BUILD_TIMEOUT, stream=stream)


def import_tar(tarball: Path, tag: str, changes: Iterable[str] = ()) -> None:
    args: list[str | Path] = ["import"]
    for change in changes:
        args += ["--change", change]
    run([*args, tarball, tag], timeout=900)


def save(refs: Iterable[str], out: Path) -> Path:
    with atomic_output(out) as tmp:
        run(["save", "-o", tmp, *refs], timeout=900)
    return out


def tag(src: str, dst: str) -> None:
    run(["tag", src, dst], timeout=60)


def image_id_or_none(ref: str) -> str | None:
    res = run(["image", "inspect", "--format", "{{.Id}}", ref], check=False, timeout=30)
    return res.stdout.strip() or None if res.returncode == 0 else None


def drop_superseded(ref: str, old_id: str | None) -> None:
    """After ``ref`` was rebuilt, remove its previous image if nothing else uses it (no
    ``-f``: an image with other tags or containers stays), so rebuilds don't pile up."""
    if old_id and old_id != image_id_or_none(ref):
        run(["image", "rm", old_id], check=False, timeout=120)


def remove_image(ref: str) -> None:
    run(["image", "rm", "-f", ref], check=False, timeout=120)


def run_detached(image: str, *, name: str, privileged: bool = False, entrypoint: str | None = None,
                 volumes: Iterable[str] = (), tmpfs: Iterable[str] = (), extra: Iterable[str] = (),
                 command: Iterable[str] = (), env: Mapping[str, str] | None = None) -> str:
    args: list[str] = ["run", "-d", "--name", name]
    if privileged:
        args.append("--privileged")
    for key, value in (env or {}).items():
        args += ["--env", f"{key}={value}"]
    if entrypoint is not None:
        args += ["--entrypoint", entrypoint]
    for vol in volumes:
        args += ["--volume", vol]
    for mnt in tmpfs:
        args += ["--tmpfs", mnt]
    args += list(extra)
    return run([*args, image, *command], timeout=300).stdout.strip()


def exec_(container: str, argv: Iterable[str], *, timeout: float = 600, check: bool = True,
          detach: bool = False, user: str | None = None) -> proc.Result:
    args = ["exec"]
    if detach:
        args.append("-d")
    if user:
        args += ["--user", user]
    return run([*args, container, *argv], timeout=timeout, check=check)


def copy_to(container: str, src: Path, dest: str) -> None:
    run(["cp", src, f"{container}:{dest}"], timeout=600)


def commit(container: str, ref: str, changes: Iterable[str] = ()) -> None:
    args = ["commit"]
    for change in changes:
        args += ["--change", change]
    run([*args, container, ref], timeout=900)


def remove_container(name: str) -> None:
    run(["rm", "-f", "-v", name], check=False, timeout=120)


def containers(filters: Iterable[str] = (), all_: bool = True) -> list[str]:
    args = ["ps", "-q", "--no-trunc"]
    if all_:
        args.append("-a")
    for flt in filters:
        args += ["--filter", flt]
    return run(args, timeout=60).stdout.split()


def container_names(filters: Iterable[str] = ()) -> list[str]:
    args = ["ps", "-a", "--format", "{{.Names}}"]
    for flt in filters:
        args += ["--filter", flt]
    return run(args, timeout=60).stdout.split()


def volumes(filters: Iterable[str] = ()) -> list[str]:
    args = ["volume", "ls", "-q"]
    for flt in filters:
        args += ["--filter", flt]
    return run(args, timeout=60).stdout.split()


def container_volumes(container: str) -> list[str]:
    """Names of the docker volumes (named or anonymous) mounted into a container."""
    res = run(["inspect", "--type", "container", "--format",
               '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}', container],
              check=False, timeout=60)
    return res.stdout.split() if res.returncode == 0 else []


def volume_exists(volume: str) -> bool:
    return run(["volume", "inspect", volume], check=False, timeout=60).returncode == 0


def networks(filters: Iterable[str] = ()) -> list[str]:
    args = ["network", "ls", "--format", "{{.Name}}"]
    for flt in filters:
        args += ["--filter", flt]
    return run(args, timeout=60).stdout.split()


def network_containers(network: str) -> list[str]:
    res = run(["network", "inspect", "--format", "{{json .Containers}}", network], check=False, timeout=60)
    if res.returncode != 0:
        return []
    return list((json.loads(res.stdout.strip() or "null") or {}).keys())


def remove_network(network: str) -> None:
    run(["network", "rm", network], check=False, timeout=60)


def remove_volume(volume: str) -> None:
    run(["volume", "rm", "-f", volume], check=False, timeout=60)
