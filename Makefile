# One Makefile: `make run` serves the demo on SQLite, `make test` runs the tests.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: install run test lint check messages bench bench-deps bench-import bench-gate soak system-deps format

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# System packages the tests drive for real (softphone, browser); installed once.
system-deps:
	@./scripts/system-deps

# The load generator the queue benchmark drives (wrk); installed once.
bench-deps:
	@./scripts/system-deps --bench

run: install
	$(BIN)/cascade demo
	$(BIN)/cascade serve --host 127.0.0.1 --port 8000

# Tests run side by side in worker processes (pytest-xdist), each with its own migrated
# template database; many of them wait on real processes (servers, baresip, Chromium), so
# more workers than cores pays. `make test TEST_WORKERS=0` runs them in one process.
TEST_WORKERS ?= 4

test: install system-deps
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy app dialer scheduler softphone bench

# The pages' words: extract them from the templates, Python and scripts (babel.cfg), merge
# them into each language's .po, and compile the .mo files the service reads (both committed).
LOCALE := app/pages/locale
messages: install
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --omit-header -o $(LOCALE)/messages.pot .
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date
	$(BIN)/pybabel compile -d $(LOCALE) --statistics

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: lint test

bench: install bench-deps
	$(BIN)/python -m bench.queue $(BENCH_ARGS)

bench-import: install
	$(BIN)/python -m bench.imports

bench-gate: install
	$(BIN)/python -m bench.gate $(if $(CASCADE_TEST_POSTGRES_URL),--postgres $(CASCADE_TEST_POSTGRES_URL))

# A whole floor against one service on PostgreSQL: two minutes per floor size, then ten on the
# largest that passed (or, if it misses, the next smaller one).
soak: install
	$(BIN)/python -m bench.soak
