#!/usr/bin/env bash
# Builds the container image PgDiscipline.Testing runs where no container registry can be reached: a Debian bookworm
# root filesystem (debootstrap --variant=minbase) with PostgreSQL 15 and PgBouncer from Debian's packages, loaded with
# `docker import`. Once per machine: an image already present is reused.
#
#   build/image.sh [TAG]        default tag: $PGD_TESTING_IMAGE, else pgdiscipline/postgres-pgbouncer:15-bookworm-local
#
# Needs a running Docker engine (build/docker.sh start) and a Debian mirror (the one apt uses). Prints the tag.
set -euo pipefail
TAG="${1:-${PGD_TESTING_IMAGE:-pgdiscipline/postgres-pgbouncer:15-bookworm-local}}"
MIRROR="${PGD_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "[image] $TAG is present (reused)" >&2
  echo "$TAG"
  exit 0
fi

if ! command -v debootstrap >/dev/null 2>&1; then
  echo "[image] installing debootstrap" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null
fi

ROOTFS="$(mktemp -d /tmp/pgd-rootfs-XXXXXX)"
trap 'rm -rf "$ROOTFS"' EXIT
start=$(date +%s)
echo "[image] debootstrap bookworm (minbase + postgresql-15 + pgbouncer) from $MIRROR" >&2
# The packages' own scripts would create and start a cluster in the chroot; policy-rc.d stops the start, and the
# cluster it creates is removed below (the containers make their own data directory).
debootstrap --variant=minbase --include=postgresql-15,postgresql-client-15,pgbouncer,ca-certificates \
  bookworm "$ROOTFS" "$MIRROR" > "$ROOTFS.log" 2>&1 || { tail -n 30 "$ROOTFS.log" >&2; exit 1; }
rm -f "$ROOTFS.log"
rm -rf "$ROOTFS/var/lib/postgresql/15/main" "$ROOTFS/etc/postgresql/15/main" "$ROOTFS/var/cache/apt/archives/"*.deb \
  "$ROOTFS/var/lib/apt/lists/"* 2>/dev/null || true
# The server's unix socket directory must exist and belong to postgres in the containers too.
chroot "$ROOTFS" install -d -o postgres -g postgres /var/run/postgresql

echo "[image] docker import $TAG" >&2
tar -C "$ROOTFS" -c . | docker import \
  --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'USER postgres' \
  --change 'CMD ["bash"]' \
  - "$TAG" >/dev/null
echo "[image] built $TAG in $(( $(date +%s) - start )) s ($(docker image inspect "$TAG" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}'))" >&2
echo "$TAG"
