# Every target creates what it needs: the virtual environment from requirements.lock,
# a local AIRFLOW_HOME with SQLite metadata, and the databases.
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9

export AIRFLOW_HOME ?= $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
# plugins/ is the product; the repository root holds the sandbox, bench and harness packages.
export PYTHONPATH := $(CURDIR)/plugins:$(CURDIR)
export NO_PROXY := *
export SOCIALMETRICS_PROJECT_DIR := $(CURDIR)

.PHONY: venv demo test lint format lock bench sandbox dictionary clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	touch $@

$(AIRFLOW_HOME)/.migrated: $(VENV)/.installed
	mkdir -p $(AIRFLOW_HOME)
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1 || (cat $(AIRFLOW_HOME)/db-migrate.log; exit 1)
	touch $@

demo: $(AIRFLOW_HOME)/.migrated
	$(BIN)/python -m harness.demo

# One pytest worker per core (pytest-xdist); each worker has its own copy of the Airflow
# metadata database (harness/pytest_worker_home.py); tests marked xdist_group share one
# worker. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= auto

test: $(AIRFLOW_HOME)/.migrated lint
	$(BIN)/python -m pytest --numprocesses $(TEST_WORKERS) --dist loadgroup

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint sql/models

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

sandbox: $(VENV)/.installed
	$(BIN)/python -m sandbox serve --port 8765

SCALE ?= small
# e.g. BENCH_ARGS="--only load,validation" or "--duckdb memory_limit=4GB"
BENCH_ARGS ?=

bench: $(VENV)/.installed
	$(BIN)/python -m bench --scale $(SCALE) --output bench.json $(BENCH_ARGS)

dictionary: $(VENV)/.installed
	$(BIN)/python -m socialmetrics.warehouse.dictionary

lock: $(VENV)/.installed
	$(BIN)/uv pip compile requirements.in --universal --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) $(AIRFLOW_HOME) .pytest_cache
