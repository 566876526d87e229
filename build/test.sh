#!/usr/bin/env bash
# The one test command: installs what is missing, starts the local cluster (primary + 2 streaming replicas +
# PgBouncer in transaction mode), builds and tests the whole solution, and always stops the cluster.
#   build/test.sh                      everything
#   build/test.sh --unit               only the tests that need no cluster, no PostgreSQL and no browser (SQL core, analyzers,
#                                      runtime pipeline over fake commands, CLI): nothing is installed or started
#   build/test.sh --filter "FullyQualifiedName~Sql"   extra arguments go to dotnet test
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

unit=0
if [[ "${1:-}" == "--unit" ]]; then
  unit=1
  shift
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export PGD_ENV_FILE="$REPO_ROOT/artifacts/cluster/cluster.env"
# Tests must use the cluster started here, never start their own.
export PGD_REQUIRE_CLUSTER=1

start=$(date +%s)
if (( unit == 0 )); then
  # chromium is for the report test (StatisticsReportTests renders the HTML report headless); --unit runs no such test.
  PGD_EXTRA_PACKAGES="chromium ${PGD_EXTRA_PACKAGES:-}" build/install-deps.sh

  cleanup() { build/cluster.sh stop >/dev/null 2>&1 || true; build/docker.sh stop >/dev/null 2>&1 || true; }
  trap cleanup EXIT INT TERM
  # A run that was killed midway may have left a cluster behind: start from a clean one.
  build/cluster.sh stop >/dev/null 2>&1 || true
  build/cluster.sh start

  # PgDiscipline.Testing's tests (tests/PgDiscipline.Testing.Tests): a Docker engine (installed and started here when
  # missing, stopped by its pid at the end) and an image with PostgreSQL + PgBouncer, built once per machine from
  # Debian's packages (no registry is reachable here). Testcontainers' reaper (Ryuk) is an image too: the fixture
  # removes its own containers instead. Debian 12's engine speaks Docker API 1.41. This machine has /.dockerenv while
  # its engine is local: Testcontainers would reach the containers through the network's gateway, not 127.0.0.1.
  build/docker.sh start
  export PGD_TESTING_IMAGE="$(build/image.sh)"
  export TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
  if [[ -z "${DOCKER_API_VERSION:-}" ]]; then
    DOCKER_API_VERSION="$(docker version --format '{{.Server.APIVersion}}')"
    export DOCKER_API_VERSION
  fi
fi

results="$REPO_ROOT/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

echo "[test] dotnet build (Release)"
dotnet build PgDiscipline.sln -c Release -nologo -v:q -clp:ErrorsOnly
if (( unit == 0 )); then
  # The CLI as a Native AOT binary: the integration tests run it (AotCliTests) against the same cluster.
  echo "[test] Native AOT publish of the CLI"
  build/publish-aot.sh
  export PGD_AOT_BINARY="$REPO_ROOT/artifacts/aot/pgdiscipline"
fi

echo "[test] dotnet test"
# One test assembly at a time (-m:1): the integration tests and the sample's tests share one cluster, and tests that
# bound replica lag or pause replay must not see another assembly's CREATE DATABASE or CPU burst (2 cores here).
set +e
if (( unit == 1 )); then
  rc=0
  for project in tests/PgDiscipline.Sql.Tests tests/PgDiscipline.Operations.Tests tests/PgDiscipline.Analyzers.Tests tests/PgDiscipline.EntityFrameworkCore.Tests tests/PgDiscipline.Cli.Tests; do
    dotnet test "$project" -c Release --no-build -nologo \
      --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" "$@" || rc=$?
  done
else
  dotnet test PgDiscipline.sln -c Release --no-build -nologo -m:1 \
    --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" "$@"
  rc=$?
  if (( $# == 0 )); then
    # A representative slice of the integration tests again, on the Testcontainers backend (PgDiscipline.Testing's
    # cluster): routing with a paused replica, a replica and the primary stopped mid-load, timeouts through PgBouncer, and
    # the doctor's topology where replicas name their upstream by a container network alias.
    # The whole suite on that backend: PGD_BACKEND=testcontainers dotnet test tests/PgDiscipline.IntegrationTests.
    echo "[test] integration slice on the testcontainers backend"
    PGD_BACKEND=testcontainers dotnet test tests/PgDiscipline.IntegrationTests -c Release --no-build -nologo \
      --filter "FullyQualifiedName~RoutingTests.Paused_replay_session_reads|FullyQualifiedName~RoutingTests.Tagged_reads_land|FullyQualifiedName~RoutingTests.Replica_killed|FullyQualifiedName~RoutingTests.Primary_down|FullyQualifiedName~TimeoutTests|FullyQualifiedName~DoctorTests.Healthy_cluster" \
      --logger "trx;LogFileName=testcontainers-slice.trx" --logger "console;verbosity=minimal" --results-directory "$results" || rc=$?
  fi
fi
set -e

# One closing line over every test assembly, from the TRX files.
passed=0; failed=0; skipped=0
for f in "$results"/*.trx; do
  [[ -f "$f" ]] || continue
  line="$(grep -o '<Counters [^>]*>' "$f" | head -n 1)"
  p="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$line")"
  fl="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$line")"
  t="$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$line")"
  e="$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$line")"
  passed=$((passed + ${p:-0})); failed=$((failed + ${fl:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
echo "[test] $(( $(date +%s) - start )) s"
echo "Tests: $passed passed, $failed failed, $skipped skipped"
if (( rc != 0 )); then exit "$rc"; fi
if (( passed == 0 )); then echo "[test] no test ran" >&2; exit 1; fi
