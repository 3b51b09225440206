# A throwaway PostgreSQL 15 for the benchmarks (sourced, not run): Debian's binaries, a
# temporary directory of its own, a free loopback port, fsync and synchronous_commit on.
#
#   pg_start [SETTING=VALUE ...]   initdb, start `postgres` (more -c settings from the
#                                  arguments, e.g. wal_level=logical), create the database
#                                  boxoffice; sets PG_URL, PG_PID and PG_DIR. Exits on failure.
#   pg_stop                        fast shutdown and removal of the directory; safe to call
#                                  again and when nothing runs.
#
# Environment: PG_BIN (/usr/lib/postgresql/15/bin). As root, initdb and postgres run as the
# `postgres` user (initdb refuses root).

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_URL= PG_PID= PG_DIR=

pg_start() {
  local port setting settings=() as_owner=()
  [[ -x "$PG_BIN/postgres" ]] || {
    echo "no $PG_BIN/postgres (apt-get install postgresql-15)" >&2
    exit 2
  }
  for setting in "$@"; do settings+=(-c "$setting"); done
  PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/bench-pg.XXXXXX")
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres "$PG_DIR"
    as_owner=(runuser -u postgres --)
  fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "${as_owner[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust --no-sync \
    --no-instructions >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; exit 1; }
  "${as_owner[@]}" "$PG_BIN/postgres" -D "$PG_DIR/data" -c port="$port" \
    -c listen_addresses=127.0.0.1 -c unix_socket_directories="$PG_DIR" -c fsync=on \
    -c synchronous_commit=on -c shared_buffers=256MB -c max_connections=200 "${settings[@]}" \
    >"$PG_DIR/postgres.log" 2>&1 &
  PG_PID=$!
  for _ in $(seq 100); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    sleep 0.1
  done
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres boxoffice || {
    tail -20 "$PG_DIR/postgres.log" >&2
    exit 1
  }
  PG_URL=postgres://postgres@127.0.0.1:$port/boxoffice
}

pg_stop() {
  # SIGINT (fast shutdown) to the postmaster itself: runuser does not pass it on.
  if [[ -n "$PG_PID" ]]; then
    kill -INT "$(head -1 "$PG_DIR/data/postmaster.pid" 2>/dev/null)" 2>/dev/null ||
      kill -INT "$PG_PID" 2>/dev/null || true
    wait "$PG_PID" || true
  fi
  [[ -z "$PG_DIR" ]] || rm -rf "$PG_DIR"
  PG_URL= PG_PID= PG_DIR=
}
