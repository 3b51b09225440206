#!/usr/bin/env bash
# Seat holds over HTTP against a real `boxoffice serve` on loopback, measured with wrk.
#
#   bench/http_holds.sh [BOXOFFICE_BINARY]     (default: build-bench/boxoffice)
#
# For each server thread count in THREADS_LIST it starts the server (fresh process, same data
# dir) and runs, each for DURATION with one wrk thread:
#   healthz   GET /healthz, CONNECTIONS connections          (the server's ceiling)
#   holds     POST /v1/reservations, CONNECTIONS connections  (peak holds/s)
#   half      the same, each connection pausing between requests (wrk delay()) so that about
#             half the peak is offered (this wrk has no fixed-rate -R option)
#   holds-cN  the same at full speed with N connections, for each N in LOW_CONNECTIONS
# Every hold is of one seat that no request used before, by one of NTOKENS users in turn. The
# catalog is one concert with schedules of 100,000 seats (sections A..J x 100 rows x 100),
# created through the admin API as runs need them. With two or more cores the server is pinned
# to SERVER_CPUS and wrk to WRK_CPUS. Afterwards the server is stopped and `boxoffice audit`
# checks every invariant of the data.
#
# Environment: THREADS_LIST ("1 2"), CONNECTIONS (64), DURATION (10s), PROBE_DURATION (3s),
# LOW_CONNECTIONS ("8 1"), NTOKENS (64), SERVER_CPUS (1), WRK_CPUS (0), PORT (a free one),
# KEEP=1 keeps the work dir.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(realpath "${1:-$ROOT/build-bench/boxoffice}")
THREADS_LIST=${THREADS_LIST:-"1 2"}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10s}
PROBE_DURATION=${PROBE_DURATION:-3s}
LOW_CONNECTIONS=${LOW_CONNECTIONS:-"8 1"}
NTOKENS=${NTOKENS:-64}
SECRET=bench-http-holds-secret

for tool in wrk curl jq python3; do
  command -v "$tool" >/dev/null || { echo "http_holds: $tool is required" >&2; exit 2; }
done
[[ -x "$BIN" ]] || { echo "http_holds: no executable $BIN (ninja -C build-bench boxoffice)" >&2; exit 2; }

PIN_SERVER=() PIN_WRK=()
if [[ $(nproc) -ge 2 ]] && command -v taskset >/dev/null; then
  PIN_SERVER=(taskset -c "${SERVER_CPUS:-1}")
  PIN_WRK=(taskset -c "${WRK_CPUS:-0}")
fi

PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
URL=http://127.0.0.1:$PORT
WORK=$(mktemp -d "${TMPDIR:-/tmp}/http_holds.XXXXXX")
DATA=$WORK/data
SEATS=$WORK/seats.txt
TOKENS=$WORK/tokens.txt
RESULTS=$WORK/results.tsv
: >"$SEATS"
SERVER_PID=

cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ "${KEEP:-0}" == 1 ]]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

start_server() {  # threads
  "${PIN_SERVER[@]}" "$BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$DATA" \
    --jwt-secret "$SECRET" --access-log false --threads "$1" --hold-seconds 3600 \
    >"$WORK/server-$1.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 300); do
    curl -fsS "$URL/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "http_holds: the server did not come up:" >&2
  cat "$WORK/server-$1.log" >&2
  exit 1
}

stop_server() {
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || true
  SERVER_PID=
}

ADMIN=$("$BIN" token --admin --jwt-secret "$SECRET" --ttl-seconds 86400)
for i in $(seq "$NTOKENS"); do
  "$BIN" token --user "usr_bench_$i" --jwt-secret "$SECRET" --ttl-seconds 86400
done >"$TOKENS"

CONCERT=
add_schedule() {
  if [[ -z "$CONCERT" ]]; then
    CONCERT=$(curl -fsS -X POST "$URL/v1/admin/concerts" -H "Authorization: Bearer $ADMIN" \
      -H 'Content-Type: application/json' \
      -d '{"name":"Holds benchmark","artist":"wrk","venue":"Loopback Arena"}' | jq -r .id)
  fi
  local schedule
  schedule=$(curl -fsS -X POST "$URL/v1/admin/concerts/$CONCERT/schedules" \
    -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d '{"startsAt":"2027-01-01T19:00:00Z","seatRows":{"sections":["A","B","C","D","E","F","G","H","I","J"],"rows":100,"perRow":100,"grade":"R","price":1000}}' |
    jq -r .id)
  curl -fsS "$URL/v1/schedules/$schedule/seats" |
    jq -r --arg s "$schedule" '.items[] | select(.status == "AVAILABLE") | "\($s) \(.id)"' >>"$SEATS"
}

OFFSET=0
# Makes sure at least $1 unused seats are listed.
ensure_seats() {
  while (($(wc -l <"$SEATS") - OFFSET < $1)); do add_schedule; done
}

server_ticks() {  # CPU time of the server so far, in clock ticks
  awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"
}

busy_ticks() {  # CPU time of the whole machine so far (all cores), in clock ticks
  awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat
}

metric() {  # the value of one sample of /metrics
  curl -fsS "$URL/metrics" | awk -v m="$1" '$1 == m {printf "%d\n", $2}'
}

TIME_WRK=()
[[ -x /usr/bin/time ]] && TIME_WRK=(/usr/bin/time -f 'WRK_CPU %P')

result() {  # key, RESULT line
  sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"
}

printf 'server_threads\trun\tconnections\tdelay_ms\trequests\tnon_2xx\tsocket_errors\treq_per_s\tok_per_s\tp50_ms\tp90_ms\tp99_ms\tmax_ms\tserver_cpu_%%\twrk_cpu_%%\tother_cpu_%%\tjobs_per_commit\n' >"$RESULTS"

run_wrk() {  # threads, label, connections, mode, [delay_ms, [duration]]; probe* runs go unlisted
  local threads=$1 label=$2 conns=$3 mode=$4 delay=${5:-0} duration=${6:-$DURATION} out line
  local args=(healthz)
  if [[ "$mode" == holds ]]; then
    ensure_seats 400000
    args=(holds "$SEATS" "$TOKENS" "$OFFSET" 1 "$delay")
  fi
  local ticks0 jobs0 commits0 busy0 ticks1 jobs1 commits1 busy1 started
  started=$(date +%T)
  ticks0=$(server_ticks) jobs0=$(metric boxoffice_store_write_jobs) busy0=$(busy_ticks)
  commits0=$(metric boxoffice_store_transactions_committed)
  out=$("${TIME_WRK[@]}" "${PIN_WRK[@]}" wrk -t1 -c"$conns" -d"$duration" --latency \
    -s "$ROOT/bench/wrk_hold.lua" "$URL" -- "${args[@]}" 2>&1)
  ticks1=$(server_ticks) jobs1=$(metric boxoffice_store_write_jobs) busy1=$(busy_ticks)
  commits1=$(metric boxoffice_store_transactions_committed)
  echo "--- $started server --threads $threads, $label: wrk -t1 -c$conns -d$duration (delay ${delay} ms)"
  echo "$out"
  line=$(grep '^RESULT ' <<<"$out")
  if [[ "$mode" == holds ]]; then
    # Requests still in flight when wrk stopped may have held their seats too.
    OFFSET=$((OFFSET + $(result requests "$line") + conns))
  fi
  LAST=$line
  [[ "$label" == probe* ]] && return 0
  local server_cpu wrk_cpu other_cpu jobs_per_commit=-
  server_cpu=$(python3 -c "print(round(100 * ($ticks1 - $ticks0) / $(getconf CLK_TCK) / $(result duration_s "$line")))")
  wrk_cpu=$(sed -n 's/^WRK_CPU \([0-9]*\)%/\1/p' <<<"$out")
  # What the rest of the machine used meanwhile (other processes; this script's own tools,
  # when wrk's share is unknown): on a shared machine, a run with much of it is disturbed.
  other_cpu=$(python3 -c "print(max(0, round(100 * ($busy1 - $busy0 - ($ticks1 - $ticks0)) / $(getconf CLK_TCK) / $(result duration_s "$line")) - ${wrk_cpu:-0}))")
  if ((commits1 > commits0)); then
    jobs_per_commit=$(python3 -c "print(f'{($jobs1 - $jobs0) / ($commits1 - $commits0):.1f}')")
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$threads" "$label" "$conns" \
    "$delay" "$(result requests "$line")" "$(result status_errors "$line")" \
    "$(result socket_errors "$line")" "$(result rps "$line")" "$(result ok_rps "$line")" \
    "$(result p50_ms "$line")" "$(result p90_ms "$line")" "$(result p99_ms "$line")" \
    "$(result max_ms "$line")" "$server_cpu" "${wrk_cpu:--}" "$other_cpu" \
    "$jobs_per_commit" >>"$RESULTS"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "server: $BIN (pinned: ${PIN_SERVER[*]:-no}), wrk: $(wrk -v 2>&1 | head -1) (pinned: ${PIN_WRK[*]:-no})"
for threads in $THREADS_LIST; do
  start_server "$threads"
  ensure_seats 400000
  run_wrk "$threads" healthz "$CONNECTIONS" healthz
  health_rps=$(result rps "$LAST")
  run_wrk "$threads" holds "$CONNECTIONS" holds
  peak=$(result ok_rps "$LAST")
  echo "=== server --threads $threads: holds/s $peak vs /healthz req/s $health_rps:" \
    "ratio $(python3 -c "print(f'{$peak / $health_rps:.2f}')")"
  # Each connection pauses so that it offers half its share of the peak: a cycle of
  # 2 * connections / peak seconds, of which the response time is part. Two short probes
  # estimate the response time at that load; the measured run uses the corrected pause.
  delay=$(python3 -c "print(max(1, round(2 * $CONNECTIONS * 1000 / $peak)))")
  for probe in 1 2; do
    run_wrk "$threads" "probe$probe" "$CONNECTIONS" holds "$delay" "$PROBE_DURATION"
    delay=$(python3 -c "
rate = $(result ok_rps "$LAST"); latency_ms = $CONNECTIONS * 1000 / rate - $delay
print(max(1, round(2 * $CONNECTIONS * 1000 / $peak - latency_ms)))")
  done
  run_wrk "$threads" half "$CONNECTIONS" holds "$delay"
  for c in $LOW_CONNECTIONS; do run_wrk "$threads" "holds-c$c" "$c" holds; done
  stop_server
done

echo "--- boxoffice audit --data-dir $DATA"
audit_rc=0
"$BIN" audit --data-dir "$DATA" || audit_rc=$?
echo "audit exit code: $audit_rc"
echo "--- results"
column -t -s $'\t' "$RESULTS"
exit "$audit_rc"
