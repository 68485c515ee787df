"""Thin access to Airflow connections and Variables with messages a user can act on.

Airflow is imported lazily so the package stays importable (and fast) outside Airflow.
"""

from __future__ import annotations

import os

from socialmetrics.errors import ConfigurationError

# Every task that writes the warehouse takes a slot of this pool: one slot for DuckDB (one
# writer per file), several for PostgreSQL (make airflow and docker-compose create it).
WAREHOUSE_WRITER_POOL = "warehouse_writer"


def connection_env_var(conn_id: str) -> str:
    """The environment variable that defines Airflow connection ``conn_id``."""
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def get_connection(conn_id: str):
    """Return the Airflow connection ``conn_id``; ConfigurationError when it is not defined."""
    from airflow.sdk import BaseHook

    try:
        return BaseHook.get_connection(conn_id)
    except Exception as exc:  # Airflow raises several types for "not found"
        if "isn't defined" in str(exc) or "not found" in str(exc).lower():
            env = connection_env_var(conn_id)
            raise ConfigurationError(
                f"Airflow connection {conn_id!r} is not defined. Create it in the UI "
                f"(Admin > Connections) or set the environment variable {env}; see README "
                "'Connections and Variables'."
            ) from None
        raise


def get_variable(key: str, default: str | None = None) -> str | None:
    """Return the Airflow Variable ``key`` (or AIRFLOW_VAR_<KEY>), else ``default``."""
    env = os.environ.get(f"AIRFLOW_VAR_{key.upper()}")
    if env is not None:
        return env
    try:
        from airflow.sdk import Variable

        return Variable.get(key, default=default)
    except ImportError:
        return default
