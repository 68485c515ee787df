"""Versioned schema migrations from ``sql/migrations`` (``V001__name.sql``), applied once each."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
import sqlparse
from sqlalchemy.engine import Engine

from socialmetrics.paths import MIGRATIONS_DIR

_VERSION = re.compile(r"^V(\d+)__[\w-]+\.sql$")


def migration_files(folder: Path = MIGRATIONS_DIR) -> list[tuple[int, Path]]:
    """Return (version, path) of every migration in ``folder``, ordered by version."""
    found = []
    for path in folder.glob("*.sql"):
        match = _VERSION.match(path.name)
        if not match:
            raise ValueError(f"{path}: migration files are named V<number>__<name>.sql")
        found.append((int(match.group(1)), path))
    return sorted(found)


def split_statements(sql: str) -> list[str]:
    """Split a SQL script into statements, dropping comments-only fragments."""
    statements = []
    for statement in sqlparse.split(sql):
        stripped = sqlparse.format(statement, strip_comments=True).strip().rstrip(";")
        if stripped:
            statements.append(stripped)
    return statements


def apply_migrations(engine: Engine, folder: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply the migrations not yet recorded in ``ops.schema_migration``; return their versions.

    Each migration runs in its own transaction together with its bookkeeping row, so a failed
    migration leaves the warehouse at the previous version.
    """
    with engine.begin() as conn:
        conn.exec_driver_sql("create schema if not exists ops")
        conn.exec_driver_sql(
            "create table if not exists ops.schema_migration ("
            "version integer primary key, name text not null, applied_at timestamp not null)"
        )
        done = {row[0] for row in conn.exec_driver_sql("select version from ops.schema_migration")}
    applied = []
    for version, path in migration_files(folder):
        if version in done:
            continue
        with engine.begin() as conn:
            for statement in split_statements(path.read_text(encoding="utf-8")):
                conn.exec_driver_sql(statement)
            conn.execute(
                sa.text(
                    "insert into ops.schema_migration (version, name, applied_at) "
                    "values (:v, :n, current_timestamp)"
                ),
                {"v": version, "n": path.name},
            )
        applied.append(version)
    return applied
