#!/usr/bin/env bash
# The Docker engine for PgDiscipline.Testing's tests (Testcontainers backend).
#   build/docker.sh start   installs docker.io when missing (apt-get, as root), starts dockerd when no engine answers,
#                           and records the pid of the daemon it started in artifacts/docker/dockerd.pid
#   build/docker.sh stop    removes PgDiscipline.Testing's leftover containers and networks, and stops the daemon this
#                           script started (by its pid; an engine that was already running is left alone)
# Exit status 2 from start: no engine could be started (the message says why); callers skip the container tests.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$REPO_ROOT/artifacts/docker"
PID_FILE="$STATE/dockerd.pid"
mkdir -p "$STATE"

answers() { docker info >/dev/null 2>&1; }

case "${1:-}" in
  start)
    if command -v docker >/dev/null 2>&1 && answers; then
      echo "[docker] an engine is running: $(docker version --format '{{.Server.Version}}' 2>/dev/null)"
      exit 0
    fi
    if ! command -v dockerd >/dev/null 2>&1; then
      if [[ "$(id -u)" != 0 ]]; then echo "[docker] dockerd is not installed and this is not root: cannot install docker.io" >&2; exit 2; fi
      echo "[docker] installing docker.io"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >/dev/null; } \
        || { echo "[docker] apt-get install docker.io failed" >&2; exit 2; }
    fi
    echo "[docker] starting dockerd"
    nohup dockerd --host unix:///var/run/docker.sock >"$STATE/dockerd.log" 2>&1 &
    echo $! > "$PID_FILE"
    for _ in $(seq 1 120); do
      answers && { echo "[docker] dockerd $(docker version --format '{{.Server.Version}}') is up (pid $(cat "$PID_FILE"))"; exit 0; }
      kill -0 "$(cat "$PID_FILE")" 2>/dev/null || break
      sleep 0.5
    done
    echo "[docker] dockerd did not come up (log: $STATE/dockerd.log):" >&2
    tail -n 20 "$STATE/dockerd.log" >&2 || true
    exit 2
    ;;
  stop)
    if command -v docker >/dev/null 2>&1 && answers; then
      ids="$(docker ps -aq --filter label=org.pgdiscipline.testing)"
      [[ -n "$ids" ]] && docker rm -f $ids >/dev/null 2>&1 || true
      nets="$(docker network ls -q --filter label=org.pgdiscipline.testing)"
      [[ -n "$nets" ]] && docker network rm $nets >/dev/null 2>&1 || true
    fi
    if [[ -f "$PID_FILE" ]]; then
      pid="$(cat "$PID_FILE")"
      if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -9 "$pid" 2>/dev/null || true
        echo "[docker] stopped dockerd (pid $pid)"
      fi
      rm -f "$PID_FILE"
    fi
    ;;
  *)
    echo "usage: build/docker.sh start|stop" >&2; exit 1 ;;
esac
