# Sourced by .ci/run (and usable by hand): start a throwaway PostgreSQL cluster for the test suite.
# `pg_test_start` runs initdb in a fresh temporary directory (as the unprivileged `postgres` user when we are
# root: initdb refuses root), listens on 127.0.0.1 only, on a free port, with fsync off (the data is thrown
# away; PG_TEST_FSYNC=on for benchmarks) and extra server options from PG_TEST_OPTS, creates the `vector`
# extension in template1 and exports OPENPAPERS_TEST_PG_URL. `pg_test_stop` stops the server and removes the
# directory; .ci/run calls it from an EXIT trap.
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

_pg_as() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_test_start() {
  PG_TEST_DIR=$(mktemp -d /tmp/openpapers-pg.XXXXXX)
  [ "$(id -u)" = 0 ] && chown postgres: "$PG_TEST_DIR"
  PG_TEST_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  _pg_as "$PGBIN/initdb" -D "$PG_TEST_DIR/data" -U openpapers --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  _pg_as "$PGBIN/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/log" -w \
    -o "-h 127.0.0.1 -p $PG_TEST_PORT -k $PG_TEST_DIR -c fsync=${PG_TEST_FSYNC:-off} -c full_page_writes=${PG_TEST_FSYNC:-off} -c synchronous_commit=off -c max_connections=200 ${PG_TEST_OPTS:-}" start >/dev/null
  "$PGBIN/psql" -h 127.0.0.1 -p "$PG_TEST_PORT" -U openpapers -d template1 -qAt -c "CREATE EXTENSION IF NOT EXISTS vector" >/dev/null
  export OPENPAPERS_TEST_PG_URL="postgresql://openpapers@127.0.0.1:$PG_TEST_PORT/postgres"
  export PG_TEST_DIR PG_TEST_PORT
}

pg_test_stop() {
  if [ -n "${PG_TEST_DIR:-}" ] && [ -d "$PG_TEST_DIR/data" ]; then
    _pg_as "$PGBIN/pg_ctl" -D "$PG_TEST_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_TEST_DIR"
  fi
}
