#!/usr/bin/env bash
# The outbox relay to NATS JetStream: `boxoffice bench relay` against a throwaway
# `nats-server -js` (its store in a temporary directory, on a free loopback port), RUNS times,
# each run on a fresh server and a fresh outbox: SQLite (SHAPE=embedded), or a throwaway
# PostgreSQL 15 cluster with wal_level=logical read through its replication stream by the
# outbox relay (SHAPE=postgres; fsync and synchronous_commit on).
#
#   bench/relay.sh [BOXOFFICE_BINARY] [BENCH_ARGS...]   (default: build-rl-bench/boxoffice)
#
# Environment: RUNS (3), SHAPE (embedded), PG_BIN (/usr/lib/postgresql/15/bin). BENCH_ARGS go
# to `boxoffice bench relay` (see its --help), e.g. --events 200000 --rate 1000 --seconds 30.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(realpath "${1:-$ROOT/build-rl-bench/boxoffice}")
shift || true
RUNS=${RUNS:-3}
SHAPE=${SHAPE:-embedded}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
[[ "$SHAPE" == embedded || "$SHAPE" == postgres ]] || { echo "relay: SHAPE is embedded or postgres" >&2; exit 2; }

command -v nats-server >/dev/null || { echo "relay: nats-server is required" >&2; exit 2; }

NATS_PID=
PG_PID=
PG_DATA=
WORK=$(mktemp -d "${TMPDIR:-/tmp}/relay-bench.XXXXXX")
as_owner=()
if [[ $(id -u) -eq 0 ]]; then  # initdb refuses to run as root
  chown postgres "$WORK"
  as_owner=(runuser -u postgres --)
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
stop_nats() {
  if [[ -n "$NATS_PID" ]]; then kill "$NATS_PID" 2>/dev/null || true; wait "$NATS_PID" || true; fi
  NATS_PID=
}
stop_pg() {
  # SIGINT (fast shutdown) to the postmaster itself: runuser does not pass it on.
  if [[ -n "$PG_PID" ]]; then
    kill -INT "$(head -1 "$PG_DATA/postmaster.pid" 2>/dev/null)" 2>/dev/null || kill -INT "$PG_PID" 2>/dev/null || true
    wait "$PG_PID" || true
  fi
  PG_PID=
}
cleanup() {
  stop_nats
  stop_pg
  rm -rf "$WORK"
}
trap cleanup EXIT

start_pg() {
  local port data=$WORK/pg-$1
  PG_DATA=$data
  port=$(free_port)
  "${as_owner[@]}" "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust --no-sync \
    --no-instructions >"$WORK/initdb-$1.log" 2>&1 || { cat "$WORK/initdb-$1.log" >&2; exit 1; }
  "${as_owner[@]}" "$PG_BIN/postgres" -D "$data" -c port="$port" -c listen_addresses=127.0.0.1 \
    -c unix_socket_directories="$WORK" -c fsync=on -c synchronous_commit=on -c wal_level=logical \
    -c shared_buffers=256MB -c max_connections=200 >"$WORK/postgres-$1.log" 2>&1 &
  PG_PID=$!
  for _ in $(seq 100); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    sleep 0.1
  done
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres boxoffice
  STORE_ARGS=(--store "postgres://postgres@127.0.0.1:$port/boxoffice")
}

start_nats() {
  local port store=$WORK/jetstream-$1
  port=$(free_port)
  nats-server -js -a 127.0.0.1 -p "$port" -sd "$store" >"$WORK/nats-$1.log" 2>&1 &
  NATS_PID=$!
  for _ in $(seq 100); do
    if grep -q "Server is ready" "$WORK/nats-$1.log"; then NATS_URL=nats://127.0.0.1:$port; return 0; fi
    sleep 0.1
  done
  cat "$WORK/nats-$1.log" >&2
  exit 1
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $(nats-server --version); shape $SHAPE"
for run in $(seq "$RUNS"); do
  STORE_ARGS=()
  if [[ "$SHAPE" == postgres ]]; then start_pg "$run"; fi
  start_nats "$run"
  echo "=== run $run ($NATS_URL ${STORE_ARGS[*]})"
  "$BIN" bench relay --nats "$NATS_URL" "${STORE_ARGS[@]}" "$@"
  stop_nats
  stop_pg
  echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
done
