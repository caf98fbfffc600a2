#!/usr/bin/env bash
# The whole suite: static checks, then pytest on SQLite and pytest on PostgreSQL, side by side
# (each pass lists its 15 slowest tests: the suite should stay under 15 minutes).
# In CI (CI=true) the PostgreSQL pass is mandatory; elsewhere it is skipped, with the reason,
# when no server answers.
set -euo pipefail
VENV=${VENV:-.venv}
BIN="$VENV/bin"
PG_DEFAULT="postgresql+psycopg://postgres@127.0.0.1:5432/test"

# Route sheets are checked in a real headless Chromium (Debian's package). CI installs it;
# elsewhere the browser test skips with its reason when it is missing.
if [[ "${CI:-}" =~ ^(1|true|yes)$ ]] && ! command -v chromium >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing chromium (Debian) for the route-sheet browser test"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "!! chromium could not be installed; the browser test will fail"
  fi
fi

echo "== ruff";   "$BIN/ruff" check . && "$BIN/ruff" format --check .
echo "== mypy";   "$BIN/mypy"
echo "== import-linter"; "$BIN/lint-imports"

PG_URL=${LOUISE_TEST_DATABASE_URL:-}
if [[ -z "$PG_URL" && "${CI:-}" =~ ^(1|true|yes)$ ]]; then PG_URL=$PG_DEFAULT; fi
if [[ -z "$PG_URL" ]]; then
  if "$BIN/python" -c "import psycopg; psycopg.connect('postgresql://postgres@127.0.0.1:5432/test', connect_timeout=3).close()" 2>/dev/null; then
    PG_URL=$PG_DEFAULT
  fi
fi

# The two passes share nothing (own SQLite files, own PostgreSQL schemas and databases, own
# Redis key prefixes and queues, free ports), so on a machine with two cores or more they run
# side by side: each pass's output is shown whole when it ends. LOUISE_TEST_SERIAL=1 (or one
# core) runs them one after the other, as they print.
sqlite_pass() { env -u LOUISE_TEST_DATABASE_URL "$BIN/pytest" -q --durations=15 "$@"; }
# The routing core touches no database: it runs in the SQLite pass only.
pg_pass() { LOUISE_TEST_DATABASE_URL="$PG_URL" "$BIN/pytest" -q --durations=15 --ignore=tests/routing "$@"; }
pg_title="== pytest (PostgreSQL: ${PG_URL%%\?*})"
cores=$(nproc 2>/dev/null || echo 1)

if [[ -z "$PG_URL" ]]; then
  echo "== pytest (SQLite)"
  sqlite_pass "$@"
  echo "== pytest (PostgreSQL) SKIPPED: no server at 127.0.0.1:5432 and LOUISE_TEST_DATABASE_URL unset"
  exit 0
fi

if [[ "${LOUISE_TEST_SERIAL:-}" =~ ^(1|true|yes)$ || "$cores" -lt 2 ]]; then
  echo "== pytest (SQLite)"
  sqlite_pass "$@"
  echo "$pg_title"
  pg_pass "$@"
  exit 0
fi

logs=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$logs"' EXIT
echo "== pytest (SQLite) and pytest (PostgreSQL) side by side on $cores cores ($(date -u +%H:%M:%S) UTC)"
sqlite_pass "$@" >"$logs/sqlite.log" 2>&1 &
sqlite_pid=$!
pg_pass "$@" >"$logs/pg.log" 2>&1 &
pg_pid=$!
sqlite_rc=0; pg_rc=0
wait "$sqlite_pid" || sqlite_rc=$?
echo "== pytest (SQLite): exit $sqlite_rc ($(date -u +%H:%M:%S) UTC)"
cat "$logs/sqlite.log"
wait "$pg_pid" || pg_rc=$?
echo "$pg_title: exit $pg_rc ($(date -u +%H:%M:%S) UTC)"
cat "$logs/pg.log"
if [[ $sqlite_rc -ne 0 || $pg_rc -ne 0 ]]; then
  echo "!! the suite failed: SQLite pass exit $sqlite_rc, PostgreSQL pass exit $pg_rc"
  exit 1
fi
