#!/usr/bin/env bash
# `make demo`: a fresh SQLite database with the Bottrop demo, the outbox delivered into a
# folder, then the API on http://127.0.0.1:${PORT:-5000} (gunicorn, 2 workers).
#
# Sourced (`source scripts/demo.sh`), it only defines its functions; the tests use them.
set -euo pipefail

# list_files DIR N [find tests…]: the first N files under DIR in version order, indented.
# sed reads its whole input: `head` would exit after N lines, and `sort`, still writing, would
# die of SIGPIPE — under pipefail the demo then stopped with "Error 141".
list_files() {
  local dir=$1 n=$2
  shift 2
  find "$dir" -type f "$@" | sort -V | sed -n "1,${n}s/^/    /p"
}

main() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  VENV=${VENV:-.venv}
  BIN="$VENV/bin"
  PORT=${PORT:-5000}

  export LOUISE_ENV=demo
  export LOUISE_DATABASE_URL="sqlite:///$PWD/instance/demo.sqlite3"
  export LOUISE_MAIL_DIR="$PWD/demo-out/mail"
  # Random per demo run; exported so that every gunicorn worker signs and checks the same tokens.
  LOUISE_SECRET_KEY=$("$BIN/python" -c "import secrets; print(secrets.token_urlsafe(48))")
  export LOUISE_SECRET_KEY

  flask() { "$BIN/flask" --app wsgi:app "$@"; }

  mkdir -p instance
  rm -f instance/demo.sqlite3 instance/demo.sqlite3-wal instance/demo.sqlite3-shm
  rm -rf "$LOUISE_MAIL_DIR"
  mkdir -p "$LOUISE_MAIL_DIR"

  echo "== database: $LOUISE_DATABASE_URL"
  flask migrate
  echo "== demo data"
  flask seed
  echo "== notifications"
  flask send-notifications

  echo "== plan the demo day, publish it, write the route sheets"
  SHEETS_DIR="$PWD/demo-out/sheets"
  rm -rf "$SHEETS_DIR"
  # the seed books for the next service day after now: plan that day
  DEMO_DAY=$("$BIN/python" -c '
from louise.bookings.runtime import policy_from_config
from louise.clock import now
from louise.config import load_config
policy = policy_from_config(load_config("instance"))
print(policy.next_service_day(policy.local(now()).date(), include=False).isoformat())')
  flask plan-day --date "$DEMO_DAY" --publish --as dispatch@louise.test --sheets "$SHEETS_DIR"
  # the published plan told residents their delivery window: deliver those messages too
  flask send-notifications

  echo
  echo "Mail folder (one .eml file per message): $LOUISE_MAIL_DIR"
  echo "  $(find "$LOUISE_MAIL_DIR" -name '*.eml' | wc -l | tr -d ' ') messages, e.g.:"
  list_files "$LOUISE_MAIL_DIR" 3 -name '*.eml'
  echo
  echo "Route sheets (HTML and PDF, one pair per route): $SHEETS_DIR"
  list_files "$SHEETS_DIR" 4
  echo
  echo "API:      http://127.0.0.1:$PORT/api/v1   (try /api/v1/merchants, /api/v1/offers)"
  echo "API docs: http://127.0.0.1:$PORT/api/docs"
  echo "Log in:   POST /api/v1/auth/login {\"email\": \"dispatch@louise.test\", \"password\": \"louise-demo\"}"
  echo "Stop with Ctrl-C."
  echo
  exec "$BIN/gunicorn" -w 2 -b "127.0.0.1:$PORT" --access-logfile - wsgi:app
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
