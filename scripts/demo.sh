#!/usr/bin/env bash
# `make demo`: a fresh SQLite database with the Bottrop demo for the next service day, planned
# and published, then the API on http://127.0.0.1:${PORT:-5000} (gunicorn, 2 workers) and a
# sender that delivers the outbox into demo-out/mail (and SMS, as text, into demo-out/sms) every
# ${MAIL_EVERY:-5} s while the demo runs. Ctrl-C (or SIGTERM) stops both. The walk through it: docs/demo.md.
#
#   DEMO_DATE=2026-12-01   book, staff and plan that day (default: the next service day)
#   LOUISE_CLOCK=2026-11-30T10:00:00+01:00   fix the clock (docs/configuration.md)
#   MAIL_EVERY=5           seconds between two runs of the sender
#   DEMO_HISTORY_DAYS=28   calendar days of completed history before today (0: none)
#
# The demo's settings go to demo-out/demo.env: in a second shell, from this folder,
# `source demo-out/demo.env && .venv/bin/flask send-notifications` (or any flask command).
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

# write_env FILE: the demo's settings as `export` lines, for a second shell.
write_env() {
  local name
  (
    umask 077 # the secret key signs the demo's logins
    {
      echo "# The settings of the running demo (scripts/demo.sh). In a second shell:"
      echo "#   source $1 && $BIN/flask send-notifications"
      printf 'export FLASK_APP=%q\n' "$PWD/wsgi.py"
      for name in LOUISE_ENV LOUISE_DATABASE_URL LOUISE_MAIL_DIR LOUISE_SMS_DIR LOUISE_SECRET_KEY LOUISE_CLOCK; do
        if [[ -n "${!name:-}" ]]; then printf 'export %s=%q\n' "$name" "${!name}"; fi
      done
    } >"$1"
  )
}

# The background processes of the demo (sender, gunicorn): stopped when the demo stops.
DEMO_PIDS=()
stop_demo() {
  trap - EXIT INT TERM
  if ((${#DEMO_PIDS[@]})); then
    kill -TERM "${DEMO_PIDS[@]}" 2>/dev/null || true
    wait "${DEMO_PIDS[@]}" 2>/dev/null || true
  fi
}

main() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  VENV=${VENV:-.venv}
  BIN="$VENV/bin"
  PORT=${PORT:-5000}
  MAIL_EVERY=${MAIL_EVERY:-5}
  OUT="$PWD/demo-out"

  export LOUISE_ENV=demo
  export LOUISE_DATABASE_URL="sqlite:///$PWD/instance/demo.sqlite3"
  export LOUISE_MAIL_DIR="$OUT/mail"
  # no SMS gateway: the hotline's SMS (tracking links) are written as text files
  export LOUISE_SMS_DIR="$OUT/sms"
  # Random per demo run; exported so that every gunicorn worker signs and checks the same tokens.
  LOUISE_SECRET_KEY=$("$BIN/python" -c "import secrets; print(secrets.token_urlsafe(48))")
  export LOUISE_SECRET_KEY

  flask() { "$BIN/flask" --app wsgi:app "$@"; }

  mkdir -p instance "$OUT"
  rm -f instance/demo.sqlite3 instance/demo.sqlite3-wal instance/demo.sqlite3-shm
  rm -rf "$LOUISE_MAIL_DIR" "$LOUISE_SMS_DIR" "$OUT/demo-day" "$OUT/demo-month" "$OUT"/impact-*.pdf
  mkdir -p "$LOUISE_MAIL_DIR" "$LOUISE_SMS_DIR"
  write_env "$OUT/demo.env"

  echo "== database: $LOUISE_DATABASE_URL"
  flask migrate
  echo "== demo data"
  # the seed picks the day (or takes DEMO_DATE) and writes it down: plan-day plans that day
  # and four weeks of completed history before today: booked, planned, worked, in the ledger
  flask seed ${DEMO_DATE:+--date "$DEMO_DATE"} --day-file "$OUT/demo-day" \
    --history-days "${DEMO_HISTORY_DAYS:-28}" --month-file "$OUT/demo-month"
  DEMO_DAY=$(<"$OUT/demo-day")
  echo "== notifications"
  flask send-notifications

  echo "== plan $DEMO_DAY, publish it, write the route sheets"
  SHEETS_DIR="$OUT/sheets"
  rm -rf "$SHEETS_DIR"
  flask plan-day --date "$DEMO_DAY" --publish --as dispatch@louise.test --sheets "$SHEETS_DIR"
  # the published plan told residents their delivery window: deliver those messages too
  flask send-notifications

  # the month's impact report next to the route sheets (docs/impact.md)
  REPORT=""
  if [[ -s "$OUT/demo-month" ]]; then
    DEMO_MONTH=$(<"$OUT/demo-month")
    if flask impact-report --help >/dev/null 2>&1; then
      echo "== the impact report of $DEMO_MONTH"
      REPORT="$OUT/impact-report-$DEMO_MONTH.pdf"
      flask impact-report --month "$DEMO_MONTH" --out "$REPORT"
    else
      echo "== no impact report yet: \`flask impact-report\` is not in this version"
    fi
  fi

  echo
  echo "Mail folder (one .eml file per message): $LOUISE_MAIL_DIR"
  echo "  $(find "$LOUISE_MAIL_DIR" -name '*.eml' | wc -l | tr -d ' ') messages so far, e.g.:"
  list_files "$LOUISE_MAIL_DIR" 3 -name '*.eml'
  echo "  New messages arrive every ${MAIL_EVERY} s while the demo runs (log: $OUT/sender.log)."
  echo "SMS folder (tracking links the hotline sends; one .sms.txt file each): $LOUISE_SMS_DIR"
  echo
  echo "Route sheets (HTML and PDF, one pair per route): $SHEETS_DIR"
  list_files "$SHEETS_DIR" 4
  if [[ -n "$REPORT" ]]; then
    echo "Impact report of $DEMO_MONTH (PDF): $REPORT"
  fi
  echo
  echo "Web app:  http://127.0.0.1:$PORT/   (German; English from the link at the top right)"
  echo "  resident: anna.becker@louise.test   shop: cobbler@louise.test   password: louise-demo"
  echo "  dispatcher: dispatch@louise.test   courier: jonas.nowak@louise.test   city: stadt@louise.test"
  echo "  (more logins: docs/demo.md; pages: docs/web.md)"
  echo
  echo "Demo day: $DEMO_DAY (couriers: GET /api/v1/courier/routes?date=$DEMO_DAY)"
  echo "Settings for a second shell: source $OUT/demo.env"
  echo "API:      http://127.0.0.1:$PORT/api/v1   (try /api/v1/merchants, /api/v1/offers)"
  echo "API docs: http://127.0.0.1:$PORT/api/docs   The walk: docs/demo.md"
  echo "Log in:   POST /api/v1/auth/login {\"email\": \"dispatch@louise.test\", \"password\": \"louise-demo\"}"
  echo "Stop with Ctrl-C."
  echo

  trap stop_demo EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  "$BIN/flask" --app wsgi:app send-notifications --every "$MAIL_EVERY" >"$OUT/sender.log" 2>&1 &
  DEMO_PIDS+=($!)
  # no control socket: gunicorn's default one ($HOME/.gunicorn/gunicorn.ctl) is shared by every
  # instance of the user, so two demos on two ports would take it from each other
  # no --access-logfile: louise writes one access line per request itself, with its request id
  "$BIN/gunicorn" -w 2 -b "127.0.0.1:$PORT" --no-control-socket wsgi:app &
  DEMO_PIDS+=($!)
  wait "${DEMO_PIDS[1]}"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
