#!/usr/bin/env bash
# The demo: every face of PgDiscipline, for real, on a local cluster.
#   1. build everything; build samples/UnsafeMigrations and show its analyzer diagnostics (PGD301–PGD314)
#   2. start the cluster (primary + 2 streaming replicas + PgBouncer), start samples/ChatService: it migrates itself
#      under the migration guard and seeds demo data
#   3. drive a read-heavy load (95% reads) and show where reads went (primary vs each replica) and the latency
#   4. block the hottest query fingerprint with the CLI while the load runs, show it being shed, unblock, recover
#   5. write artifacts/report/index.html and report.md (runtime statistics + SARIF + lint), print a summary
# Exit 0 only if every step did what it claims. Stops the cluster and the service at exit.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

DEMO="$REPO_ROOT/artifacts/demo"
REPORT="$REPO_ROOT/artifacts/report"
LOAD_SECONDS="${PGD_DEMO_LOAD_SECONDS:-20}"
WORKERS="${PGD_DEMO_WORKERS:-8}"
step() { printf '\n\033[1m[demo] %s\033[0m\n' "$*"; }
die() { echo "[demo] FAILED: $*" >&2; exit 1; }

SERVICE_PID=""
cleanup() {
  if [[ -n "$SERVICE_PID" ]] && kill -0 "$SERVICE_PID" 2>/dev/null; then
    kill -INT "$SERVICE_PID" 2>/dev/null || true
    wait "$SERVICE_PID" 2>/dev/null || true
  fi
  build/cluster.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM
start_time=$(date +%s)

step "1/5 installing what is missing and building"
build/install-deps.sh
rm -rf "$DEMO" "$REPORT"
mkdir -p "$DEMO" "$REPORT"
dotnet build PgDiscipline.sln -c Release -nologo -v:q -clp:ErrorsOnly
dotnet build samples/ChatService -c Release -nologo -v:q -clp:ErrorsOnly --no-dependencies \
  "-p:ErrorLog=$DEMO/chatservice.sarif%2Cversion=2.1" --no-incremental >/dev/null
CLI=(dotnet "$REPO_ROOT/src/PgDiscipline.Cli/bin/Release/net10.0/pgdiscipline.dll")
LOAD=(dotnet "$REPO_ROOT/samples/ChatLoad/bin/Release/net10.0/ChatLoad.dll")

step "   analyzer diagnostics of samples/UnsafeMigrations (each migration rule, on purpose; rewrites and long locks are errors)"
# The build fails on purpose: table rewrites and long locks on existing tables are build errors by default.
{ dotnet build samples/UnsafeMigrations -c Release -nologo --no-incremental "-p:ErrorLog=$DEMO/unsafe.sarif%2Cversion=2.1" 2>&1 || true; } \
  | grep -oE "[A-Za-z]+\.cs\([0-9]+,[0-9]+\): (warning|error) PGD3[0-9]{2}: [^[]*" | sort -u | tee "$DEMO/unsafe-diagnostics.txt" | sed 's/^/    /'
missing=()
for id in PGD301 PGD302 PGD303 PGD304 PGD305 PGD306 PGD307 PGD308 PGD309 PGD310 PGD311 PGD312 PGD313 PGD314; do
  grep -qE "(warning|error) $id" "$DEMO/unsafe-diagnostics.txt" || missing+=("$id")
done
(( ${#missing[@]} == 0 )) || die "samples/UnsafeMigrations did not trip: ${missing[*]}"
diagnostics=$(wc -l < "$DEMO/unsafe-diagnostics.txt")
echo "    -> $diagnostics migration diagnostics, every PGD301–PGD314 rule"
set +e
"${CLI[@]}" lint --format json samples/UnsafeMigrations/unsafe.sql > "$DEMO/lint.json"
lint_rc=$?
set -e
[[ $lint_rc == 1 ]] || die "pgdiscipline lint should report errors in samples/UnsafeMigrations/unsafe.sql (exit $lint_rc)"
"${CLI[@]}" lint samples/UnsafeMigrations/unsafe.sql | sed 's/^/    /' || true

step "2/5 starting the local cluster and samples/ChatService"
build/cluster.sh stop >/dev/null 2>&1 || true
build/cluster.sh start
# shellcheck disable=SC1091
source "$REPO_ROOT/artifacts/cluster/cluster.env"
on_chat() { echo "$1" | sed -E 's/Database=[^;]*/Database=chat/'; }
"${CLI[@]}" doctor --connection "$PGD_PRIMARY" --format json > /dev/null 2>&1 || true
PGPASSWORD=pgdiscipline "$PGD_PG_BIN/psql" -h 127.0.0.1 -p "$PGD_PRIMARY_PORT" -U pgdiscipline -d pgdiscipline -qAtc "create database chat" >/dev/null
PORT=$("${LOAD[@]}" port)
URL="http://127.0.0.1:$PORT"
export ASPNETCORE_URLS="$URL" ASPNETCORE_ENVIRONMENT=Production
export ConnectionStrings__Primary="$(on_chat "$PGD_PRIMARY")"
export PgDiscipline__Replicas__0__ConnectionString="$(on_chat "$PGD_REPLICA1")" PgDiscipline__Replicas__0__Name=replica1
export PgDiscipline__Replicas__1__ConnectionString="$(on_chat "$PGD_REPLICA2")" PgDiscipline__Replicas__1__Name=replica2
export PgDiscipline__DatabaseRules__ConnectionString="$(on_chat "$PGD_PRIMARY")"
export PgDiscipline__Statistics__SnapshotPath="$DEMO/stats.json" PgDiscipline__Statistics__SourceRoot="$REPO_ROOT"
# The sample's snapshot endpoint needs this key (X-Ops-Key); ChatLoad sends it from CHAT_OPS_KEY.
CHAT_OPS_KEY="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export CHAT_OPS_KEY Chat__OpsKey="$CHAT_OPS_KEY"
(cd samples/ChatService && exec dotnet bin/Release/net10.0/ChatService.dll) > "$DEMO/chatservice.log" 2>&1 &
SERVICE_PID=$!
if ! "${LOAD[@]}" wait "$URL" 90; then
  tail -30 "$DEMO/chatservice.log" >&2
  die "ChatService is not healthy after 90 s (see $DEMO/chatservice.log)"
fi
migrations=$(PGPASSWORD=pgdiscipline "$PGD_PG_BIN/psql" -h 127.0.0.1 -p "$PGD_PRIMARY_PORT" -U pgdiscipline -d chat -qAtc 'select string_agg("MigrationId", '"', '"' order by 1) from "__EFMigrationsHistory"')
echo "    ChatService at $URL; migrated under the guard: $migrations"

step "3/5 read-heavy load: $WORKERS clients for ${LOAD_SECONDS} s (40% messages, 30% conversation lists, 25% profiles, 5% writes)"
"${LOAD[@]}" run "$URL" "$LOAD_SECONDS" "$WORKERS" --expect clean | tee "$DEMO/load-normal.json"
"${LOAD[@]}" snapshot "$URL" || die "could not write the statistics snapshot"
echo "    where commands ran: $("${LOAD[@]}" routing "$DEMO/stats.json")"

step "4/5 blocking the hottest fingerprint with the CLI while the load runs"
read -r HOT HOT_CALLS HOT_SQL <<<"$("${LOAD[@]}" hottest "$DEMO/stats.json")"
echo "    hottest: $HOT ($HOT_CALLS calls): $HOT_SQL"
"${CLI[@]}" rules block "$HOT" --reason "demo: shed the hottest read" --id demo-block --connection "$(on_chat "$PGD_PRIMARY")"
"${LOAD[@]}" run "$URL" 8 "$WORKERS" --expect shed | tee "$DEMO/load-blocked.json"
"${CLI[@]}" rules unblock demo-block --connection "$(on_chat "$PGD_PRIMARY")"
sleep 1
"${LOAD[@]}" run "$URL" 5 "$WORKERS" --expect clean | tee "$DEMO/load-recovered.json"

step "5/5 stopping the service (it writes its final statistics snapshot) and writing the report"
kill -INT "$SERVICE_PID"
wait "$SERVICE_PID" || true
SERVICE_PID=""
[[ -s "$DEMO/stats.json" ]] || die "no statistics snapshot at $DEMO/stats.json"
"${CLI[@]}" report "$DEMO/stats.json" "$DEMO/chatservice.sarif" "$DEMO/unsafe.sarif" "$DEMO/lint.json" \
  --out "$REPORT" --source-root "$REPO_ROOT"
blocked=$(grep -A40 "\"fingerprint\": \"$HOT\"" "$DEMO/stats.json" | grep -m1 '"blocked"' | grep -oE '[0-9]+' || echo 0)
(( blocked > 0 )) || die "the statistics do not show the blocked fingerprint $HOT being shed"
shed=$(grep -oE '"shed":[0-9]+' "$DEMO/load-blocked.json" | grep -oE '[0-9]+')

json() { grep -oE "\"$2\":[0-9.]+" "$1" | head -1 | cut -d: -f2; }
elapsed=$(( $(date +%s) - start_time ))
cat <<EOF

================================ PgDiscipline demo summary ================================
 analyzer diagnostics     $diagnostics in samples/UnsafeMigrations (PGD301–PGD314), lint errors in unsafe.sql
 migrations               $migrations (applied under the migration guard)
 where commands ran       $("${LOAD[@]}" routing "$DEMO/stats.json")
 load (normal)            $(json "$DEMO/load-normal.json" requests) requests, $(json "$DEMO/load-normal.json" rps) req/s, p50 $(json "$DEMO/load-normal.json" p50Ms) ms, p99 $(json "$DEMO/load-normal.json" p99Ms) ms (HTTP, client side)
 shed while blocked       $shed HTTP 503s; the runtime refused $blocked commands of $HOT
 after unblock            $(json "$DEMO/load-recovered.json" requests) requests, $(json "$DEMO/load-recovered.json" failed) failed
 report                   $REPORT/index.html and $REPORT/report.md
 took                     ${elapsed} s
===========================================================================================
EOF
