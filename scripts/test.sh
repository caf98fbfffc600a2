#!/usr/bin/env bash
# The whole suite: static checks, then pytest on SQLite, then pytest on PostgreSQL (each pass
# lists its 15 slowest tests: the suite should stay under 15 minutes).
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

echo "== pytest (SQLite)"
env -u LOUISE_TEST_DATABASE_URL "$BIN/pytest" -q --durations=15 "$@"

PG_URL=${LOUISE_TEST_DATABASE_URL:-}
if [[ -z "$PG_URL" && "${CI:-}" =~ ^(1|true|yes)$ ]]; then PG_URL=$PG_DEFAULT; fi
if [[ -z "$PG_URL" ]]; then
  if "$BIN/python" -c "import psycopg; psycopg.connect('postgresql://postgres@127.0.0.1:5432/test', connect_timeout=3).close()" 2>/dev/null; then
    PG_URL=$PG_DEFAULT
  else
    echo "== pytest (PostgreSQL) SKIPPED: no server at 127.0.0.1:5432 and LOUISE_TEST_DATABASE_URL unset"
    exit 0
  fi
fi
echo "== pytest (PostgreSQL: ${PG_URL%%\?*})"
# The routing core touches no database: it ran in the SQLite pass already.
LOUISE_TEST_DATABASE_URL="$PG_URL" "$BIN/pytest" -q --durations=15 --ignore=tests/routing "$@"
