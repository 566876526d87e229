#!/usr/bin/env bash
# Measures what a new user does with PgDiscipline.Testing, from nothing to the first green test, and prints each step's
# time: a fresh clone of this repository, build/pack.sh in it (its origin is a local path, not GitHub), `dotnet new
# xunit`, `dotnet add package` PgDiscipline.Testing + PgDiscipline.EntityFrameworkCore from the clone's folder feed, the
# files of docs/testing-your-app.md (its `<!-- file: X.cs -->` blocks) as written, `dotnet test`.
#
#   build/first-test.sh [--working-tree]     --working-tree: copy this checkout's files (uncommitted changes included)
#                                            instead of `git clone` (which takes the last commit)
#
# Needs what the guide's CI section needs: a Docker engine, and where no registry is reachable PGD_TESTING_IMAGE,
# TESTCONTAINERS_RYUK_DISABLED=true, TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 where /.dockerenv exists, and the engine's
# DOCKER_API_VERSION (build/test.sh sets the same). The image is
# built beforehand (once per machine) and not counted. NuGet packages come from this machine's cache when present.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d /tmp/pgd-first-test-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

start=$(date +%s.%N)
last=$start
step() {
  local now; now=$(date +%s.%N)
  printf '[first-test] %-58s %6.1f s\n' "$1" "$(echo "$now - $last" | bc)"
  last=$now
}

if [[ "${1:-}" == "--working-tree" ]]; then
  mkdir -p "$WORK/clone"
  git -C "$REPO_ROOT" ls-files -co --exclude-standard -z | (cd "$REPO_ROOT" && xargs -0 tar -cf - --no-recursion) | tar -xf - -C "$WORK/clone"
  git -C "$WORK/clone" init -q
  git -C "$WORK/clone" remote add origin "$REPO_ROOT"
  step "copy of the working tree (origin: a local path)"
else
  git clone -q "$REPO_ROOT" "$WORK/clone"
  step "git clone (origin: a local path)"
fi

bash "$WORK/clone/build/pack.sh" >"$WORK/pack.log" 2>&1 || { tail -n 30 "$WORK/pack.log"; exit 1; }
step "build/pack.sh (restore, build, pack 6 packages)"

dotnet new xunit -o "$WORK/MyApp.Tests" --framework net10.0 >"$WORK/new.log" 2>&1 || { cat "$WORK/new.log"; exit 1; }
cd "$WORK/MyApp.Tests"
for package in PgDiscipline.Testing PgDiscipline.EntityFrameworkCore; do
  dotnet add package "$package" --source "$WORK/clone/artifacts/packages" --version 0.1.0-local >>"$WORK/add.log" 2>&1 \
    || { cat "$WORK/add.log"; exit 1; }
done
rm -f UnitTest1.cs
step "dotnet new xunit + dotnet add package (x2)"

# The guide's files, as written: each `<!-- file: NAME -->` line and the csharp block after it.
awk '
  /^<!-- file: .* -->$/ { name = $3; next }
  name != "" && /^```csharp$/ { out = name; next }
  out != "" && /^```$/ { close(out); out = ""; name = ""; next }
  out != "" { print > out }
' "$WORK/clone/docs/testing-your-app.md"
ls ./*.cs | tr '\n' ' '; echo

dotnet test -c Release >"$WORK/test.log" 2>&1 || { tail -n 40 "$WORK/test.log"; exit 1; }
grep -E "Passed!|Failed!" "$WORK/test.log"
step "dotnet test (build, 2 clusters, 2 tests)"
printf '[first-test] %-58s %6.1f s\n' "total: nothing to the first green test" "$(echo "$(date +%s.%N) - $start" | bc)"
