#!/usr/bin/env bash
# Every endpoint scenario of `boxoffice bench` against one `boxoffice serve`, side by side with
# the server's own /healthz, so that each figure can be read as a ratio measured in the same run.
#
#   bench/endpoints.sh [BOXOFFICE_BINARY]     (default: build-bench/boxoffice)
#
# One server (embedded SQLite store, fresh data dir) runs for the whole script. The scenarios
# run ROUNDS times, interleaved (round 1: every scenario, then round 2, ...), each for DURATION
# seconds with CONNECTIONS kept-alive connections, so a disturbance of the machine touches all
# of them alike rather than one scenario. The server, the driver and the store share the
# machine's cores; nothing is pinned. Afterwards the server is stopped and `boxoffice audit`
# checks every invariant of the data the runs left.
#
# Output: each run's report, then a table with, per scenario, the median throughput, the
# median of its per-round ratio to /healthz, and the median p50/p99 latencies.
#
# Environment: SCENARIOS ("healthz browse flash-sale ga-sale pay"), ROUNDS (3), DURATION (10),
# CONNECTIONS (64), SERVER_THREADS (server's default), SERVE_ARGS (more `boxoffice serve`
# options, e.g. "--redis redis://127.0.0.1:6380"), AUDIT_ARGS (where `boxoffice audit` looks:
# the server's data dir unless given, e.g. "--store postgres://…"), PORT (a free one), KEEP=1
# keeps the work dir, DRIVER (the `boxoffice` binary whose `bench` drives the load; default:
# the server's, e.g. a newer load generator against an older server). Extra `boxoffice bench`
# options per scenario: ARGS_<scenario with _ for ->, e.g.
# ARGS_flash_sale="--seats 100000".
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(realpath "${1:-$ROOT/build-bench/boxoffice}")
DRIVER=$(realpath "${DRIVER:-$BIN}")
SCENARIOS=${SCENARIOS:-"healthz browse flash-sale ga-sale pay"}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
SECRET=bench-endpoints-secret
: "${ARGS_flash_sale:=--seats 100000}"
: "${ARGS_ga_sale:=--capacity 1000000}"

for tool in curl python3; do
  command -v "$tool" >/dev/null || { echo "endpoints: $tool is required" >&2; exit 2; }
done
[[ -x "$BIN" ]] || { echo "endpoints: no executable $BIN (ninja -C build-bench boxoffice)" >&2; exit 2; }

PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
URL=http://127.0.0.1:$PORT
WORK=$(mktemp -d "${TMPDIR:-/tmp}/endpoints.XXXXXX")
DATA=$WORK/data
SERVER_PID=

cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ "${KEEP:-0}" == 1 ]]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

serve_args=()
[[ -n "${SERVER_THREADS:-}" ]] && serve_args=(--threads "$SERVER_THREADS")
read -r -a more_args <<<"${SERVE_ARGS:-}"
serve_args+=("${more_args[@]}")
"$BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$DATA" --jwt-secret "$SECRET" \
  --access-log false --hold-seconds 3600 "${serve_args[@]}" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 300); do
  curl -fsS "$URL/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.1
done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "server: $BIN ${serve_args[*]}, $CONNECTIONS connections, ${DURATION} s per run, $ROUNDS rounds"
for round in $(seq "$ROUNDS"); do
  for scenario in $SCENARIOS; do
    extra_var="ARGS_${scenario//-/_}"
    read -r -a extra <<<"${!extra_var:-}"
    echo "--- round $round: $scenario ${extra[*]}"
    out=$WORK/$round-$scenario.json
    "$DRIVER" bench "$scenario" --target "$URL" --jwt-secret "$SECRET" --json \
      --duration "$DURATION" --connections "$CONNECTIONS" "${extra[@]}" >"$out" 2>/dev/null ||
      { echo "endpoints: $scenario failed (exit $?):" >&2; cat "$out" >&2; exit 1; }
    python3 - "$out" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
l = r["latencyMs"]
print(f'{r["throughputPerSecond"]:.0f}/s  p50 {l["p50"]:.2f} ms  p99 {l["p99"]:.2f} ms  '
      f'statuses {r["statuses"]}  errors {r["errors"]}  invariantsOk {r.get("invariantsOk", "-")}')
EOF
  done
done

echo "--- summary (medians over $ROUNDS rounds; ratio = throughput / /healthz throughput of the same round)"
python3 - "$WORK" "$ROUNDS" $SCENARIOS <<'EOF'
import json, statistics, sys
work, rounds, scenarios = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
runs = {(r, s): json.load(open(f"{work}/{r}-{s}.json")) for r in range(1, rounds + 1) for s in scenarios}
print(f'{"scenario":<12} {"per second":>11} {"range":>17} {"ratio":>6} {"p50 ms":>7} {"p99 ms":>7}  invariants')
for s in scenarios:
    rs = [runs[(r, s)] for r in range(1, rounds + 1)]
    rates = [x["throughputPerSecond"] for x in rs]
    ratio = "-"
    if "healthz" in scenarios:
        ratio = f'{statistics.median(x["throughputPerSecond"] / runs[(r, "healthz")]["throughputPerSecond"] for r, x in enumerate(rs, 1)):.3f}'
    inv = [x.get("invariantsOk") for x in rs]
    inv = "-" if inv[0] is None else ("all ok" if all(inv) else "FAILED")
    print(f'{s:<12} {statistics.median(rates):>11.0f} {min(rates):>8.0f}-{max(rates):<8.0f} {ratio:>6} '
          f'{statistics.median(x["latencyMs"]["p50"] for x in rs):>7.2f} '
          f'{statistics.median(x["latencyMs"]["p99"] for x in rs):>7.2f}  {inv}')
EOF

kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true
SERVER_PID=
read -r -a audit_args <<<"${AUDIT_ARGS:---data-dir $DATA}"
echo "--- boxoffice audit ${audit_args[*]}"
"$BIN" audit "${audit_args[@]}"
