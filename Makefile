# The README's two commands: `make demo` and `make test`. Both set everything up themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000
DEMO_DB := instance/demo.sqlite3

.PHONY: install demo test lint migration bench-lilim bench-scaling clean

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

clean:
	rm -rf $(VENV) instance demo-out .pytest_cache .mypy_cache .ruff_cache
