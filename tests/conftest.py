"""Shared fixtures: real warehouses (a DuckDB file, a PostgreSQL database) and small data."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

from harness.local_postgres import PostgresUnavailable, throwaway_cluster
from socialmetrics.warehouse.engine import warehouse_engine
from socialmetrics.warehouse.migrations import apply_migrations

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server_url():
    """URL of a PostgreSQL server for the session: WAREHOUSE_TEST_URL, else a throwaway cluster.

    The throwaway cluster is initialised from the local PostgreSQL binaries in a temporary
    folder, listens on a free port, and is stopped and deleted at the end of the session.
    """
    configured = os.environ.get("WAREHOUSE_TEST_URL")
    if configured:
        yield configured
        return
    try:
        with throwaway_cluster(durable=False) as url:
            yield url
    except PostgresUnavailable as exc:
        _unavailable(f"no WAREHOUSE_TEST_URL and {exc}")


def _admin(server_url: str):
    return sa.create_engine(
        sa.make_url(server_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )


def _create_database(admin, server_url: str, name: str) -> str:
    """Create database ``name`` on the server; its URL (a missing server fails or skips)."""
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'create database "{name}"')
    except sa.exc.OperationalError as exc:
        _unavailable(f"cannot reach PostgreSQL at {server_url}: {exc}")
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _drop_databases(admin, names) -> None:
    with admin.connect() as conn:
        for name in names:
            conn.exec_driver_sql(f'drop database if exists "{name}" with (force)')
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_database(postgres_server_url):
    """``create(label)``: the URL of a fresh PostgreSQL database, for fixtures that outlive
    one test; all are dropped at the end of the session."""
    admin = _admin(postgres_server_url)
    created: list[str] = []

    def create(label: str = "test") -> str:
        created.append(f"sm_{label}_{uuid.uuid4().hex[:12]}"[:63])
        return _create_database(admin, postgres_server_url, created[-1])

    yield create
    _drop_databases(admin, created)


@pytest.fixture
def postgres_url(postgres_server_url):
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    admin = _admin(postgres_server_url)
    name = f"sm_test_{uuid.uuid4().hex[:12]}"
    try:
        yield _create_database(admin, postgres_server_url, name)
    finally:
        _drop_databases(admin, [name])


@pytest.fixture
def duckdb_url(tmp_path):
    """A fresh DuckDB file for one test."""
    return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse_url(request):
    """Each test using it runs once on DuckDB and once on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def warehouse(warehouse_url):
    """A migrated warehouse engine (DuckDB file or PostgreSQL database)."""
    engine = warehouse_engine(warehouse_url)
    apply_migrations(engine)
    yield engine
    engine.dispose()


SMALL_ACCOUNTS = (
    "organisation,platform,account_ref,display_name,kind,area,owner_email,opened_on,closed_on,"
    "successor_ref\n"
    'Shire Police,x,ShirePolice,"Shire Police 🚓 ""official""",force,Shire,'
    "comms@shire.example,2020-01-01,,\n"
    "Shire Police,x,PCRobert,PC Robert'); drop table core.post; --,officer,Shire,"
    "robert@shire.example,2021-06-01,,\n"
)


@pytest.fixture
def small_registry(tmp_path):
    """A two-account registry whose names carry quotes, SQL and emoji."""
    folder = tmp_path / "registry"
    folder.mkdir()
    (folder / "accounts.csv").write_text(SMALL_ACCOUNTS, encoding="utf-8")
    (folder / "gazetteer.csv").write_text("area,place\nShire,Shireton\nShire,Little Shire\n")
    (folder / "consolidations.csv").write_text("organisation,event_date,description\n")
    return folder


@pytest.fixture(scope="session")
def scenario():
    """The default sandbox scenario, seed 42."""
    from sandbox.scenario import default_scenario

    return default_scenario()


@pytest.fixture(scope="session")
def sandbox(scenario):
    """The X API sandbox serving the default scenario over HTTP on a free local port.

    Shared by many runs, so its rate limit is set out of reach; rate limiting is tested
    on servers of its own.
    """
    from sandbox.server import SandboxServer

    with SandboxServer(scenario, token="test-sandbox-token", rate_limit=10**9) as server:
        yield server


@pytest.fixture
def sandbox_clock(sandbox):
    """The shared sandbox's clock (SandboxClock), put back to the scenario's end afterwards.

    ``sandbox_clock.run_of(day)`` makes the platforms answer as they would to the scheduled
    run for ``day`` (just after it ends), which is the day snapshots are then dated by.
    """
    yield sandbox.clock
    sandbox.clock.set(sandbox.scenario.now)


@pytest.fixture
def pipeline_env(monkeypatch, tmp_path):
    """Point the pipeline (connections and Variables, through the environment) at a warehouse
    and an X API; returns a function ``configure(warehouse_url, base_url, token, **vars)``."""
    import json

    def configure(warehouse_url, base_url, token, registry_dir, **variables):
        monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE", warehouse_url)
        monkeypatch.setenv(
            "AIRFLOW_CONN_X_API",
            json.dumps({"conn_type": "http", "host": base_url, "password": token}),
        )
        # The sandbox serves the Graph API beside X, under its version prefix.
        monkeypatch.setenv(
            "AIRFLOW_CONN_META_GRAPH_API",
            json.dumps({"conn_type": "http", "host": f"{base_url}/v24.0", "password": token}),
        )
        monkeypatch.setenv("AIRFLOW_VAR_SOCIALMETRICS_REGISTRY_DIR", str(registry_dir))
        monkeypatch.setenv("AIRFLOW_VAR_SOCIALMETRICS_LANDING_DIR", str(tmp_path / "landing"))
        monkeypatch.setenv("AIRFLOW_VAR_SOCIALMETRICS_OUTBOX_DIR", str(tmp_path / "outbox"))
        # dag.test runs mapped tasks one after another: two batches per connector still map
        # and split the accounts, with half the task instances of the default four.
        variables.setdefault("extract_batches", 2)
        for key, value in variables.items():
            monkeypatch.setenv(f"AIRFLOW_VAR_SOCIALMETRICS_{key.upper()}", str(value))

    return configure


@pytest.fixture(scope="session")
def scenario_registry(scenario, tmp_path_factory):
    """The default scenario's registry, cut down to its first organisation (Norfolk, the
    published review: 20 X accounts, a Facebook page and an Instagram account), so that the
    runs the end-to-end and reliability tests repeat stay quick."""
    import csv

    full = tmp_path_factory.mktemp("registry-full")
    scenario.write_registry(full)
    folder = tmp_path_factory.mktemp("registry")
    organisation = scenario.organisations[0].name
    for path in full.glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as source:
            rows = list(csv.DictReader(source))
            header = list(rows[0].keys()) if rows else []
        if path.name == "gazetteer.csv":
            areas = {a.area for a in scenario.accounts if a.organisation == organisation}
            rows = [row for row in rows if row["area"] in areas]
        else:
            rows = [row for row in rows if row["organisation"] == organisation]
        with (folder / path.name).open("w", newline="", encoding="utf-8") as target:
            writer = csv.DictWriter(target, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows)
    return folder


@pytest.fixture(scope="session")
def few_accounts_registry(scenario_registry, tmp_path_factory):
    """Norfolk's registry with 6 of its X accounts and both Meta accounts: every kind of
    account and answer, for the tests that repeat or disturb whole runs (dag.test runs the
    extracts one after another, so each account adds to every run)."""
    import csv
    import shutil

    folder = tmp_path_factory.mktemp("few-accounts") / "registry"
    shutil.copytree(scenario_registry, folder)
    with (scenario_registry / "accounts.csv").open(newline="", encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    kept = [row for row in rows if row["platform"] == "x"][:6]
    kept += [row for row in rows if row["platform"] != "x"]
    with (folder / "accounts.csv").open("w", newline="", encoding="utf-8") as target:
        writer = csv.DictWriter(target, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)
    return folder
