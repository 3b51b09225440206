#!/usr/bin/env bash
# Holds on the PostgreSQL store, on a throwaway PostgreSQL 15 (Debian's binaries, fsync and
# synchronous_commit on, loopback, temporary directory). Two parts:
#  store  bench_store on that database: the use cases through the Store port, no HTTP, with the
#         writer lanes running a batch's jobs side by side and, beside it, one after the other;
#  http   `boxoffice serve --store postgres://…` driven by bench/endpoints.sh:
#           flash-sale  single-seat holds spread over the 100,000 seats of one schedule
#           ga-sale     single-unit holds of one hot ticket type (every hold updates one row)
#         beside /healthz, in interleaved rounds.
# Server, database and driver share the machine.
#
#   bench/postgres.sh [BOXOFFICE_BINARY]     (default: build-bench/boxoffice; bench_store is
#                                             taken from the same directory's bench/)
#
# Environment: PARTS ("store http"), ROUNDS (3), DURATION (10), CONNECTIONS (64), SCENARIOS
# ("healthz flash-sale ga-sale"), ARGS_flash_sale ("--seats 100000 --seats-per-hold-max 1":
# each hold picks a seat at random, so later holds find more seats taken; 409s count as
# answered), ARGS_ga_sale ("--capacity 1000000 --quantity-max 1"),
# STORE_FILTER (bench_store's --benchmark_filter, default: the holds), PG_BIN
# (/usr/lib/postgresql/15/bin), SERVE_EXTRA (more `boxoffice serve` options, e.g.
# "--db-writer-lanes 4").
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(realpath "${1:-$ROOT/build-bench/boxoffice}")
# shellcheck source=bench/lib/postgres.sh
source "$ROOT/bench/lib/postgres.sh"
trap pg_stop EXIT
pg_start
URL=$PG_URL
echo "postgres: $("$PG_BIN/postgres" --version), fsync=on, synchronous_commit=on, $URL"

PARTS=${PARTS:-store http}
if [[ " $PARTS " == *" store "* ]]; then
  echo "== store (bench_store, no HTTP)"
  BOXOFFICE_BENCH_POSTGRES=$URL "$(dirname "$BIN")/bench/bench_store" \
    --benchmark_filter="${STORE_FILTER:-BM_Hold(Seat|Ga)/}" --benchmark_repetitions="${ROUNDS:-3}" \
    --benchmark_report_aggregates_only=true
  "$BIN" audit --store "$URL"
fi
[[ " $PARTS " == *" http "* ]] || exit 0
echo "== http (bench/endpoints.sh)"
SERVE_ARGS="--store $URL ${SERVE_EXTRA:-}" AUDIT_ARGS="--store $URL" \
  SCENARIOS="${SCENARIOS:-healthz flash-sale ga-sale}" \
  ARGS_flash_sale="${ARGS_flash_sale:---seats 100000 --seats-per-hold-max 1}" \
  ARGS_ga_sale="${ARGS_ga_sale:---capacity 1000000 --quantity-max 1}" \
  "$ROOT/bench/endpoints.sh" "$BIN"
