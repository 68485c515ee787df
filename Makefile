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
# Cosmos reports usage to a remote endpoint unless told not to.
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
# plugins/ is the product; the repository root holds the sandbox, bench and harness packages.
export PYTHONPATH := $(CURDIR)/plugins:$(CURDIR)
export NO_PROXY := *
export SOCIALMETRICS_PROJECT_DIR := $(CURDIR)

.PHONY: venv manifest demo test lint format lock bench sandbox docs clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	touch $@

# The dbt manifest Cosmos reads when the DAG is parsed (parsing the DAG never runs dbt).
MANIFEST := $(CURDIR)/transform/target/manifest.json
TRANSFORM_SOURCES := $(shell find transform -path transform/target -prune -o -type f \( -name '*.sql' -o -name '*.yml' \) -print)

$(MANIFEST): $(VENV)/.installed $(TRANSFORM_SOURCES)
	$(BIN)/python -m socialmetrics.transform.manifest > /dev/null

manifest: $(MANIFEST)

$(AIRFLOW_HOME)/.migrated: $(VENV)/.installed
	mkdir -p $(AIRFLOW_HOME)
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1 || (cat $(AIRFLOW_HOME)/db-migrate.log; exit 1)
	touch $@

demo: $(AIRFLOW_HOME)/.migrated $(MANIFEST)
	$(BIN)/python -m harness.demo

# One pytest worker per core (pytest-xdist); each worker has its own copy of the Airflow
# metadata database (harness/pytest_worker_home.py); tests marked xdist_group share one
# worker. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= auto

test: $(AIRFLOW_HOME)/.migrated $(MANIFEST) lint
	$(BIN)/python -m pytest --numprocesses $(TEST_WORKERS) --dist loadgroup

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint transform/models

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

# The dbt docs site (every model, column, test and the lineage): var/docs/index.html
docs: $(MANIFEST)
	$(BIN)/python -m socialmetrics.transform.docs

lock: $(VENV)/.installed
	$(BIN)/uv pip compile requirements.in --universal --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) $(AIRFLOW_HOME) .pytest_cache
