#!/usr/bin/env bash
# Local PostgreSQL topology for PgDiscipline's tests and demo:
#   one primary, two physical streaming replicas (pg_basebackup -R, hot_standby=on; more with add-replica),
#   PgBouncer in pool_mode=transaction in front of the primary.
# Everything listens on 127.0.0.1 only, on free ports chosen at start.
#
#   build/cluster.sh start [--standby] [--cascade] [--replica-bouncers] [--max-connections N]
#                              start (or report the already running cluster). Opt-in (also PGD_STANDBY=1, PGD_CASCADE=1,
#                              PGD_REPLICA_BOUNCERS=1, PGD_MAX_CONNECTIONS=N):
#                              --standby  a synchronous hot standby ("standby", synchronous_standby_names) for failover
#                              --cascade  a cascading replica ("cascade") streaming from replica1
#                              --replica-bouncers  a PgBouncer of its own (pool_mode=transaction, a server pool of
#                                         PGD_REPLICA_BOUNCER_POOL, default 4) in front of replica1 and of replica2, as a
#                                         fleet deploys them (PGD_REPLICA1_PGBOUNCER, PGD_REPLICA2_PGBOUNCER in the env
#                                         file); on an already running cluster, adds them
#                              --max-connections N  max_connections of every server (default 100; the fleet simulator
#                                         needs more)
#   build/cluster.sh failover  what an HA controller does: stop the primary like a crash, promote the standby, re-point
#                              replica1/replica2 at it and the cascade at replica1 (pg_rewind when one had WAL past the
#                              new timeline's fork point), re-point PgBouncer
#   build/cluster.sh revive-old-primary
#                              start the failed-over old primary again as it was: writable, on the old timeline, no sync
#                              standby (nobody fenced it; the split-brain fault)
#   build/cluster.sh stop      stop every process and delete the cluster directory
#   build/cluster.sh status    show what runs; exit 0 only when every component is up
#   build/cluster.sh env       print the env file path
#
# Environment (all optional):
#   PGD_CLUSTER_DIR   where data directories live (default: /tmp/pgdiscipline-cluster-<repo hash>)
#   PGD_ENV_FILE      where connection strings are written (default: <repo>/artifacts/cluster/cluster.env)
#   PGD_PG_BIN        PostgreSQL server binaries (default: newest /usr/lib/postgresql/N/bin with N >= 15)
#   PGD_PRIMARY_PORT, PGD_REPLICA1_PORT, PGD_REPLICA2_PORT, PGD_PGBOUNCER_PORT
#                     fixed ports instead of free ones (a taken port is an error)
#   PGD_REPLICA_BOUNCER_POOL  server connections of each replica's PgBouncer (default 4)
#
# As root, PostgreSQL and PgBouncer run as the `postgres` OS user (PostgreSQL refuses root).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_HASH="$(printf '%s' "$REPO_ROOT" | md5sum | cut -c1-8)"
CLUSTER_DIR="${PGD_CLUSTER_DIR:-${TMPDIR:-/tmp}/pgdiscipline-cluster-$REPO_HASH}"
ENV_FILE="${PGD_ENV_FILE:-$REPO_ROOT/artifacts/cluster/cluster.env}"
STATE_FILE="$CLUSTER_DIR/state.env"

DB_NAME=pgdiscipline
DB_USER=pgdiscipline
# Test-only credentials for a loopback-only throwaway cluster.
DB_PASSWORD=pgdiscipline

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { printf '[cluster] error: %s\n' "$*" >&2; exit 1; }

find_pg_bin() {
  if [[ -n "${PGD_PG_BIN:-}" ]]; then
    [[ -x "$PGD_PG_BIN/postgres" ]] || die "PGD_PG_BIN=$PGD_PG_BIN has no postgres binary"
    echo "$PGD_PG_BIN"; return
  fi
  local best="" v
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/postgres" ]] || continue
    v="$(basename "$(dirname "$d")")"
    if [[ "$v" =~ ^[0-9]+$ ]] && (( v >= 15 )); then
      if [[ -z "$best" ]] || (( v > $(basename "$(dirname "$best")") )); then best="$d"; fi
    fi
  done
  [[ -n "$best" ]] || die "no PostgreSQL >= 15 server binaries under /usr/lib/postgresql/*/bin (build/install-deps.sh installs them)"
  echo "$best"
}

find_pgbouncer() {
  local p
  p="$(command -v pgbouncer || true)"
  [[ -z "$p" && -x /usr/sbin/pgbouncer ]] && p=/usr/sbin/pgbouncer
  [[ -n "$p" ]] || die "pgbouncer is not installed (build/install-deps.sh installs it)"
  echo "$p"
}

RUN_USER=""
if [[ "$(id -u)" == "0" ]]; then
  id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' OS user to run PostgreSQL as"
  RUN_USER=postgres
fi

# Run a command as the cluster's OS user.
as_pg() {
  if [[ -n "$RUN_USER" ]]; then runuser -u "$RUN_USER" -- "$@"; else "$@"; fi
}

port_in_use() {
  # Something accepts connections on 127.0.0.1:$1 (bash's /dev/tcp; no extra tools needed).
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

declare -a CHOSEN_PORTS=()
pick_port() {
  local fixed="$1" name="$2" p tries=0
  if [[ -n "$fixed" ]]; then
    [[ "$fixed" =~ ^[0-9]+$ ]] || die "$name=$fixed is not a port number"
    port_in_use "$fixed" && die "$name=$fixed: port $fixed on 127.0.0.1 is already taken"
    CHOSEN_PORTS+=("$fixed"); echo "$fixed"; return
  fi
  # Outside the kernel's ephemeral range: a client socket connected from 127.0.0.1:p (not a listener, so the probe
  # below cannot see it) makes the server's bind fail (the likely cause of a CI run that lost replica1 at start).
  local eph_lo=32768 eph_hi=60999 lo=20000 span
  read -r eph_lo eph_hi < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  if (( eph_lo - 1 - lo >= 2000 )); then span=$(( eph_lo - lo )); else lo=$(( eph_hi + 1 )); span=$(( 65000 - lo )); fi
  (( span >= 1000 )) || { lo=20000; span=30000; } # no room outside it: probe-only, as before
  while (( tries < 200 )); do
    p=$(( lo + (RANDOM * 32768 + RANDOM) % span ))
    tries=$((tries + 1))
    [[ " ${CHOSEN_PORTS[*]-} " == *" $p "* ]] && continue
    port_in_use "$p" && continue
    CHOSEN_PORTS+=("$p"); echo "$p"; return
  done
  die "could not find a free loopback port for $name"
}

pid_alive() { # pid -> 0 when the process exists and is not a zombie (kill -0 succeeds on zombies,
  # and a container whose PID 1 does not reap leaves killed postmasters as zombies).
  local pid="$1" state
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo Z)"
  [[ "$state" != Z && "$state" != X ]]
}

postmaster_pid() { # data dir -> pid from postmaster.pid (empty when none)
  head -n 1 "$1/postmaster.pid" 2>/dev/null || true
}

pg_ctl_status() { # data dir -> 0 when its postmaster is alive
  pid_alive "$(postmaster_pid "$1")"
}

pgbouncer_pid() { cat "$CLUSTER_DIR/pgbouncer/pgbouncer.pid" 2>/dev/null || true; }

pgbouncer_running() { pid_alive "$(pgbouncer_pid)"; }

replica_bouncer_pid() { cat "$CLUSTER_DIR/pgbouncer-replica$1/pgbouncer.pid" 2>/dev/null || true; }

# A PgBouncer of its own in front of each replica (the fleet topology: replicas reached through their poolers), with a
# small server pool. Its file limit is raised: each client costs a descriptor, and a simulated fleet brings thousands.
start_replica_bouncers() {
  local PGBOUNCER_BIN; PGBOUNCER_BIN="$(find_pgbouncer)"
  local n
  for n in 1 2; do
    local rp="REPLICA${n}_PORT" bp="REPLICA${n}_BOUNCER_PORT" dir="$CLUSTER_DIR/pgbouncer-replica$n"
    pid_alive "$(replica_bouncer_pid "$n")" && continue
    as_pg mkdir -p "$dir"
    as_pg tee "$dir/userlist.txt" >/dev/null <<EOF
"$DB_USER" "$DB_PASSWORD"
EOF
    as_pg tee "$dir/pgbouncer.ini" >/dev/null <<EOF
[databases]
$DB_NAME = host=127.0.0.1 port=${!rp} dbname=$DB_NAME

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${!bp}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
admin_users = $DB_USER
stats_users = $DB_USER
pool_mode = transaction
default_pool_size = $REPLICA_BOUNCER_POOL
max_client_conn = 15000
server_reset_query =
; fault tests restart servers: retry a failed server login after 1 s, not PgBouncer's 15
server_login_retry = 1
ignore_startup_parameters = extra_float_digits
logfile = $CLUSTER_DIR/pgbouncer-replica$n.log
pidfile = $dir/pgbouncer.pid
EOF
    log "starting pgbouncer-replica$n (transaction pooling, pool $REPLICA_BOUNCER_POOL, port ${!bp}) -> replica$n"
    as_pg bash -c 'ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" -d -q "$1"' "$PGBOUNCER_BIN" "$dir/pgbouncer.ini" \
      || die "pgbouncer-replica$n failed to start (log: $CLUSTER_DIR/pgbouncer-replica$n.log)"
    wait_ready "${!bp}" "pgbouncer-replica$n"
  done
}

load_state() {
  [[ -f "$STATE_FILE" ]] || return 1
  # shellcheck disable=SC1090
  source "$STATE_FILE"
}

wait_ready() { # port label
  local i
  for i in $(seq 1 120); do
    if as_pg "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$1" -t 1 >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  die "$2 on port $1 did not become ready in 30 s (log: $CLUSTER_DIR/$2.log)"
}

psql_at() { # port sql
  PGPASSWORD="$DB_PASSWORD" "$PG_BIN/psql" -X -q -At -h 127.0.0.1 -p "$1" -U "$DB_USER" -d "$DB_NAME" -c "$2"
}

psql_primary() {
  PGPASSWORD="$DB_PASSWORD" "$PG_BIN/psql" -X -q -At -h 127.0.0.1 -p "$PRIMARY_PORT" -U "$DB_USER" -d "$DB_NAME" -c "$1"
}

conn() { # port [database]
  printf 'Host=127.0.0.1;Port=%s;Database=%s;Username=%s;Password=%s' "$1" "${2:-$DB_NAME}" "$DB_USER" "$DB_PASSWORD"
}

write_env_file() {
  mkdir -p "$(dirname "$ENV_FILE")"
  local tmp="$ENV_FILE.tmp"
  {
    echo "# Written by build/cluster.sh start; read by tests and the demo. Loopback-only test cluster."
    echo "PGD_CLUSTER_DIR='$CLUSTER_DIR'"
    echo "PGD_PG_BIN='$PG_BIN'"
    echo "PGD_RUN_AS='$RUN_USER'"
    echo "PGD_PRIMARY='$(conn "$PRIMARY_PORT")'"
    echo "PGD_REPLICA1='$(conn "$REPLICA1_PORT")'"
    echo "PGD_REPLICA2='$(conn "$REPLICA2_PORT")'"
    echo "PGD_PGBOUNCER='$(conn "$PGBOUNCER_PORT")'"
    echo "PGD_PGBOUNCER_SINGLE='$(conn "$PGBOUNCER_PORT" "${DB_NAME}_single")'"
    echo "PGD_PRIMARY_PORT='$PRIMARY_PORT'"
    echo "PGD_REPLICA1_PORT='$REPLICA1_PORT'"
    echo "PGD_REPLICA2_PORT='$REPLICA2_PORT'"
    echo "PGD_PGBOUNCER_PORT='$PGBOUNCER_PORT'"
    echo "PGD_PRIMARY_DATA='$CLUSTER_DIR/${PRIMARY_DIR:-primary}'"
    echo "PGD_REPLICA1_DATA='$CLUSTER_DIR/replica1'"
    echo "PGD_REPLICA2_DATA='$CLUSTER_DIR/replica2'"
    echo "PGD_PGBOUNCER_INI='$CLUSTER_DIR/pgbouncer/pgbouncer.ini'"
    if [[ -n "${STANDBY_PORT:-}" ]]; then
      echo "PGD_STANDBY='$(conn "$STANDBY_PORT")'"
      echo "PGD_STANDBY_PORT='$STANDBY_PORT'"
      echo "PGD_STANDBY_DATA='$CLUSTER_DIR/$STANDBY_DIR'"
      # The primary as an HA-aware application gives it: both hosts, the writable one wins.
      echo "PGD_HA_PRIMARY='Host=127.0.0.1:$PRIMARY_PORT,127.0.0.1:$STANDBY_PORT;Database=$DB_NAME;Username=$DB_USER;Password=$DB_PASSWORD;Target Session Attributes=read-write'"
    fi
    if [[ -n "${OLD_PRIMARY_PORT:-}" ]]; then
      echo "PGD_OLD_PRIMARY='$(conn "$OLD_PRIMARY_PORT")'"
      echo "PGD_OLD_PRIMARY_PORT='$OLD_PRIMARY_PORT'"
      echo "PGD_OLD_PRIMARY_DATA='$CLUSTER_DIR/$OLD_PRIMARY_DIR'"
      echo "PGD_HA_PRIMARY='Host=127.0.0.1:$OLD_PRIMARY_PORT,127.0.0.1:$PRIMARY_PORT;Database=$DB_NAME;Username=$DB_USER;Password=$DB_PASSWORD;Target Session Attributes=read-write'"
    fi
    if [[ -n "${REPLICA1_BOUNCER_PORT:-}" ]]; then
      local n
      for n in 1 2; do
        local bp="REPLICA${n}_BOUNCER_PORT"
        echo "PGD_REPLICA${n}_PGBOUNCER='$(conn "${!bp}")'"
        echo "PGD_REPLICA${n}_PGBOUNCER_PORT='${!bp}'"
        echo "PGD_REPLICA${n}_PGBOUNCER_INI='$CLUSTER_DIR/pgbouncer-replica$n/pgbouncer.ini'"
      done
      echo "PGD_REPLICA_PGBOUNCER_POOL_SIZE='${REPLICA_BOUNCER_POOL:-4}'"
    fi
    if [[ -n "${CASCADE_PORT:-}" ]]; then
      echo "PGD_CASCADE='$(conn "$CASCADE_PORT")'"
      echo "PGD_CASCADE_PORT='$CASCADE_PORT'"
      echo "PGD_CASCADE_DATA='$CLUSTER_DIR/cascade'"
    fi
  } > "$tmp"
  mv "$tmp" "$ENV_FILE"
}

cmd_status() {
  PG_BIN="$(find_pg_bin)"
  if ! load_state; then
    echo "cluster: not running (no state in $CLUSTER_DIR)"; return 3
  fi
  local ok=0
  local nodes="primary replica1 replica2"
  [[ -n "${STANDBY_PORT:-}" && -z "${OLD_PRIMARY_PORT:-}" ]] && nodes="$nodes standby"
  [[ -n "${CASCADE_PORT:-}" ]] && nodes="$nodes cascade"
  for n in $nodes; do
    local portvar="${n^^}_PORT"
    local dir="$n"
    [[ "$n" == primary ]] && dir="${PRIMARY_DIR:-primary}"
    [[ "$n" == standby ]] && dir="${STANDBY_DIR:-standby}"
    if pg_ctl_status "$CLUSTER_DIR/$dir" && as_pg "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "${!portvar}" -t 2; then
      echo "$n: running on 127.0.0.1:${!portvar}"
    else
      echo "$n: NOT running (expected on 127.0.0.1:${!portvar})"; ok=3
    fi
  done
  if pgbouncer_running; then
    echo "pgbouncer: running on 127.0.0.1:$PGBOUNCER_PORT (pool_mode=transaction)"
  else
    echo "pgbouncer: NOT running (expected on 127.0.0.1:$PGBOUNCER_PORT)"; ok=3
  fi
  if [[ -n "${REPLICA1_BOUNCER_PORT:-}" ]]; then
    for n in 1 2; do
      local bp="REPLICA${n}_BOUNCER_PORT"
      if pid_alive "$(replica_bouncer_pid "$n")"; then
        echo "pgbouncer-replica$n: running on 127.0.0.1:${!bp} (pool_mode=transaction, pool ${REPLICA_BOUNCER_POOL:-4}) -> replica$n"
      else
        echo "pgbouncer-replica$n: NOT running (expected on 127.0.0.1:${!bp})"; ok=3
      fi
    done
  fi
  if (( ok == 0 )); then
    local n; n="$(psql_primary "select count(*) from pg_stat_replication where state = 'streaming'" 2>/dev/null || echo '?')"
    echo "streaming replicas seen by the primary: $n"
    echo "env file: $ENV_FILE"
  fi
  return $ok
}

stop_processes() {
  local pid
  # pgpool-II, when build/pgpool.sh started one for benchmarks.
  pid="$(tr -cd "0-9" < "$CLUSTER_DIR/pgpool/pgpool.pid" 2>/dev/null || true)"
  if pid_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  local pidfile
  for pidfile in "$CLUSTER_DIR/pgbouncer/pgbouncer.pid" "$CLUSTER_DIR"/pgbouncer-replica*/pgbouncer.pid; do
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    if pid_alive "$pid"; then
      kill -INT "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do pid_alive "$pid" || break; sleep 0.1; done
      if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
  done
  local dirs=()
  for d in "$CLUSTER_DIR"/cascade/ "$CLUSTER_DIR"/replica*/ "$CLUSTER_DIR"/standby/; do [[ -d "$d" ]] && dirs+=("$(basename "$d")"); done
  for n in "${dirs[@]}" primary; do
    pid="$(postmaster_pid "$CLUSTER_DIR/$n")"
    if pid_alive "$pid"; then
      as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/$n" stop -m immediate -w -t 30 >/dev/null 2>&1 \
        || { log "warning: pg_ctl stop failed for $n; killing pid $pid"; kill -KILL "$pid" 2>/dev/null || true; }
    fi
    # A stale postmaster.pid whose process is gone (e.g. after kill -9) is harmless: the dir is deleted below.
  done
}

cmd_stop() {
  PG_BIN="$(find_pg_bin)"
  if [[ ! -d "$CLUSTER_DIR" ]]; then
    log "not running (no cluster directory at $CLUSTER_DIR); nothing to stop"
    rm -f "$ENV_FILE"
    return 0
  fi
  stop_processes
  rm -rf "$CLUSTER_DIR"
  rm -f "$ENV_FILE"
  log "stopped and removed $CLUSTER_DIR"
}

cmd_start() {
  local with_standby="${PGD_STANDBY:-0}" with_cascade="${PGD_CASCADE:-0}" with_bouncers="${PGD_REPLICA_BOUNCERS:-0}"
  local max_connections="${PGD_MAX_CONNECTIONS:-100}"
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --standby) with_standby=1 ;;
      --cascade) with_cascade=1 ;;
      --replica-bouncers) with_bouncers=1 ;;
      --max-connections) [[ $# -ge 2 ]] || die "start: --max-connections needs a number"; max_connections="$2"; shift ;;
      *) die "start: unknown option $1 (--standby, --cascade, --replica-bouncers, --max-connections N)" ;;
    esac
    shift
  done
  [[ "$max_connections" =~ ^[0-9]+$ ]] && (( max_connections >= 20 && max_connections <= 10000 )) \
    || die "start: --max-connections must be a number from 20 to 10000"
  REPLICA_BOUNCER_POOL="${PGD_REPLICA_BOUNCER_POOL:-4}"
  [[ "$REPLICA_BOUNCER_POOL" =~ ^[0-9]+$ ]] && (( REPLICA_BOUNCER_POOL >= 1 && REPLICA_BOUNCER_POOL <= 1000 )) \
    || die "PGD_REPLICA_BOUNCER_POOL must be a number from 1 to 1000"
  PG_BIN="$(find_pg_bin)"
  local PGBOUNCER_BIN; PGBOUNCER_BIN="$(find_pgbouncer)"

  if [[ -d "$CLUSTER_DIR" ]]; then
    if cmd_status >/dev/null 2>&1; then
      load_state
      if (( with_bouncers )) && [[ -z "${REPLICA1_BOUNCER_PORT:-}" ]]; then
        REPLICA1_BOUNCER_PORT="$(pick_port "" PGD_REPLICA1_BOUNCER_PORT)"; CHOSEN_PORTS+=("$REPLICA1_BOUNCER_PORT")
        REPLICA2_BOUNCER_PORT="$(pick_port "" PGD_REPLICA2_BOUNCER_PORT)"
        [[ "$REPLICA1_BOUNCER_PORT" != "$REPLICA2_BOUNCER_PORT" ]] || die "port selection collided; run again"
        printf 'REPLICA1_BOUNCER_PORT=%s\nREPLICA2_BOUNCER_PORT=%s\nREPLICA_BOUNCER_POOL=%s\n' \
          "$REPLICA1_BOUNCER_PORT" "$REPLICA2_BOUNCER_PORT" "$REPLICA_BOUNCER_POOL" >> "$STATE_FILE"
        start_replica_bouncers
      fi
      write_env_file
      log "already running (primary 127.0.0.1:$PRIMARY_PORT); env file: $ENV_FILE. Use 'build/cluster.sh stop' first for a fresh one."
      return 0
    fi
    log "found a stale or partial cluster in $CLUSTER_DIR (an earlier run was interrupted); removing it"
    stop_processes
    rm -rf "$CLUSTER_DIR"
  fi

  PRIMARY_PORT="$(pick_port "${PGD_PRIMARY_PORT:-}" PGD_PRIMARY_PORT)"; CHOSEN_PORTS+=("$PRIMARY_PORT")
  REPLICA1_PORT="$(pick_port "${PGD_REPLICA1_PORT:-}" PGD_REPLICA1_PORT)"; CHOSEN_PORTS+=("$REPLICA1_PORT")
  REPLICA2_PORT="$(pick_port "${PGD_REPLICA2_PORT:-}" PGD_REPLICA2_PORT)"; CHOSEN_PORTS+=("$REPLICA2_PORT")
  PGBOUNCER_PORT="$(pick_port "${PGD_PGBOUNCER_PORT:-}" PGD_PGBOUNCER_PORT)"; CHOSEN_PORTS+=("$PGBOUNCER_PORT")
  STANDBY_PORT=""; CASCADE_PORT=""; STANDBY_DIR=""
  if (( with_standby )); then STANDBY_PORT="$(pick_port "" PGD_STANDBY_PORT)"; CHOSEN_PORTS+=("$STANDBY_PORT"); STANDBY_DIR=standby; fi
  if (( with_cascade )); then CASCADE_PORT="$(pick_port "" PGD_CASCADE_PORT)"; CHOSEN_PORTS+=("$CASCADE_PORT"); fi
  REPLICA1_BOUNCER_PORT=""; REPLICA2_BOUNCER_PORT=""
  if (( with_bouncers )); then
    REPLICA1_BOUNCER_PORT="$(pick_port "" PGD_REPLICA1_BOUNCER_PORT)"; CHOSEN_PORTS+=("$REPLICA1_BOUNCER_PORT")
    REPLICA2_BOUNCER_PORT="$(pick_port "" PGD_REPLICA2_BOUNCER_PORT)"; CHOSEN_PORTS+=("$REPLICA2_BOUNCER_PORT")
  fi
  # pick_port runs in a subshell: each pick is added to CHOSEN_PORTS here, so the next one (a fork that inherits the
  # array) skips it (without that, two picks could land on the same port: "port selection collided", a flaky start).
  local all="$PRIMARY_PORT $REPLICA1_PORT $REPLICA2_PORT $PGBOUNCER_PORT $STANDBY_PORT $CASCADE_PORT $REPLICA1_BOUNCER_PORT $REPLICA2_BOUNCER_PORT"
  [[ "$(tr ' ' '\n' <<<"$all" | grep -c .)" == "$(tr ' ' '\n' <<<"$all" | grep . | sort -u | wc -l)" ]] || die "port selection collided ($all); run again"

  mkdir -p "$CLUSTER_DIR"
  chmod 0755 "$CLUSTER_DIR"
  [[ -n "$RUN_USER" ]] && chown "$RUN_USER:" "$CLUSTER_DIR"
  as_pg mkdir -p "$CLUSTER_DIR/sock" "$CLUSTER_DIR/pgbouncer"

  cat > "$STATE_FILE" <<EOF
PRIMARY_PORT=$PRIMARY_PORT
REPLICA1_PORT=$REPLICA1_PORT
REPLICA2_PORT=$REPLICA2_PORT
PGBOUNCER_PORT=$PGBOUNCER_PORT
STANDBY_PORT=$STANDBY_PORT
STANDBY_DIR=$STANDBY_DIR
CASCADE_PORT=$CASCADE_PORT
PRIMARY_DIR=primary
REPLICA1_BOUNCER_PORT=$REPLICA1_BOUNCER_PORT
REPLICA2_BOUNCER_PORT=$REPLICA2_BOUNCER_PORT
REPLICA_BOUNCER_POOL=$REPLICA_BOUNCER_POOL
EOF

  log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') from $PG_BIN; cluster dir $CLUSTER_DIR"
  log "initdb primary (port $PRIMARY_PORT)"
  local pwfile="$CLUSTER_DIR/pwfile"
  printf '%s\n' "$DB_PASSWORD" > "$pwfile"
  [[ -n "$RUN_USER" ]] && chown "$RUN_USER:" "$pwfile"
  chmod 0600 "$pwfile"
  as_pg "$PG_BIN/initdb" -D "$CLUSTER_DIR/primary" -U "$DB_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$CLUSTER_DIR/initdb.log" 2>&1 \
    || die "initdb failed (log: $CLUSTER_DIR/initdb.log)"
  rm -f "$pwfile"

  as_pg tee -a "$CLUSTER_DIR/primary/postgresql.conf" >/dev/null <<EOF

# --- PgDiscipline local test cluster ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$CLUSTER_DIR/sock'
max_connections = $max_connections
shared_buffers = 64MB
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
wal_keep_size = 256MB
hot_standby = on
hot_standby_feedback = on
wal_receiver_status_interval = 1s
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
track_commit_timestamp = off
# Throwaway cluster: no fsync (a killed process loses nothing; only an OS crash would).
fsync = off
logging_collector = off
log_min_messages = warning
log_line_prefix = '%m [%p] %q%u@%d '
# pg_rewind after a failover (build/cluster.sh failover) needs hint bits WAL-logged.
wal_log_hints = $( (( with_standby )) && echo on || echo off )
EOF
  as_pg tee -a "$CLUSTER_DIR/primary/pg_hba.conf" >/dev/null <<EOF
host    replication     all             127.0.0.1/32            scram-sha-256
EOF

  log "starting primary"
  as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/primary" -l "$CLUSTER_DIR/primary.log" -o "-p $PRIMARY_PORT" -w -t 60 start >/dev/null \
    || die "primary failed to start (log: $CLUSTER_DIR/primary.log)"
  wait_ready "$PRIMARY_PORT" primary
  as_pg "$PG_BIN/psql" -X -q -h "$CLUSTER_DIR/sock" -p "$PRIMARY_PORT" -U "$DB_USER" -d postgres \
    -c "create database $DB_NAME" >/dev/null
  psql_primary "create extension if not exists pg_stat_statements" >/dev/null

  for n in 1 2; do
    local portvar="REPLICA${n}_PORT"; local port="${!portvar}"
    log "pg_basebackup -R replica$n (port $port)"
    as_pg env PGPASSWORD="$DB_PASSWORD" "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U "$DB_USER" \
      -D "$CLUSTER_DIR/replica$n" -R -X stream -c fast -C -S "replica$n" >"$CLUSTER_DIR/basebackup$n.log" 2>&1 \
      || die "pg_basebackup for replica$n failed (log: $CLUSTER_DIR/basebackup$n.log)"
    as_pg tee -a "$CLUSTER_DIR/replica$n/postgresql.conf" >/dev/null <<EOF

# --- replica$n ---
port = $port
hot_standby = on
cluster_name = 'replica$n'
EOF
    as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/replica$n" -l "$CLUSTER_DIR/replica$n.log" -o "-p $port" -w -t 60 start >/dev/null \
      || die "replica$n failed to start (log: $CLUSTER_DIR/replica$n.log)"
    wait_ready "$port" "replica$n"
  done

  if (( with_standby )); then
    log "pg_basebackup -R standby (port $STANDBY_PORT, synchronous)"
    as_pg env PGPASSWORD="$DB_PASSWORD" "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U "$DB_USER" \
      -D "$CLUSTER_DIR/standby" -R -X stream -c fast -C -S standby >"$CLUSTER_DIR/basebackup-standby.log" 2>&1 \
      || die "pg_basebackup for the standby failed (log: $CLUSTER_DIR/basebackup-standby.log)"
    printf "\n# --- standby ---\nport = %s\nhot_standby = on\ncluster_name = 'standby'\n" "$STANDBY_PORT" \
      | as_pg tee -a "$CLUSTER_DIR/standby/postgresql.conf" >/dev/null
    as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/standby" -l "$CLUSTER_DIR/standby.log" -o "-p $STANDBY_PORT" -w -t 60 start >/dev/null \
      || die "the standby failed to start (log: $CLUSTER_DIR/standby.log)"
    wait_ready "$STANDBY_PORT" standby
  fi

  local expected=2
  if (( with_standby )); then expected=3; fi
  log "waiting for $expected standbys to stream from the primary"
  local streaming=0
  for _ in $(seq 1 120); do
    streaming="$(psql_primary "select count(*) from pg_stat_replication where state = 'streaming'" 2>/dev/null || echo 0)"
    [[ "$streaming" == "$expected" ]] && break
    sleep 0.25
  done
  [[ "$streaming" == "$expected" ]] || die "only $streaming of $expected standbys are streaming after 30 s (logs: $CLUSTER_DIR/*.log)"
  if (( with_standby )); then
    # Synchronous from now on: a commit returns once the standby has flushed it (0 acknowledged writes lost on failover).
    psql_primary "alter system set synchronous_standby_names = 'standby'" >/dev/null
    psql_primary "select pg_reload_conf()" >/dev/null
  fi
  if (( with_cascade )); then
    log "pg_basebackup -R cascade from replica1 (port $CASCADE_PORT)"
    as_pg env PGPASSWORD="$DB_PASSWORD" "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$REPLICA1_PORT" -U "$DB_USER" \
      -D "$CLUSTER_DIR/cascade" -R -X stream -c fast -C -S cascade >"$CLUSTER_DIR/basebackup-cascade.log" 2>&1 \
      || die "pg_basebackup for the cascading replica failed (log: $CLUSTER_DIR/basebackup-cascade.log)"
    printf "\n# --- cascade (streams from replica1) ---\nport = %s\nhot_standby = on\ncluster_name = 'cascade'\n" "$CASCADE_PORT" \
      | as_pg tee -a "$CLUSTER_DIR/cascade/postgresql.conf" >/dev/null
    as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/cascade" -l "$CLUSTER_DIR/cascade.log" -o "-p $CASCADE_PORT" -w -t 60 start >/dev/null \
      || die "the cascading replica failed to start (log: $CLUSTER_DIR/cascade.log)"
    wait_ready "$CASCADE_PORT" cascade
    local cs=0
    for _ in $(seq 1 120); do
      cs="$(psql_at "$REPLICA1_PORT" "select count(*) from pg_stat_replication where application_name = 'cascade' and state = 'streaming'" 2>/dev/null || echo 0)"
      [[ "$cs" == 1 ]] && break
      sleep 0.25
    done
    [[ "$cs" == 1 ]] || die "the cascading replica is not streaming from replica1 after 30 s (log: $CLUSTER_DIR/cascade.log)"
  fi

  log "starting pgbouncer (transaction pooling, port $PGBOUNCER_PORT)"
  as_pg tee "$CLUSTER_DIR/pgbouncer/userlist.txt" >/dev/null <<EOF
"$DB_USER" "$DB_PASSWORD"
EOF
  as_pg tee "$CLUSTER_DIR/pgbouncer/pgbouncer.ini" >/dev/null <<EOF
[databases]
$DB_NAME = host=127.0.0.1 port=$PRIMARY_PORT dbname=$DB_NAME
; one server connection: proves what leaks between clients that share it
${DB_NAME}_single = host=127.0.0.1 port=$PRIMARY_PORT dbname=$DB_NAME pool_size=1

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir = $CLUSTER_DIR/sock
auth_type = scram-sha-256
auth_file = $CLUSTER_DIR/pgbouncer/userlist.txt
admin_users = $DB_USER
pool_mode = transaction
default_pool_size = 8
max_client_conn = 1000
server_reset_query =
; fault tests restart servers: retry a failed server login after 1 s, not PgBouncer's 15
server_login_retry = 1
ignore_startup_parameters = extra_float_digits
logfile = $CLUSTER_DIR/pgbouncer.log
pidfile = $CLUSTER_DIR/pgbouncer/pgbouncer.pid
EOF
  as_pg "$PGBOUNCER_BIN" -d -q "$CLUSTER_DIR/pgbouncer/pgbouncer.ini" \
    || die "pgbouncer failed to start (log: $CLUSTER_DIR/pgbouncer.log)"
  wait_ready "$PGBOUNCER_PORT" pgbouncer
  if (( with_bouncers )); then start_replica_bouncers; fi

  write_env_file
  log "ready: primary :$PRIMARY_PORT, replicas :$REPLICA1_PORT :$REPLICA2_PORT, pgbouncer :$PGBOUNCER_PORT${STANDBY_PORT:+, sync standby :$STANDBY_PORT}${CASCADE_PORT:+, cascade (from replica1) :$CASCADE_PORT}${REPLICA1_BOUNCER_PORT:+, replica pgbouncers :$REPLICA1_BOUNCER_PORT :$REPLICA2_BOUNCER_PORT}"
  log "env file: $ENV_FILE"
}

# add-replica NAME: one more streaming replica of the running primary (pg_basebackup -R, its own slot), on a free
# port; prints its connection string and adds PGD_<NAME> / PGD_<NAME>_PORT / PGD_<NAME>_DATA to the env file. For
# tests of a replica set that changes while the application runs. NAME is replica3 .. replica99.
cmd_add_replica() {
  local n="${1:-}"
  [[ "$n" =~ ^replica([3-9]|[1-9][0-9])$ ]] || die "add-replica needs a name replica3 .. replica99"
  PG_BIN="$(find_pg_bin)"
  load_state || die "no running cluster (build/cluster.sh start first)"
  [[ -d "$CLUSTER_DIR/$n" ]] && die "$n already exists (remove-replica $n first)"
  local port; port="$(pick_port "" "$n")"
  log "pg_basebackup -R $n (port $port)"
  as_pg env PGPASSWORD="$DB_PASSWORD" "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U "$DB_USER" \
    -D "$CLUSTER_DIR/$n" -R -X stream -c fast -C -S "$n" >"$CLUSTER_DIR/basebackup-$n.log" 2>&1 \
    || die "pg_basebackup for $n failed (log: $CLUSTER_DIR/basebackup-$n.log)"
  printf '\n# --- %s ---\nport = %s\nhot_standby = on\ncluster_name = %s\n' "$n" "$port" "'$n'" \
    | as_pg tee -a "$CLUSTER_DIR/$n/postgresql.conf" >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/$n" -l "$CLUSTER_DIR/$n.log" -o "-p $port" -w -t 60 start >/dev/null \
    || die "$n failed to start (log: $CLUSTER_DIR/$n.log)"
  wait_ready "$port" "$n"
  local streaming=0
  for _ in $(seq 1 120); do
    streaming="$(psql_primary "select count(*) from pg_stat_replication where application_name = '$n' and state = 'streaming'" 2>/dev/null || echo 0)"
    [[ "$streaming" == 1 ]] && break
    sleep 0.25
  done
  [[ "$streaming" == 1 ]] || die "$n is not streaming after 30 s (log: $CLUSTER_DIR/$n.log)"
  local key="PGD_${n^^}"
  { echo "$key='$(conn "$port")'"; echo "${key}_PORT='$port'"; echo "${key}_DATA='$CLUSTER_DIR/$n'"; } >> "$ENV_FILE"
  log "$n streaming on 127.0.0.1:$port"
  conn "$port"; echo
}

# remove-replica NAME: stops a replica added with add-replica, drops its slot and data, and its env-file lines.
cmd_remove_replica() {
  local n="${1:-}"
  [[ "$n" =~ ^replica([3-9]|[1-9][0-9])$ ]] || die "remove-replica needs a name replica3 .. replica99"
  PG_BIN="$(find_pg_bin)"
  load_state || die "no running cluster"
  [[ -d "$CLUSTER_DIR/$n" ]] || die "$n does not exist"
  if pg_ctl_status "$CLUSTER_DIR/$n"; then
    as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/$n" stop -m fast -w -t 30 >/dev/null 2>&1 || true
  fi
  psql_primary "select pg_drop_replication_slot('$n') from pg_replication_slots where slot_name = '$n'" >/dev/null 2>&1 || true
  rm -rf "${CLUSTER_DIR:?}/$n"
  local key="PGD_${n^^}"
  if [[ -f "$ENV_FILE" ]]; then
    grep -v -E "^${key}(_PORT|_DATA)?=" "$ENV_FILE" > "$ENV_FILE.tmp" || true
    mv "$ENV_FILE.tmp" "$ENV_FILE"
  fi
  log "$n stopped and removed"
}

# wait_streaming UPSTREAM-PORT NAME TRIES: NAME streams from the server on UPSTREAM-PORT within TRIES quarter-seconds.
wait_streaming() {
  local _
  for _ in $(seq 1 "$3"); do
    [[ "$(psql_at "$1" "select count(*) from pg_stat_replication where application_name = '$2' and state = 'streaming'" 2>/dev/null || echo 0)" == 1 ]] && return 0
    sleep 0.25
  done
  return 1
}

# past_fork PORT LSN: the standby on PORT has received or replayed WAL past LSN (the new timeline's fork point).
past_fork() {
  [[ "$(psql_at "$1" "select greatest(coalesce(pg_last_wal_receive_lsn(), '0/0'), coalesce(pg_last_wal_replay_lsn(), '0/0')) > '$2'::pg_lsn" 2>/dev/null || echo f)" == t ]]
}

# rewind_standby NAME PORT SOURCE-PORT [UPSTREAM-PORT]: pg_rewind NAME onto the timeline of the server on SOURCE-PORT,
# then start it streaming from UPSTREAM-PORT (default: the source) through its slot NAME there. pg_rewind copies the
# source's configuration (its cluster_name would become this walreceiver's application_name) and empties pg_replslot
# (a cascading replica's slot): the configuration is put back and the slots are made again.
rewind_standby() {
  local n="$1" port="$2" source="$3" upstream="${4:-$3}" kept="$CLUSTER_DIR/rewind-$1-kept" slots slot
  log "$n does not follow the new timeline; pg_rewind"
  as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/$n" stop -m fast -w -t 30 >/dev/null 2>&1 || true
  as_pg mkdir -p "$kept"
  as_pg cp "$CLUSTER_DIR/$n/postgresql.conf" "$kept/postgresql.conf"
  slots="$(find "$CLUSTER_DIR/$n/pg_replslot" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sort | tr '\n' ' ')"
  # pg_rewind reads the source's timeline from its control file, which a just-promoted server updates only at its next
  # checkpoint (PostgreSQL's pg_rewind docs): before it, "same timeline, no rewind required" and the standby cannot start.
  psql_at "$source" "checkpoint" >/dev/null || die "checkpoint on the new primary (port $source) failed"
  as_pg "$PG_BIN/pg_rewind" -D "$CLUSTER_DIR/$n" \
    --source-server="host=127.0.0.1 port=$source user=$DB_USER password=$DB_PASSWORD dbname=postgres" >"$CLUSTER_DIR/rewind-$n.log" 2>&1 \
    || die "pg_rewind of $n failed (log: $CLUSTER_DIR/rewind-$n.log)"
  as_pg cp "$kept/postgresql.conf" "$CLUSTER_DIR/$n/postgresql.conf"
  as_pg touch "$CLUSTER_DIR/$n/standby.signal"
  printf "primary_conninfo = '%s'\nprimary_slot_name = '%s'\n" \
    "host=127.0.0.1 port=$upstream user=$DB_USER password=$DB_PASSWORD application_name=$n" "$n" \
    | as_pg tee "$CLUSTER_DIR/$n/postgresql.auto.conf" >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/$n" -l "$CLUSTER_DIR/$n.log" -o "-p $port" -w -t 60 start >/dev/null || die "$n failed to start after pg_rewind; its log ends:
$(tail -n 15 "$CLUSTER_DIR/$n.log" 2>/dev/null)
pg_rewind's log ends:
$(tail -n 5 "$CLUSTER_DIR/rewind-$n.log" 2>/dev/null)"
  for slot in $slots; do
    psql_at "$port" "select pg_create_physical_replication_slot('$slot', true) where not exists (select 1 from pg_replication_slots where slot_name = '$slot')" >/dev/null \
      || die "could not make slot $slot on $n again after pg_rewind"
    log "slot $slot on $n made again"
  done
}

# failover: what an HA controller (Patroni, pg_auto_failover, a cloud's) does when the primary dies.
cmd_failover() {
  PG_BIN="$(find_pg_bin)"
  load_state || die "no running cluster"
  [[ -n "${STANDBY_PORT:-}" ]] || die "failover needs the standby: build/cluster.sh start --standby"
  [[ -z "${OLD_PRIMARY_PORT:-}" ]] || die "already failed over once (the standby is the primary); start a fresh cluster"
  local t0; t0=$(date +%s.%N)
  log "stopping the primary like a crash (pg_ctl stop -m immediate)"
  as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/$PRIMARY_DIR" stop -m immediate -w -t 30 >/dev/null 2>&1 || true
  log "promoting the standby (port $STANDBY_PORT)"
  as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/$STANDBY_DIR" promote -w -t 60 >/dev/null || die "promotion failed (log: $CLUSTER_DIR/standby.log)"
  local new_port="$STANDBY_PORT"
  # Where the new timeline forked off the old one. A server that got WAL of the old timeline past it (asynchronous, it
  # can be ahead of the synchronous standby) cannot follow: known now, before re-pointing starts it on the new timeline.
  local fork diverged="" s p
  fork="$(psql_at "$new_port" "select pg_read_file('pg_wal/' || name) from pg_ls_waldir() where name like '%.history' order by name desc limit 1" | awk 'NF { p = $2 } END { print p }')"
  [[ -n "$fork" ]] || die "no timeline history on the promoted standby"
  for s in replica1 replica2 ${CASCADE_PORT:+cascade}; do
    p="${s^^}_PORT"
    if past_fork "${!p}" "$fork"; then diverged="$diverged $s "; fi
  done
  # No synchronous standby is left: the new primary must not wait for one.
  psql_at "$new_port" "alter system reset synchronous_standby_names" >/dev/null
  psql_at "$new_port" "select pg_reload_conf()" >/dev/null
  log "re-pointing PgBouncer at the new primary"
  as_pg sed -i -E "s/port=$PRIMARY_PORT( |\$)/port=$new_port\1/g" "$CLUSTER_DIR/pgbouncer/pgbouncer.ini"
  kill -HUP "$(pgbouncer_pid)" 2>/dev/null || true
  local promoted; promoted=$(date +%s.%N)
  for n in replica1 replica2; do
    local portvar="${n^^}_PORT"; local port="${!portvar}"
    psql_at "$new_port" "select pg_create_physical_replication_slot('$n') where not exists (select 1 from pg_replication_slots where slot_name = '$n')" >/dev/null
    local conninfo="host=127.0.0.1 port=$new_port user=$DB_USER password=$DB_PASSWORD application_name=$n"
    psql_at "$port" "alter system set primary_conninfo = '$conninfo'" >/dev/null
    psql_at "$port" "select pg_reload_conf()" >/dev/null
  done
  for n in replica1 replica2; do
    local portvar="${n^^}_PORT"; local port="${!portvar}"
    if [[ "$diverged" == *" $n "* ]] || ! wait_streaming "$new_port" "$n" 60; then
      rewind_standby "$n" "$port" "$new_port"
      wait_streaming "$new_port" "$n" 240 || die "$n is not streaming from the new primary 60 s after pg_rewind; its log ends:
$(tail -n 15 "$CLUSTER_DIR/$n.log" 2>/dev/null)"
    fi
  done
  if [[ -n "${CASCADE_PORT:-}" ]]; then
    # It follows replica1 onto the new timeline, unless it too replayed WAL the standby never got.
    if [[ "$diverged" == *" cascade "* ]] || ! wait_streaming "$REPLICA1_PORT" cascade 60; then
      rewind_standby cascade "$CASCADE_PORT" "$new_port" "$REPLICA1_PORT"
      wait_streaming "$REPLICA1_PORT" cascade 240 || die "the cascading replica is not streaming from replica1 60 s after pg_rewind; its log ends:
$(tail -n 15 "$CLUSTER_DIR/cascade.log" 2>/dev/null)"
    fi
  fi
  {
    echo "OLD_PRIMARY_PORT=$PRIMARY_PORT"
    echo "OLD_PRIMARY_DIR=$PRIMARY_DIR"
    echo "PRIMARY_PORT=$new_port"
    echo "PRIMARY_DIR=$STANDBY_DIR"
  } >> "$STATE_FILE"
  load_state
  write_env_file
  log "failover done: the primary is now :$new_port (promoted in $(awk -v a="$t0" -v b="$promoted" 'BEGIN { printf "%.2f", b - a }') s); replicas re-pointed"
}

# revive-old-primary: the failed-over old primary starts again as it was (nobody fenced it): writable, old timeline.
cmd_revive_old_primary() {
  PG_BIN="$(find_pg_bin)"
  load_state || die "no running cluster"
  [[ -n "${OLD_PRIMARY_PORT:-}" ]] || die "no failed-over primary (build/cluster.sh failover first)"
  # It still names the standby as synchronous (its commits would wait forever); an operator "fixing" that is the fault.
  as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/$OLD_PRIMARY_DIR" -l "$CLUSTER_DIR/old-primary.log" \
    -o "-p $OLD_PRIMARY_PORT -c synchronous_standby_names=" -w -t 60 start >/dev/null || die "the old primary failed to start"
  wait_ready "$OLD_PRIMARY_PORT" old-primary
  log "old primary back on :$OLD_PRIMARY_PORT, writable, timeline $(psql_at "$OLD_PRIMARY_PORT" "select substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)::text")"
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  failover) cmd_failover ;;
  revive-old-primary) cmd_revive_old_primary ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) echo "$ENV_FILE" ;;
  add-replica) cmd_add_replica "${2:-}" ;;
  remove-replica) cmd_remove_replica "${2:-}" ;;
  *) echo "usage: $0 start [--standby] [--cascade] [--replica-bouncers] [--max-connections N]|stop|status|env|failover|revive-old-primary|add-replica replicaN|remove-replica replicaN" >&2; exit 64 ;;
esac
