#!/bin/bash
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

  # The temporary init server listens on the port psql will use (PGPORT), as the official
  # image's docker_temp_server_start does; a fixed 5432 broke initialisation on any other port.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start >/dev/null
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
