#!/usr/bin/env bash
# Packs PgDiscipline.Analyzers, PgDiscipline.Sql, PgDiscipline.Operations, PgDiscipline.EntityFrameworkCore, PgDiscipline.Testing and the pgdiscipline tool
# (PgDiscipline.Cli) into artifacts/packages, deterministic builds; with SourceLink when the clone's origin is on GitHub
# (SourceLink.GitHub refuses any other host, e.g. a clone of a local path: those packages carry no source link).
#   build/pack.sh [version]        default version: 0.1.0-local
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="${1:-0.1.0-local}"
OUT="$REPO_ROOT/artifacts/packages"
mkdir -p "$OUT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
SOURCELINK=false
origin="$(git -C "$REPO_ROOT" remote get-url origin 2>/dev/null || true)"
if [[ "$origin" =~ ^(https://|ssh://git@|git@)github\.com[:/] ]]; then
  SOURCELINK=true
else
  echo "[pack] origin '${origin:-none}' is not on GitHub: packing without SourceLink" >&2
fi
for project in src/PgDiscipline.Sql src/PgDiscipline.Operations src/PgDiscipline.Analyzers.Package src/PgDiscipline.EntityFrameworkCore src/PgDiscipline.Cli src/PgDiscipline.Testing; do
  dotnet pack "$REPO_ROOT/$project" -c Release -o "$OUT" -p:PackageVersion="$VERSION" -p:PgDisciplineSourceLink=$SOURCELINK -p:ContinuousIntegrationBuild=true -nologo -v:q
done
ls -1 "$OUT"/*"$VERSION"*.nupkg
echo "Add the feed: dotnet nuget add source \"$OUT\" --name pgdiscipline-local"
