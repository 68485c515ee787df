"""The warehouse engine built from the Airflow connection ``warehouse``: its kind, its file or
server, and the settings in the connection's extra."""

import pytest
import sqlalchemy as sa
from airflow.sdk import Connection

from socialmetrics.errors import ConfigurationError
from socialmetrics.warehouse.engine import url_from_connection, warehouse_engine


def test_a_duckdb_connection_names_its_file(tmp_path):
    conn = Connection.from_uri(f"duckdb:///{tmp_path}/w.duckdb", conn_id="warehouse")
    assert url_from_connection(conn) == f"duckdb:///{tmp_path}/w.duckdb"


def test_duckdb_settings_in_the_connection_reach_the_database(tmp_path):
    conn = Connection.from_uri(
        f"duckdb:///{tmp_path}/w.duckdb?memory_limit=512MB&threads=1", conn_id="warehouse"
    )
    engine = warehouse_engine(url_from_connection(conn))
    with engine.connect() as db:
        limit = db.exec_driver_sql("select current_setting('memory_limit')").scalar()
        threads = db.exec_driver_sql("select current_setting('threads')").scalar()
    engine.dispose()
    assert (limit, threads) == ("488.2 MiB", 1)


def test_postgres_extras_become_libpq_parameters():
    conn = Connection.from_uri(
        "postgres://etl:s3cr%40t@db.example:5432/warehouse?sslmode=require&connect_timeout=5",
        conn_id="warehouse",
    )
    url = sa.make_url(url_from_connection(conn))
    assert (url.drivername, url.username, url.password, url.host, url.database) == (
        "postgresql+psycopg",
        "etl",
        "s3cr@t",
        "db.example",
        "warehouse",
    )
    assert dict(url.query) == {"sslmode": "require", "connect_timeout": "5"}


def test_another_kind_of_database_is_refused_naming_the_connection():
    conn = Connection.from_uri("mysql://db.example/w", conn_id="warehouse")
    with pytest.raises(ConfigurationError, match="'warehouse' has type 'mysql'"):
        url_from_connection(conn)
