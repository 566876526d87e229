#!/usr/bin/env bash
# Builds the container image PgDiscipline.Testing runs where no container registry can be reached (this project's CI):
# Debian bookworm's PostgreSQL 15 + PgBouncer with the official postgres image's environment contract. The script and
# its Dockerfile live in build/image/ and ship inside the PgDiscipline.Testing package (tools/image/), so users can build
# the same image. Prints the tag; reuses an image already present.
#
#   build/image.sh [TAG]        default tag: $PGD_TESTING_IMAGE, else pgdiscipline/postgres-pgbouncer:15-bookworm-local
set -euo pipefail
exec bash "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/image/build-image.sh" "$@"
