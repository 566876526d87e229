#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh Debian/Ubuntu machine that has only the .NET SDK:
# PostgreSQL server >= 15 and pgbouncer. Does nothing when they are present.
set -euo pipefail

have_pg() {
  local d v
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/postgres" && -x "$d/pg_basebackup" ]] || continue
    v="$(basename "$(dirname "$d")")"
    [[ "$v" =~ ^[0-9]+$ ]] && (( v >= 15 )) && return 0
  done
  return 1
}
have_pgbouncer() { command -v pgbouncer >/dev/null 2>&1 || [[ -x /usr/sbin/pgbouncer ]]; }

missing=()
have_pg || missing+=(postgresql postgresql-contrib)
have_pgbouncer || missing+=(pgbouncer)
if [[ -n "${PGD_EXTRA_PACKAGES:-}" ]]; then
  for p in $PGD_EXTRA_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
fi
(( ${#missing[@]} == 0 )) && exit 0

if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "[deps] missing: ${missing[*]}. Install them (PostgreSQL >= 15 server binaries and pgbouncer) and run again." >&2
  exit 1
fi

echo "[deps] installing: ${missing[*]}" >&2
# Debian's postgresql package creates and starts a 'main' cluster on 5432 by default; we run our own.
mkdir -p /etc/postgresql-common
if [[ ! -f /etc/postgresql-common/createcluster.conf ]] || ! grep -q '^create_main_cluster *= *false' /etc/postgresql-common/createcluster.conf; then
  echo "create_main_cluster = false" >> /etc/postgresql-common/createcluster.conf
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
have_pg || { echo "[deps] PostgreSQL >= 15 is still missing after apt-get install" >&2; exit 1; }
have_pgbouncer || { echo "[deps] pgbouncer is still missing after apt-get install" >&2; exit 1; }
echo "[deps] installed" >&2
