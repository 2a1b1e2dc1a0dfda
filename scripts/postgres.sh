#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for alignloop's run-store tests and print its SQLAlchemy URL.
#
#   url=$(scripts/postgres.sh | tail -n1)          # install if needed, start (or reuse), create the db
#   ALIGNLOOP_TEST_PG_URL=$url pytest tests/store   # the postgres-marked tests then run too
#   scripts/postgres.sh stop                        # stop the server (the data dir stays, for reuse)
#
# Idempotent: a second call finds the running server through its postmaster.pid and reuses it.
# Works as root on a fresh Debian/Ubuntu machine (apt-get installs `postgresql` when initdb is missing;
# initdb and the server then run as the `postgres` OS user, which refuses to run as root).
# Environment: ALIGNLOOP_PG_DIR (default /tmp/alignloop-pg), ALIGNLOOP_PG_PORT (first port to try,
# default 54329), ALIGNLOOP_PG_DB (default alignloop_test).
# Diagnostics go to stderr; stdout carries only the URL (last line).
set -euo pipefail

PGDIR=${ALIGNLOOP_PG_DIR:-/tmp/alignloop-pg}
FIRST_PORT=${ALIGNLOOP_PG_PORT:-54329}
DBNAME=${ALIGNLOOP_PG_DB:-alignloop_test}
DATA=$PGDIR/data
SOCK=$PGDIR/sock

log() { echo "postgres.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

find_bindir() {
    local d
    # Debian keeps the server binaries out of PATH, one folder per major version; take the newest
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
    if [[ -n $d && -x $d/initdb ]]; then echo "$d"; return; fi
    if command -v pg_config >/dev/null && [[ -x $(pg_config --bindir)/initdb ]]; then pg_config --bindir; return; fi
    if command -v initdb >/dev/null; then dirname "$(command -v initdb)"; return; fi
}

BIN=$(find_bindir)
if [[ -z $BIN ]]; then
    [[ $(id -u) -eq 0 ]] || die "PostgreSQL is not installed; run as root or: sudo apt-get install postgresql"
    log "installing postgresql with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >&2
    BIN=$(find_bindir)
    [[ -n $BIN ]] || die "initdb not found after installing postgresql"
fi

# the server must not run as root: use the postgres OS user then, else whoever runs the script
if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$PGDIR" --shell /bin/bash postgres
    as_pg() { runuser -u postgres -- "$@"; }
    OWNER=postgres
else
    as_pg() { "$@"; }
    OWNER=$(id -un)
fi

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
running() { [[ -f $DATA/postmaster.pid ]] && as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

if [[ ${1:-} == stop ]]; then
    if running; then as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2; else log "not running"; fi
    exit 0
fi

mkdir -p "$PGDIR" "$SOCK"
chown "$OWNER" "$PGDIR" "$SOCK"
chmod 700 "$SOCK"

if [[ ! -f $DATA/PG_VERSION ]]; then
    log "initdb $DATA"
    rm -rf "$DATA"
    # trust on 127.0.0.1 only: a throwaway test server, reachable from this machine alone
    as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$PGDIR/initdb.log" 2>&1 \
        || { cat "$PGDIR/initdb.log" >&2; die "initdb failed"; }
fi

if running; then
    PORT=$(sed -n 4p "$DATA/postmaster.pid")  # line 4 of postmaster.pid is the port
    log "reusing the server on port $PORT"
else
    PORT=$FIRST_PORT
    while port_busy "$PORT"; do PORT=$((PORT + 1)); done
    log "starting PostgreSQL ($BIN) on 127.0.0.1:$PORT, data in $DATA"
    as_pg "$BIN/pg_ctl" -D "$DATA" -l "$PGDIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$SOCK -c fsync=off" start >&2 \
        || { tail -n 20 "$PGDIR/server.log" >&2; die "the server did not start"; }
fi

PSQL=("$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA)
if [[ $("${PSQL[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$DBNAME'") != 1 ]]; then
    log "creating database $DBNAME"
    "${PSQL[@]}" -c "CREATE DATABASE \"$DBNAME\"" >&2
fi

echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/$DBNAME"
