#!/usr/bin/env bash
# The outbox relay to NATS JetStream: `boxoffice bench relay` against a throwaway
# `nats-server -js` (its store in a temporary directory, on a free loopback port), RUNS times,
# each run on a fresh server and a fresh SQLite outbox.
#
#   bench/relay.sh [BOXOFFICE_BINARY] [BENCH_ARGS...]   (default: build-rl-bench/boxoffice)
#
# Environment: RUNS (3). BENCH_ARGS go to `boxoffice bench relay` (see its --help), e.g.
# --events 200000 --rate 1000 --seconds 30.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(realpath "${1:-$ROOT/build-rl-bench/boxoffice}")
shift || true
RUNS=${RUNS:-3}

command -v nats-server >/dev/null || { echo "relay: nats-server is required" >&2; exit 2; }

NATS_PID=
WORK=$(mktemp -d "${TMPDIR:-/tmp}/relay-bench.XXXXXX")
stop_nats() {
  if [[ -n "$NATS_PID" ]]; then kill "$NATS_PID" 2>/dev/null || true; wait "$NATS_PID" || true; fi
  NATS_PID=
}
cleanup() {
  stop_nats
  rm -rf "$WORK"
}
trap cleanup EXIT

start_nats() {
  local port store=$WORK/jetstream-$1
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  nats-server -js -a 127.0.0.1 -p "$port" -sd "$store" >"$WORK/nats-$1.log" 2>&1 &
  NATS_PID=$!
  for _ in $(seq 100); do
    if grep -q "Server is ready" "$WORK/nats-$1.log"; then NATS_URL=nats://127.0.0.1:$port; return 0; fi
    sleep 0.1
  done
  cat "$WORK/nats-$1.log" >&2
  exit 1
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $(nats-server --version)"
for run in $(seq "$RUNS"); do
  start_nats "$run"
  echo "=== run $run ($NATS_URL)"
  "$BIN" bench relay --nats "$NATS_URL" "$@"
  stop_nats
done
