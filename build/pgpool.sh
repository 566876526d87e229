#!/usr/bin/env bash
# pgpool-II in streaming-replication mode with load balancing, in front of the local cluster (for side-by-side
# benchmarks: what users would otherwise deploy for read/write splitting). Needs a running build/cluster.sh.
#   build/pgpool.sh start|stop        writes PGD_PGPOOL / PGD_PGPOOL_PORT into the cluster env file
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENV_FILE="${PGD_ENV_FILE:-$REPO_ROOT/artifacts/cluster/cluster.env}"
[[ -f "$ENV_FILE" ]] || { echo "[pgpool] no cluster env file ($ENV_FILE): run build/cluster.sh start first" >&2; exit 1; }
# shellcheck disable=SC1090
source "$ENV_FILE"
DIR="$PGD_CLUSTER_DIR/pgpool"
as_pg() { if [[ -n "${PGD_RUN_AS:-}" ]]; then runuser -u "$PGD_RUN_AS" -- "$@"; else "$@"; fi; }

case "${1:-}" in
  start)
    command -v pgpool >/dev/null || PGD_EXTRA_PACKAGES=pgpool2 "$REPO_ROOT/build/install-deps.sh"
    if [[ -f "$DIR/pgpool.pid" ]] && kill -0 "$(tr -cd "0-9" < "$DIR/pgpool.pid")" 2>/dev/null; then echo "[pgpool] already running" >&2; exit 0; fi
    port=$(( PGD_PGBOUNCER_PORT + 1 )); pcp=$(( PGD_PGBOUNCER_PORT + 2 ))
    as_pg mkdir -p "$DIR"
    as_pg tee "$DIR/pgpool.conf" >/dev/null <<CONF
backend_clustering_mode = 'streaming_replication'
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$DIR'
pcp_listen_addresses = ''
pcp_port = $pcp
pcp_socket_dir = '$DIR'
backend_hostname0 = '127.0.0.1'
backend_port0 = $PGD_PRIMARY_PORT
backend_weight0 = 0
backend_flag0 = 'ALWAYS_PRIMARY|DISALLOW_TO_FAILOVER'
backend_hostname1 = '127.0.0.1'
backend_port1 = $PGD_REPLICA1_PORT
backend_weight1 = 1
backend_flag1 = 'DISALLOW_TO_FAILOVER'
backend_hostname2 = '127.0.0.1'
backend_port2 = $PGD_REPLICA2_PORT
backend_weight2 = 1
backend_flag2 = 'DISALLOW_TO_FAILOVER'
load_balance_mode = on
statement_level_load_balance = on
sr_check_period = 0
health_check_period = 0
failover_on_backend_error = off
enable_pool_hba = on
pool_passwd = 'pool_passwd'
num_init_children = 16
max_pool = 2
pid_file_name = '$DIR/pgpool.pid'
logdir = '$DIR'
log_min_messages = warning
CONF
    as_pg tee "$DIR/pool_hba.conf" >/dev/null <<CONF
host all all 127.0.0.1/32 scram-sha-256
CONF
    as_pg tee "$DIR/pool_passwd" >/dev/null <<CONF
pgdiscipline:TEXTpgdiscipline
CONF
    as_pg touch "$DIR/pcp.conf"
    as_pg pgpool -f "$DIR/pgpool.conf" -F "$DIR/pcp.conf" -a "$DIR/pool_hba.conf" >"$DIR/pgpool.out" 2>&1 || { cat "$DIR/pgpool.out" >&2; exit 1; }
    for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
    sed -i '/^PGD_PGPOOL/d' "$ENV_FILE"
    echo "PGD_PGPOOL='Host=127.0.0.1;Port=$port;Database=pgdiscipline;Username=pgdiscipline;Password=pgdiscipline'" >> "$ENV_FILE"
    echo "PGD_PGPOOL_PORT='$port'" >> "$ENV_FILE"
    echo "[pgpool] ready on 127.0.0.1:$port (writes -> primary :$PGD_PRIMARY_PORT, reads -> replicas :$PGD_REPLICA1_PORT :$PGD_REPLICA2_PORT)" >&2
    ;;
  stop)
    if [[ -f "$DIR/pgpool.pid" ]]; then kill "$(tr -cd "0-9" < "$DIR/pgpool.pid")" 2>/dev/null || true; fi
    sed -i '/^PGD_PGPOOL/d' "$ENV_FILE" 2>/dev/null || true
    echo "[pgpool] stopped" >&2
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 64 ;;
esac
