"""A PostgreSQL server for the benchmark: ``WAREHOUSE_BENCH_URL`` when set, else a throwaway
cluster started from the local binaries (``initdb``, ``pg_ctl``) and deleted afterwards.

The throwaway cluster keeps PostgreSQL's default durability settings (fsync, synchronous
commit, full-page writes): the load benchmark compares against a plain ``COPY`` on the same
server, and both should pay what a real server makes them pay.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from harness.local_postgres import (
    PostgresUnavailable,
    scratch_database,
    throwaway_cluster,
)

__all__ = ["PostgresUnavailable", "postgres_server", "scratch_database", "server_settings"]

BENCH_URL_VARIABLE = "WAREHOUSE_BENCH_URL"


@contextmanager
def postgres_server() -> Iterator[str]:
    """URL of the server to benchmark on: WAREHOUSE_BENCH_URL, else a throwaway cluster."""
    configured = os.environ.get(BENCH_URL_VARIABLE)
    if configured:
        yield configured
        return
    with throwaway_cluster() as url:
        yield url


def server_settings(engine: sa.Engine) -> dict[str, str]:
    """The server version and the settings that decide bulk-load speed."""
    names = (
        "server_version",
        "fsync",
        "synchronous_commit",
        "full_page_writes",
        "wal_level",
        "shared_buffers",
        "max_wal_size",
        "work_mem",
        "maintenance_work_mem",
    )
    with engine.connect() as conn:
        return {name: conn.exec_driver_sql(f"show {name}").scalar() for name in names}
