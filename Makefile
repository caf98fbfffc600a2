# The README's two commands: `make demo` and `make test`. Both set everything up themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000
DEMO_DB := instance/demo.sqlite3

.PHONY: install demo test lint translations screenshots migration bench-install bench-routing-quick bench-routing bench-dispatch bench-api bench-fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

test: install
	VENV=$(VENV) bash scripts/test.sh

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy && $(BIN)/lint-imports

demo: install
	VENV=$(VENV) PORT=$(PORT) bash scripts/demo.sh

# Regenerate the single initial migration from the models (allowed until the first release).
migration: install
	rm -f migrations/versions/0001_initial.py /tmp/louise-migration.sqlite3
	$(BIN)/alembic -x url=sqlite:////tmp/louise-migration.sqlite3 revision --autogenerate \
		--rev-id 0001 -m initial
	$(BIN)/ruff format migrations/versions >/dev/null
	rm -f /tmp/louise-migration.sqlite3

bench-install: install
	$(BIN)/pip install -q -e '.[dev,bench]'

# Planner benchmarks (read ../shared; they say so when it is missing). They write docs/benchmarks.md.
# Every comparison runs louise, VROOM and PyVRP on the same JSON, 10 s each, one core each.
bench-routing-quick: bench-install
	$(BIN)/python -m benchmarks.routing.lilim --set all --time-limit 10 --instances \
		lr102 lrc103 lc105 lr205 lrc206 lc207 lr1_2_3 lrc2_2_4
	$(BIN)/python -m benchmarks.routing.evenings --sizes 60 90 300 --time-limit 10

# The full three-way run on an idle 2-core machine, about 45 minutes: Li & Lim 116 instances
# × 3 solvers × 10 s = 58 min of solver time, two at a time ≈ 30 min; mixed evenings 6 sizes
# × 3 solvers × 10 s plus matrices ≈ 3 min; realistic evenings (louise 30 s, VROOM up to
# 300 s per size) ≈ 10 min.
bench-routing: bench-install
	$(BIN)/python -m benchmarks.routing.lilim --set all --time-limit 10 --jobs 2
	$(BIN)/python -m benchmarks.routing.evenings --time-limit 10 --jobs 2
	$(BIN)/python -m benchmarks.routing.scaling --jobs 2

bench-dispatch: install
	$(BIN)/python -m benchmarks.dispatch.plan_day --demo
	$(BIN)/python -m benchmarks.dispatch.plan_day --legs 300

# API load figures (benchmarks/api/run.py): gunicorn as deployed (a worker per core),
# PostgreSQL on 127.0.0.1:5432 (a database louise_bench_api of its own, dropped at the end),
# locust; about 3 minutes.
# Writes the table into docs/benchmarks-api.md.
bench-api: bench-install
	$(BIN)/python -m benchmarks.api.run --write

# The longer schemathesis run (docs/operations.md, "Fuzzing"): its own demo server, every role.
bench-fuzz: install
	$(BIN)/python -m benchmarks.api.fuzz

clean:
	rm -rf $(VENV) instance demo-out .pytest_cache .mypy_cache .ruff_cache

# The web app's screenshots in docs/web.md: the browser tests, writing their screenshots into
# docs/img/web (phone and desktop width) instead of a temporary folder.
screenshots: install
	LOUISE_SCREENSHOTS=docs/img/web $(BIN)/pytest -q -p no:cacheprovider tests/pages

# The web app's translation catalogue (docs/web.md "Translations"): extract every text of the
# pages, merge it into louise/translations/de/LC_MESSAGES/messages.po (new texts come in
# untranslated: translate them there), and compile the .mo that the app reads.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		-o louise/translations/messages.pot .
	$(BIN)/pybabel update -i louise/translations/messages.pot -d louise/translations -l de \
		--no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d louise/translations -l de --statistics
