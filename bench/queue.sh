#!/usr/bin/env bash
# The waiting room under a rush: `boxoffice bench queue` (token issues: each request a buyer new
# to the room) and `queue-status` (status reads), with the room in process and on Redis.
#
#   bench/queue.sh [BOXOFFICE_BINARY]     (default: build-bench/boxoffice)
#
# For each shape (in process, then Redis: a throwaway redis-server on a free loopback port,
# persistence off) it runs bench/endpoints.sh twice against a fresh server:
#   peak   closed loop, healthz + queue + queue-status in interleaved rounds (ratios to /healthz)
#   half   open loop at RATE_INPROCESS / RATE_REDIS requests/s (half of the goals: 30,000 and
#          15,000 token issues/s), queue + queue-status, so p99 is measured from the schedule,
#          beside /healthz at the same rate (the p99 the machine and the driver leave)
# The servers accept any number of joins from one address (the driver is one client).
#
# Environment: ROUNDS (3), DURATION (10), CONNECTIONS (64), RATE_INPROCESS (15000),
# RATE_REDIS (7500), SHAPES ("inprocess redis"); others as in bench/endpoints.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(realpath "${1:-$ROOT/build-bench/boxoffice}")
SHAPES=${SHAPES:-"inprocess redis"}
RATE_INPROCESS=${RATE_INPROCESS:-15000}
RATE_REDIS=${RATE_REDIS:-7500}
LIMITS="--queue-joins-per-address-per-minute 10000000"

REDIS_PID=
WORK=$(mktemp -d "${TMPDIR:-/tmp}/queue-bench.XXXXXX")
cleanup() {
  if [[ -n "$REDIS_PID" ]]; then kill "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

start_redis() {
  command -v redis-server >/dev/null || { echo "queue: redis-server is required" >&2; exit 2; }
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  redis-server --port "$port" --bind 127.0.0.1 --dir "$WORK" --save '' --appendonly no \
    >"$WORK/redis.log" 2>&1 &
  REDIS_PID=$!
  for _ in $(seq 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && { REDIS_URL=redis://127.0.0.1:$port; return 0; }
    sleep 0.1
  done
  cat "$WORK/redis.log" >&2
  exit 1
}

for shape in $SHAPES; do
  serve_args=$LIMITS rate=$RATE_INPROCESS
  if [[ "$shape" == redis ]]; then
    start_redis
    serve_args="$LIMITS --redis $REDIS_URL" rate=$RATE_REDIS
  fi
  echo "=== $shape: peak (closed loop)"
  SERVE_ARGS=$serve_args SCENARIOS="healthz queue queue-status" "$ROOT/bench/endpoints.sh" "$BIN"
  echo "=== $shape: open loop at $rate/s"
  SERVE_ARGS=$serve_args SCENARIOS="healthz queue queue-status" ARGS_healthz="--rate $rate" \
    ARGS_queue="--rate $rate" ARGS_queue_status="--rate $rate" "$ROOT/bench/endpoints.sh" "$BIN"
  if [[ "$shape" == redis ]]; then
    kill "$REDIS_PID"; wait "$REDIS_PID" || true; REDIS_PID=
  fi
done
