# The two commands a newcomer needs: `make demo` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The exact versions CI last tested; `make lock` refreshes it from pyproject.toml's ranges.
LOCK   := requirements.lock

.PHONY: demo test bench soak lint layers deps typecheck pytest install lock clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(LOCK) pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/goalpulse demo

test: lint layers deps typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The import contracts in pyproject.toml: bot → jobs → storage, and no Slack below bot/.
layers: $(STAMP)
	$(BIN)/lint-imports

# Every package the code imports is declared: bot/, jobs/ and storage/ in full, then tests/.
deps: $(STAMP)
	$(BIN)/deptry .
	$(BIN)/deptry . --exclude '\.venv|build|^bot|^jobs|^storage' --ignore DEP002,DEP004

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -n auto --maxprocesses=4

# Every `_`, `ngettext` and `N_` string, as a template for translators (not committed): new ones
# go into a file under jobs/locale/zh_CN/LC_MESSAGES; tests/test_catalogs.py names any missing.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --sort-by-file -o jobs/locale/goalpulse.pot .

# Benchmarks print figures; they are not tests and `make test` does not time anything.
bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks

# Days of two bots on one PostgreSQL in minutes, with Slack, the database and the processes
# failing; compares what Slack received with a calm run of the same story. Not part of `make test`.
soak: $(STAMP)
	$(BIN)/python -m tests.soak

# Resolve pyproject.toml's ranges afresh in a scratch venv and pin what came; commit the result
# once `make test` passes with it.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	{ echo "# Exact versions CI tested; refresh with 'make lock'. Installed with pip -c."; \
	  .lock-venv/bin/python -m pip freeze --all --exclude-editable | grep -v '^setuptools=='; } > $(LOCK)
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .lock-venv soak-logs build *.egg-info .pytest_cache .mypy_cache .ruff_cache
