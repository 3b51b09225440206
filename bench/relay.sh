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
[[ "$SHAPE" == embedded || "$SHAPE" == postgres ]] || { echo "relay: SHAPE is embedded or postgres" >&2; exit 2; }

command -v nats-server >/dev/null || { echo "relay: nats-server is required" >&2; exit 2; }

# shellcheck source=bench/lib/postgres.sh
source "$ROOT/bench/lib/postgres.sh"
NATS_PID=
WORK=$(mktemp -d "${TMPDIR:-/tmp}/relay-bench.XXXXXX")
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
stop_nats() {
  if [[ -n "$NATS_PID" ]]; then kill "$NATS_PID" 2>/dev/null || true; wait "$NATS_PID" || true; fi
  NATS_PID=
}
cleanup() {
  stop_nats
  pg_stop
  rm -rf "$WORK"
}
trap cleanup EXIT

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
  if [[ "$SHAPE" == postgres ]]; then
    pg_start wal_level=logical
    STORE_ARGS=(--store "$PG_URL")
  fi
  start_nats "$run"
  echo "=== run $run ($NATS_URL ${STORE_ARGS[*]})"
  "$BIN" bench relay --nats "$NATS_URL" "${STORE_ARGS[@]}" "$@"
  stop_nats
  pg_stop
  echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
done
