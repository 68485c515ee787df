"""The dbt profile is the warehouse connection's: the same database, and no password on disk."""

from __future__ import annotations

import pytest
import yaml

from socialmetrics.errors import ConfigurationError
from socialmetrics.transform.profile import PASSWORD_ENV_VAR, dbt_target, write_profiles


def test_a_duckdb_url_gives_its_file_and_settings():
    target, env = dbt_target("duckdb:////data/warehouse.duckdb?memory_limit=2GB&threads=2")
    assert target["type"] == "duckdb"
    assert target["path"] == "/data/warehouse.duckdb"
    assert target["settings"] == {"memory_limit": "2GB", "threads": "2"}
    assert env == {}


def test_a_postgres_url_gives_its_server_and_keeps_the_password_out_of_the_file(tmp_path):
    url = "postgresql+psycopg://pipeline:s3cret%21@db.example:6543/warehouse?sslmode=require"
    env = write_profiles(url, tmp_path)
    text = (tmp_path / "profiles.yml").read_text()
    assert "s3cret" not in text
    assert env == {PASSWORD_ENV_VAR: "s3cret!"}
    target = yaml.safe_load(text)["socialmetrics"]["outputs"]["warehouse"]
    assert (target["host"], target["port"], target["user"], target["dbname"]) == (
        "db.example",
        6543,
        "pipeline",
        "warehouse",
    )
    assert target["sslmode"] == "require"
    assert PASSWORD_ENV_VAR in target["password"]


def test_another_database_is_refused_with_what_to_do():
    with pytest.raises(ConfigurationError, match="DuckDB or PostgreSQL"):
        dbt_target("mysql://user@host/db")


def test_cosmos_reads_the_profile_from_the_airflow_connection_warehouse(monkeypatch):
    from socialmetrics.transform.cosmos_profile import WarehouseProfileMapping

    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE", "postgres://pipeline:pw@db.example:5432/warehouse")
    mapping = WarehouseProfileMapping(conn_id="warehouse")
    assert mapping.profile["host"] == "db.example"
    assert mapping.profile["dbname"] == "warehouse"
    assert mapping.env_vars[PASSWORD_ENV_VAR] == "pw"
    assert "pw" not in mapping.get_profile_file_contents("socialmetrics")
