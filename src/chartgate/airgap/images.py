"""Parts 4–5: component images (tagged exactly as kubeadm lists them), the storage
provisioner image, the NetworkPolicy controller image, the PostgreSQL workload image, and
:func:`build_image_from_dir`, the helper others use to build an image from a directory on
the local Debian base."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from chartgate import cache
from chartgate.airgap import base, binaries, steps
from chartgate.airgap.config import airgap, component_images, local_path_image, netpol_image
from chartgate.tools import docker

RECIPE = 3
SIMPLE_BINARY = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")


def _ctx_dir(tag: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", tag)
    path = cache.subdir("airgap", "contexts") / safe
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def _place(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dest)
    except OSError:
        shutil.copy2(src, dest)


def build_generated(tag: str, dockerfile: str, files: Mapping[str, Path | str | bytes], key: str,
                    force: bool = False) -> bool:
    """Build ``tag`` from a generated context (Dockerfile text + files) unless an image
    with the same cache key exists. Returns False when cached."""
    if not force and docker.image_label(tag, steps.KEY_LABEL) == key:
        return False
    ctx = _ctx_dir(tag)
    (ctx / "Dockerfile").write_text(dockerfile)
    for rel, content in files.items():
        dest = ctx / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            _place(content, dest)
        elif isinstance(content, bytes):
            dest.write_bytes(content)
        else:
            dest.write_text(content)
            if content.startswith("#!"):
                dest.chmod(0o755)
    old_id = docker.image_id_or_none(tag)
    try:
        docker.build(ctx, tag, labels={steps.KEY_LABEL: key},
                     build_args={"BASE_IMAGE": base.tag()})
    finally:
        shutil.rmtree(ctx, ignore_errors=True)
    docker.drop_superseded(tag, old_id)
    return True


def build_image_from_dir(context_dir: str | Path, tag: str, *,
                         build_args: Mapping[str, str] | None = None,
                         dockerfile: str | Path | None = None, force: bool = False) -> str:
    """Build ``tag`` from ``context_dir`` (its Dockerfile declares ``ARG BASE_IMAGE`` /
    ``FROM ${BASE_IMAGE}``) on the local Debian base image, which is built first if missing.

    Cached: skipped when an image ``tag`` exists whose key (content of the directory,
    build args, base image key) matches. Returns ``tag``.
    """
    ctx = Path(context_dir).resolve()
    if not ctx.is_dir():
        raise FileNotFoundError(f"image context {ctx} is not a directory")
    df = Path(dockerfile).resolve() if dockerfile else ctx / "Dockerfile"
    if not df.exists():
        raise FileNotFoundError(f"no Dockerfile at {df}")
    base.build()
    args = {"BASE_IMAGE": base.tag(), **(build_args or {})}
    key = steps.key_of("dir-image", steps.hash_tree(ctx), steps.hash_file(df), args, base.key())
    if not force and docker.image_label(tag, steps.KEY_LABEL) == key:
        return tag
    old_id = docker.image_id_or_none(tag)
    docker.build(ctx, tag, dockerfile=df if dockerfile else None, build_args=args,
                 labels={steps.KEY_LABEL: key})
    docker.drop_superseded(tag, old_id)
    return tag


# --- component images ------------------------------------------------------------------

APT = ("RUN apt-get update && apt-get install -y {pkgs} "
       "&& rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb\n")


def _dockerfile_for(component: str) -> tuple[str, dict[str, Path]]:
    head = "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"
    if component in SIMPLE_BINARY:
        return (head + f"COPY {component} /usr/local/bin/{component}\n",
                {component: binaries.kubernetes_binary(component)})
    if component == "kube-proxy":
        return (head + APT.format(pkgs="iptables nftables conntrack ipset kmod")
                + "COPY kube-proxy /usr/local/bin/kube-proxy\n",
                {"kube-proxy": binaries.kubernetes_binary("kube-proxy")})
    if component == "etcd":
        return (head + "COPY etcd /usr/local/bin/etcd\nRUN mkdir -p /var/lib/etcd\n",
                {"etcd": binaries.tool_binary("etcd")})
    if component == "coredns":
        return (head + "COPY coredns /coredns\nEXPOSE 53 53/udp\nENTRYPOINT [\"/coredns\"]\n",
                {"coredns": binaries.tool_binary("coredns")})
    if component == "pause":
        return ("FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT [\"/pause\"]\n",
                {"pause": binaries.pause_binary()})
    raise KeyError(component)


def component_key(component: str) -> str:
    text, files = _dockerfile_for(component)
    return steps.key_of("component", RECIPE, component, text,
                        {k: steps.hash_file(v) for k, v in files.items()}, base.key())


def build_component(component: str, force: bool = False) -> bool:
    text, files = _dockerfile_for(component)
    return build_generated(component_images()[component], text, dict(files),
                           component_key(component), force)


def local_path_key() -> str:
    return steps.key_of("local-path", RECIPE, steps.hash_file(binaries.tool_binary("local-path-provisioner")),
                        base.key())


def build_local_path(force: bool = False) -> bool:
    text = ("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"
            "COPY local-path-provisioner /usr/bin/local-path-provisioner\n"
            "ENTRYPOINT [\"local-path-provisioner\"]\n")
    return build_generated(local_path_image(), text,
                           {"local-path-provisioner": binaries.tool_binary("local-path-provisioner")},
                           local_path_key(), force)


# --- NetworkPolicy controller image ----------------------------------------------------

NETPOL_CONTEXT = ("Dockerfile", "divert-and-run.sh")


def netpol_source() -> Path:
    """``files/netpol``: the controller's Dockerfile, start script and DaemonSet manifest."""
    return Path(str(resources.files("chartgate.airgap").joinpath("files", "netpol")))


def netpol_key() -> str:
    src = netpol_source()
    return steps.key_of("netpol", RECIPE, {f: steps.hash_file(src / f) for f in NETPOL_CONTEXT},
                        steps.hash_file(binaries.tool_binary("kube-network-policies")), base.key())


def build_netpol(force: bool = False) -> bool:
    """kube-network-policies (the pinned Go build) + iptables/nftables on the Debian base."""
    src = netpol_source()
    files: dict[str, Path | str | bytes] = {
        "kube-network-policies": binaries.tool_binary("kube-network-policies"),
        "divert-and-run.sh": src / "divert-and-run.sh",
    }
    return build_generated(netpol_image(), (src / "Dockerfile").read_text(), files, netpol_key(), force)


# --- PostgreSQL workload image ---------------------------------------------------------

POSTGRES_MAJOR = 15

POSTGRES_DOCKERFILE = """\
ARG BASE_IMAGE
FROM ${{BASE_IMAGE}}
# Same uid/gid as the official image, created before the package so Debian reuses them.
RUN groupadd -r -g 999 postgres \\
 && useradd -r -g postgres -u 999 --home-dir=/var/lib/postgresql --shell=/bin/bash postgres \\
 && mkdir -p /etc/postgresql-common/createcluster.d \\
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/chartgate.conf \\
 && apt-get update && apt-get install -y postgresql-{major} postgresql-client-{major} libnss-wrapper \\
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \\
 && mkdir -p /var/run/postgresql /var/lib/postgresql/data /docker-entrypoint-initdb.d \\
 && chown -R postgres:postgres /var/run/postgresql /var/lib/postgresql \\
 && chmod 3777 /var/run/postgresql && chmod 1777 /var/lib/postgresql/data
ENV PATH=/usr/lib/postgresql/{major}/bin:$PATH \\
    PGDATA=/var/lib/postgresql/data \\
    LANG=C.UTF-8
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
USER 999:999
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["postgres"]
"""

POSTGRES_ENTRYPOINT = r"""#!/bin/bash
# chartgate's PostgreSQL entrypoint: Debian's postgresql with the official image's
# environment contract (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, PGDATA,
# POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD, /docker-entrypoint-initdb.d), non-root.
set -Eeuo pipefail

if [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi
if [ "$1" != 'postgres' ]; then
  exec "$@"
fi

: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
export PGDATA POSTGRES_USER POSTGRES_DB

if [ "$(id -u)" = 0 ]; then
  echo "chartgate postgres: refusing to run as root; run as uid 999" >&2
  exit 1
fi

mkdir -p "$PGDATA"
chmod 700 "$PGDATA" 2>/dev/null || true

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  # An arbitrary uid (e.g. runAsUser: 10001) has no passwd entry and initdb refuses to run:
  # give it one through nss_wrapper, like the official image.
  if ! getent passwd "$(id -u)" >/dev/null 2>&1; then
    for lib in /usr/lib/*/libnss_wrapper.so /usr/lib/libnss_wrapper.so; do
      if [ -e "$lib" ]; then
        NSS_WRAPPER_PASSWD="$(mktemp)"
        NSS_WRAPPER_GROUP="$(mktemp)"
        export LD_PRELOAD="$lib" NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
        echo "postgres:x:$(id -u):$(id -g):PostgreSQL:$PGDATA:/bin/false" > "$NSS_WRAPPER_PASSWD"
        echo "postgres:x:$(id -g):" > "$NSS_WRAPPER_GROUP"
        break
      fi
    done
  fi
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    echo "chartgate postgres: POSTGRES_PASSWORD is required (or POSTGRES_HOST_AUTH_METHOD=trust)" >&2
    exit 1
  fi
  pwfile="$(mktemp)"
  printf '%s' "${POSTGRES_PASSWORD:-}" > "$pwfile"
  # shellcheck disable=SC2086
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust \
    --auth-host="$POSTGRES_HOST_AUTH_METHOD" ${POSTGRES_INITDB_ARGS:-} >/dev/null
  rm -f "$pwfile"
  printf '\nlisten_addresses = '"'"'*'"'"'\n' >> "$PGDATA/postgresql.conf"
  printf 'host all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >> "$PGDATA/pg_hba.conf"

  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start >/dev/null
  psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
  if [ "$POSTGRES_DB" != 'postgres' ]; then
    exists="$("${psql[@]}" --dbname postgres -tA -v db="$POSTGRES_DB" \
      <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")"
    if [ -z "$exists" ]; then
      "${psql[@]}" --dbname postgres -v db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";' >/dev/null
    fi
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) echo "running $f"; . "$f" ;;
      *.sql) echo "running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
      *) ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "chartgate postgres: initialized $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)"
  if [ -n "${NSS_WRAPPER_PASSWD:-}" ]; then
    rm -f "$NSS_WRAPPER_PASSWD" "$NSS_WRAPPER_GROUP"
    unset LD_PRELOAD NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
  fi
fi

exec "$@"
"""


def postgres_tag() -> str:
    return airgap()["postgres_image"]


def postgres_key() -> str:
    return steps.key_of("postgres", RECIPE, POSTGRES_DOCKERFILE, POSTGRES_ENTRYPOINT, base.key())


def build_postgres(force: bool = False) -> bool:
    return build_generated(postgres_tag(), POSTGRES_DOCKERFILE.format(major=POSTGRES_MAJOR),
                           {"docker-entrypoint.sh": POSTGRES_ENTRYPOINT}, postgres_key(), force)
