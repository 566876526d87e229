#!/usr/bin/env bash
# Builds an image with PostgreSQL 15 and PgBouncer from Debian bookworm's packages that honours the official postgres
# image's environment contract (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, PGDATA, /docker-entrypoint-initdb.d;
# docker-entrypoint.sh beside this file), for machines that cannot pull from a container registry. PgDiscipline.Testing
# (and Testcontainers.PostgreSql) use it unchanged: set PGD_TESTING_IMAGE to the printed tag. Two steps: a root
# filesystem (debootstrap --variant=minbase, about 2 minutes, `docker import`ed as a base tag), then a `docker build` of
# the Dockerfile beside this file on it (seconds). An image already present with this contract is reused.
#
#   build-image.sh [TAG]        default tag: $PGD_TESTING_IMAGE, else pgdiscipline/postgres-pgbouncer:15-bookworm-local
#
# Needs root (debootstrap), a running Docker engine and a Debian mirror (PGD_DEBIAN_MIRROR, default deb.debian.org).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TAG="${1:-${PGD_TESTING_IMAGE:-pgdiscipline/postgres-pgbouncer:15-bookworm-local}}"
BASE="pgdiscipline/debian-postgresql-rootfs:15-bookworm"
# The label says which entrypoint and Dockerfile made the image: a change to either rebuilds it.
CONTRACT="official-postgres-env-$(cat "$HERE/Dockerfile" "$HERE/docker-entrypoint.sh" | sha256sum | cut -c1-12)"
MIRROR="${PGD_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if [[ "$(docker image inspect "$TAG" --format '{{index .Config.Labels "org.pgdiscipline.image-contract"}}' 2>/dev/null)" == "$CONTRACT" ]]; then
  echo "[image] $TAG is present (reused)" >&2
  echo "$TAG"
  exit 0
fi

start=$(date +%s)
if ! docker image inspect "$BASE" >/dev/null 2>&1; then
  if ! command -v debootstrap >/dev/null 2>&1; then
    echo "[image] installing debootstrap" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null
  fi

  ROOTFS="$(mktemp -d /tmp/pgd-rootfs-XXXXXX)"
  trap 'rm -rf "$ROOTFS" "$ROOTFS.log"' EXIT
  echo "[image] debootstrap bookworm (minbase + postgresql-15 + pgbouncer) from $MIRROR" >&2
  # The packages' own scripts would create and start a cluster in the chroot; policy-rc.d stops the start, and the
  # cluster it creates is removed below (the containers make their own data directory).
  debootstrap --variant=minbase --include=postgresql-15,postgresql-client-15,pgbouncer,ca-certificates \
    bookworm "$ROOTFS" "$MIRROR" > "$ROOTFS.log" 2>&1 || { tail -n 30 "$ROOTFS.log" >&2; exit 1; }
  rm -rf "$ROOTFS/var/lib/postgresql/15/main" "$ROOTFS/etc/postgresql/15/main" "$ROOTFS/var/cache/apt/archives/"*.deb \
    "$ROOTFS/var/lib/apt/lists/"* 2>/dev/null || true
  echo "[image] docker import $BASE" >&2
  tar -C "$ROOTFS" -c . | docker import --change 'CMD ["bash"]' - "$BASE" >/dev/null
fi

echo "[image] docker build $TAG (Dockerfile on $BASE)" >&2
# The classic builder: BuildKit would look for its frontend image in a registry.
DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE=$BASE" --label "org.pgdiscipline.image-contract=$CONTRACT" -t "$TAG" "$HERE" >/dev/null 2> >(grep -v -e DEPRECATED -e "legacy builder" -e BuildKit -e "environment-variable" -e "^ *$" >&2)
echo "[image] built $TAG in $(( $(date +%s) - start )) s ($(docker image inspect "$TAG" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}'))" >&2
echo "$TAG"
