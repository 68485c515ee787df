"""SQLAlchemy engines for the warehouse, built from a URL or from the Airflow connection."""

from __future__ import annotations

import sys
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from socialmetrics.errors import ConfigurationError

WAREHOUSE_CONN_ID = "warehouse"


def warehouse_engine(url: str) -> Engine:
    """Return an engine for a warehouse URL.

    ``url`` is ``duckdb:///relative.duckdb``, ``duckdb:////absolute/path.duckdb`` or
    ``postgresql://user:pw@host:port/db`` (the psycopg 3 driver is chosen for PostgreSQL).
    Raises ConfigurationError for any other kind of database.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "duckdb":
        release_dbt_duckdb()
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        return sa.create_engine(parsed, poolclass=sa.pool.NullPool)
    if backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
        return sa.create_engine(parsed, pool_pre_ping=True)
    raise ConfigurationError(
        f"The warehouse URL {parsed.render_as_string(hide_password=True)!r} names a "
        f"{backend!r} database; the warehouse must be DuckDB (duckdb:///path.duckdb) or "
        "PostgreSQL (postgresql://user:password@host:5432/db)."
    )


def release_dbt_duckdb() -> None:
    """Close the DuckDB database that dbt-duckdb keeps open in this process, if dbt ran here.

    dbt-duckdb holds its database until the process ends, and DuckDB refuses to open a file
    again in the same process with another configuration. Airflow's ``dag.test`` runs every
    task in one process, so a task after a dbt task would otherwise fail to connect.
    """
    connections = sys.modules.get("dbt.adapters.duckdb.connections")
    manager = getattr(connections, "DuckDBConnectionManager", None)
    if manager is None:
        return
    with manager._LOCK:
        if manager._ENV is not None:
            manager._ENV.close()
        manager.close_all_connections()


def url_from_connection(conn) -> str:
    """Turn an Airflow connection (duckdb or postgres type) into a SQLAlchemy URL string.

    The connection's extra fields become query parameters of the URL: DuckDB settings for a
    duckdb connection (``memory_limit``, ``threads``, ``temp_directory``...), libpq
    parameters for a postgres one (``sslmode``, ``connect_timeout``, ``application_name``...).
    Raises ConfigurationError naming the connection when it cannot be a warehouse.
    """
    conn_type = (conn.conn_type or "").lower()
    query = {key: str(value) for key, value in (conn.extra_dejson or {}).items()}
    if conn_type == "duckdb":
        path = conn.schema or conn.host
        if not path:
            raise ConfigurationError(
                f"Airflow connection {conn.conn_id!r} is of type duckdb but names no file: set "
                "it to duckdb:////absolute/path/warehouse.duckdb (four slashes for an absolute "
                "path)."
            )
        return sa.URL.create("duckdb", database=path, query=query).render_as_string()
    if conn_type in ("postgres", "postgresql"):
        url = sa.URL.create(
            "postgresql+psycopg",
            username=conn.login or None,
            password=conn.password or None,
            host=conn.host or None,
            port=conn.port or None,
            database=conn.schema or None,
            query=query,
        )
        return url.render_as_string(hide_password=False)
    raise ConfigurationError(
        f"Airflow connection {conn.conn_id!r} has type {conn.conn_type!r}; the warehouse "
        "connection must be duckdb:///... or postgresql://... (set AIRFLOW_CONN_WAREHOUSE)."
    )


def engine_from_airflow(conn_id: str = WAREHOUSE_CONN_ID) -> Engine:
    """Return the warehouse engine for the Airflow connection ``conn_id``.

    Raises ConfigurationError naming the connection when it is not defined.
    """
    from socialmetrics.airflow_support import get_connection

    return warehouse_engine(url_from_connection(get_connection(conn_id)))


def dialect_name(engine_or_conn) -> str:
    """'duckdb' or 'postgresql'."""
    return engine_or_conn.dialect.name
