#!/usr/bin/env bash
# Two builds of the waiting room side by side: every scenario runs on build A, then on build B,
# round after round, each run on a fresh server (and a fresh throwaway Redis for the Redis
# shape), so that a disturbance of the machine touches both alike.
#
#   bench/queue_ab.sh BOXOFFICE_A BOXOFFICE_B
#
# Scenarios: closed loop (CONNECTIONS connections) `queue` and `queue-status` on Redis, and
# `queue` in process; open loop at half the goals (RATE_REDIS, RATE_INPROCESS) for both. Each
# run also reports the CPU time the server and Redis used per request (from /proc), which a
# busy machine disturbs much less than throughput and latency. Prints one line per run, then
# a Markdown table of medians.
#
# Environment: ROUNDS (3), DURATION (10), CONNECTIONS (64), RATE_REDIS (7500),
# RATE_INPROCESS (15000), SCENARIOS (the list above, or e.g. "inprocess healthz;redis queue").
set -euo pipefail

A=$(realpath "$1")
B=$(realpath "$2")
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
RATE_REDIS=${RATE_REDIS:-7500}
RATE_INPROCESS=${RATE_INPROCESS:-15000}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/queue-ab.XXXXXX")
SERVER_PID= REDIS_PID=

stop() {
  if [[ -n "$SERVER_PID" ]]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" || true; fi
  if [[ -n "$REDIS_PID" ]]; then kill "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" || true; fi
  SERVER_PID= REDIS_PID=
}
trap 'stop; rm -rf "$WORK"' EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run BINARY SHAPE SCENARIO [bench options...]: one line of results.
run() {
  local bin=$1 shape=$2 scenario=$3 dir port redis_args=()
  shift 3
  dir=$(mktemp -d "$WORK/run.XXXXXX")
  if [[ "$shape" == redis ]]; then
    local redis_port
    redis_port=$(free_port)
    redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no \
      >"$dir/redis.log" 2>&1 &
    REDIS_PID=$!
    for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    redis_args=(--redis "redis://127.0.0.1:$redis_port")
  fi
  port=$(free_port)
  "$bin" serve --listen "127.0.0.1:$port" --data-dir "$dir/data" --jwt-secret ab --access-log false \
    --queue-joins-per-address-per-minute 10000000 "${redis_args[@]}" >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 300); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  "$bin" bench "$scenario" --target "http://127.0.0.1:$port" --jwt-secret ab --json \
    --duration "$DURATION" --connections "$CONNECTIONS" "$@" >"$dir/out.json" 2>/dev/null || true
  local server_ticks redis_ticks=0
  server_ticks=$(cpu_ticks "$SERVER_PID")
  [[ -n "$REDIS_PID" ]] && redis_ticks=$(cpu_ticks "$REDIS_PID")
  python3 - "$dir/out.json" "$server_ticks" "$redis_ticks" "$(getconf CLK_TCK)" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1])); l = r["latencyMs"]
n = sum(r["statuses"].values()); tck = int(sys.argv[4])
us = lambda ticks: int(ticks) * 1e6 / tck / max(n, 1)
print(f'{r["throughputPerSecond"]:.0f}/s p50 {l["p50"]:.2f} p99 {l["p99"]:.2f} '
      f'statuses {r["statuses"]} invariantsOk {r.get("invariantsOk")} '
      f'cpu_us_per_request server {us(sys.argv[2]):.0f} redis {us(sys.argv[3]):.0f}')
EOF
  stop
}

CONFIGS=("redis queue" "redis queue-status" "redis queue --rate $RATE_REDIS"
         "redis queue-status --rate $RATE_REDIS" "inprocess queue"
         "inprocess queue --rate $RATE_INPROCESS" "inprocess queue-status --rate $RATE_INPROCESS")
# SCENARIOS="inprocess healthz;inprocess queue" runs those instead (one per ';').
if [[ -n "${SCENARIOS:-}" ]]; then IFS=';' read -r -a CONFIGS <<<"$SCENARIOS"; fi
LOG=$WORK/runs.log
for round in $(seq "$ROUNDS"); do
  for config in "${CONFIGS[@]}"; do
    for build in A B; do
      bin=$A; [[ $build == B ]] && bin=$B
      read -r -a words <<<"$config"
      line="round $round | $build | $config | load $(cut -d' ' -f1 /proc/loadavg) | $(run "$bin" "${words[@]}")"
      echo "$line" | tee -a "$LOG"
    done
  done
done

python3 - "$LOG" <<'EOF'
import collections, re, statistics, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    m = re.match(r'round \d+ \| (\w) \| (.*?) \| load ([\d.]+) \| (\d+)/s p50 ([\d.]+) p99 ([\d.]+) '
                 r'.*server (\d+) redis (\d+)', line)
    if m:
        b, config, load, rate, p50, p99, cpu_s, cpu_r = m.groups()
        rows[(config, b)].append((float(load), int(rate), float(p50), float(p99), int(cpu_s), int(cpu_r)))
print("| scenario | build | per second: median (range) | p50 ms | p99 ms: median (range) "
      "| CPU µs per request: server / Redis | load |")
print("|---|---|---|---:|---|---|---|")
for (config, b), xs in rows.items():
    rate = [x[1] for x in xs]; p99 = [x[3] for x in xs]
    print(f"| `{config}` | {b} | {statistics.median(rate):,.0f} ({min(rate):,}–{max(rate):,}) "
          f"| {statistics.median(x[2] for x in xs):.2f} "
          f"| {statistics.median(p99):.1f} ({min(p99):.1f}–{max(p99):.1f}) "
          f"| {statistics.median(x[4] for x in xs):.0f} / {statistics.median(x[5] for x in xs):.0f} "
          f"| {min(x[0] for x in xs):.1f}–{max(x[0] for x in xs):.1f} |")
EOF
