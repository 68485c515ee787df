"""Versioned schema migrations from ``sql/migrations`` (``V001__name.sql``), applied once each.

A migration named ``V010__name.postgresql.sql`` (or ``.duckdb.sql``) is for that warehouse
engine only: on the other engine it is not run but still recorded in ``ops.schema_migration``,
so both engines list the same versions and the file is never looked at again there.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import sqlalchemy as sa
import sqlparse
from sqlalchemy.engine import Engine

from socialmetrics.paths import MIGRATIONS_DIR

_DIALECTS = ("postgresql", "duckdb")
_VERSION = re.compile(r"^V(\d+)__[\w-]+(?:\.(postgresql|duckdb))?\.sql$")


def migration_files(folder: Path = MIGRATIONS_DIR) -> list[tuple[int, Path]]:
    """Return (version, path) of every migration in ``folder``, ordered by version.

    Raises ValueError for a badly named file or a version used by two files.
    """
    found = []
    for path in folder.glob("*.sql"):
        match = _VERSION.match(path.name)
        if not match:
            raise ValueError(
                f"{path}: migration files are named V<number>__<name>.sql, or "
                f"V<number>__<name>.<engine>.sql for one engine only ({', '.join(_DIALECTS)})"
            )
        found.append((int(match.group(1)), path))
    found.sort()
    for (version, first), (next_version, second) in itertools.pairwise(found):
        if version == next_version:
            raise ValueError(f"{first.name} and {second.name} have the same version {version}")
    return found


def migration_dialect(path: Path) -> str | None:
    """The engine a migration file is for (``postgresql``, ``duckdb``), None for both."""
    match = _VERSION.match(path.name)
    return match.group(2) if match else None


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
    migration leaves the warehouse at the previous version. A migration for the other engine
    is recorded without being run (and is in the returned list too).
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
        dialect = migration_dialect(path)
        with engine.begin() as conn:
            if dialect is None or dialect == engine.dialect.name:
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
