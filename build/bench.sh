#!/usr/bin/env bash
# Benchmarks (BenchmarkDotNet). Not part of build/test.sh.
#   build/bench.sh micro        fingerprint, cache, rules, routing decision, interceptor hot path (no database)
#   build/bench.sh e2e          end-to-end EF Core reads on the local cluster: plain replica / PgDiscipline / pgpool-II /
#                               primary / PgBouncer (starts the cluster and pgpool-II, stops them at exit)
#   build/bench.sh mix          the chat-like read-heavy mix with 8 clients through plain EF Core (primary), a hand-rolled
#                               replica DbContext, PgDiscipline, Npgsql's multi-host load balancing (Load Balance Hosts,
#                               prefer-standby), PgBouncer and pgpool-II, interleaved rounds, ratios against plain EF Core,
#                               reads off the primary counted by the servers -> artifacts/bench/mix.md (tests/PgDiscipline.Workload)
#                               (--only 'PgDiscipline (Session,multi-host': the baseline and those two only)
#   build/bench.sh writecost    read-your-writes cost per write: one client, the session position read in the write's
#                               round trip or in one more, direct and through PgBouncer -> artifacts/bench/writecost.md
#   build/bench.sh backfill     the chat-like mix (8 clients, PgDiscipline) while one UPDATE changes every row of a 2M-row
#                               table, and while the backfill runner does the same change -> artifacts/bench/backfill.md
#   build/bench.sh startup      start-up time of the local cluster (build/cluster.sh) and of PgDiscipline.Testing's
#                               container cluster, same topology, alternating 3 rounds -> artifacts/bench/startup.md
#   build/bench.sh analyzers    analyzer cost on a generated 300-file project (build/bench-analyzers.sh)
#   build/bench.sh fleet [--instances 10,100,500] [--mode replicas|listen] [--replicas-via direct|pgbouncer] [...]
#                               N independent runtimes in one process against a cluster whose replicas each have their
#                               own PgBouncer (cluster.sh start --replica-bouncers --max-connections 2000): connections,
#                               monitoring queries and CPU per server, rule propagation, a rolling restart
#                               -> artifacts/bench/fleet-<mode>[-<via>].md (tests/PgDiscipline.Workload, FleetSim.cs)
# Extra arguments go to BenchmarkDotNet (default: --job medium). Results: BenchmarkDotNet.Artifacts/ under artifacts/bench.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
what="${1:-micro}"; shift || true
args=("$@"); [[ ${#args[@]} -eq 0 ]] && args=(--job medium)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build tests/PgDiscipline.Benchmarks -c Release -nologo -v:q
run() { (cd tests/PgDiscipline.Benchmarks && dotnet run -c Release --no-build -- --artifacts "$REPO_ROOT/artifacts/bench" "$@"); }
case "$what" in
  micro)
    run --filter '*FingerprintBenchmarks*' '*InterceptorHotPathBenchmarks*' '*RoutingDecisionBenchmarks*' "${args[@]}" ;;
  e2e)
    build/install-deps.sh
    trap 'build/pgpool.sh stop >/dev/null 2>&1 || true; build/cluster.sh stop >/dev/null 2>&1 || true' EXIT
    build/cluster.sh stop >/dev/null 2>&1 || true
    build/cluster.sh start
    build/pgpool.sh start
    PGD_ENV_FILE="$REPO_ROOT/artifacts/cluster/cluster.env" run --filter '*EndToEndBenchmarks*' "${args[@]}" ;;
  mix)
    build/install-deps.sh
    dotnet build tests/PgDiscipline.Workload -c Release -nologo -v:q -clp:ErrorsOnly
    trap 'build/pgpool.sh stop >/dev/null 2>&1 || true; build/cluster.sh stop >/dev/null 2>&1 || true' EXIT
    build/cluster.sh stop >/dev/null 2>&1 || true
    build/cluster.sh start
    build/pgpool.sh start
    mix_args=("$@"); [[ ${#mix_args[@]} -eq 0 ]] && mix_args=(--workers 8 --seconds 10 --rounds 3)
    dotnet tests/PgDiscipline.Workload/bin/Release/net10.0/PgDiscipline.Workload.dll mix --env "$REPO_ROOT/artifacts/cluster/cluster.env" \
      --out "$REPO_ROOT/artifacts/bench/mix.md" "${mix_args[@]}" ;;
  startup)
    build/install-deps.sh
    dotnet build tests/PgDiscipline.Workload -c Release -nologo -v:q -clp:ErrorsOnly
    trap 'build/cluster.sh stop >/dev/null 2>&1 || true; build/docker.sh stop >/dev/null 2>&1 || true' EXIT
    build/docker.sh start
    PGD_TESTING_IMAGE="$(build/image.sh)"; export PGD_TESTING_IMAGE TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
    export DOCKER_API_VERSION="${DOCKER_API_VERSION:-$(docker version --format '{{.Server.APIVersion}}')}"
    dotnet tests/PgDiscipline.Workload/bin/Release/net10.0/PgDiscipline.Workload.dll startup --out "$REPO_ROOT/artifacts/bench/startup.md" "$@" ;;
  writecost)
    build/install-deps.sh
    dotnet build tests/PgDiscipline.Workload -c Release -nologo -v:q -clp:ErrorsOnly
    trap 'build/cluster.sh stop >/dev/null 2>&1 || true' EXIT
    build/cluster.sh stop >/dev/null 2>&1 || true
    build/cluster.sh start
    wc_args=("$@"); [[ ${#wc_args[@]} -eq 0 ]] && wc_args=(--writes 2000 --rounds 5)
    dotnet tests/PgDiscipline.Workload/bin/Release/net10.0/PgDiscipline.Workload.dll writecost --env "$REPO_ROOT/artifacts/cluster/cluster.env" \
      --out "$REPO_ROOT/artifacts/bench/writecost.md" "${wc_args[@]}" ;;
  backfill)
    build/install-deps.sh
    dotnet build tests/PgDiscipline.Workload -c Release -nologo -v:q -clp:ErrorsOnly
    trap 'build/cluster.sh stop >/dev/null 2>&1 || true' EXIT
    build/cluster.sh stop >/dev/null 2>&1 || true
    build/cluster.sh start
    bf_args=("$@"); [[ ${#bf_args[@]} -eq 0 ]] && bf_args=(--rows 2000000 --workers 8 --rate 100000)
    dotnet tests/PgDiscipline.Workload/bin/Release/net10.0/PgDiscipline.Workload.dll backfill --env "$REPO_ROOT/artifacts/cluster/cluster.env" \
      --out "$REPO_ROOT/artifacts/bench/backfill.md" "${bf_args[@]}" ;;
  fleet)
    build/install-deps.sh
    dotnet build tests/PgDiscipline.Workload -c Release -nologo -v:q -clp:ErrorsOnly
    dotnet build src/PgDiscipline.Cli -c Release -nologo -v:q -clp:ErrorsOnly
    trap 'build/cluster.sh stop >/dev/null 2>&1 || true' EXIT
    build/cluster.sh stop >/dev/null 2>&1 || true
    build/cluster.sh start --replica-bouncers --max-connections "${PGD_FLEET_MAX_CONNECTIONS:-2000}"
    ulimit -n 20000 2>/dev/null || true # a socket per pooled connection: thousands at N = 500
    # N runtimes share one thread pool here (a pod has its own): without this its workers spin between the fleet's
    # thousands of small wake-ups a second, and the simulator, not the runtime, becomes the cost measured.
    export DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0
    fleet_args=("$@"); mode=replicas; via=""; prev=""
    for a in "${fleet_args[@]}"; do
      [[ "$prev" == --mode ]] && mode="$a"; [[ "$prev" == --replicas-via ]] && via="-$a"; prev="$a"
    done
    [[ " ${fleet_args[*]} " == *" --instances "* ]] || fleet_args=(--instances 10,100,500 "${fleet_args[@]}")
    dotnet tests/PgDiscipline.Workload/bin/Release/net10.0/PgDiscipline.Workload.dll fleet --env "$REPO_ROOT/artifacts/cluster/cluster.env" \
      --cli "$REPO_ROOT/src/PgDiscipline.Cli/bin/Release/net10.0/pgdiscipline.dll" --out "$REPO_ROOT/artifacts/bench/fleet-$mode$via.md" "${fleet_args[@]}" ;;
  analyzers)
    build/bench-analyzers.sh 300 5 ;;
  *) echo "usage: $0 micro|e2e|mix|writecost|backfill|startup|fleet|analyzers [args]" >&2; exit 64 ;;
esac
