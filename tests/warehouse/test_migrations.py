"""Migrations create the schemas (docs/design.md#4-schemas) once, on both warehouses."""

import pytest
import sqlalchemy as sa

from socialmetrics.warehouse.migrations import apply_migrations


def test_migrations_create_every_schema(warehouse):
    with warehouse.connect() as conn:
        names = set(conn.scalars(sa.text("select schema_name from information_schema.schemata")))
    assert {"raw", "staging", "quarantine", "core", "marts", "ops"} <= names


def test_migrations_apply_once(warehouse):
    assert apply_migrations(warehouse) == []


def _folder(tmp_path, files: dict[str, str]):
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, sql in files.items():
        (folder / name).write_text(sql, encoding="utf-8")
    return folder


def _recorded(engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select version, name from ops.schema_migration order by 1"))
        return [tuple(row) for row in rows]


def test_engine_specific_migrations_run_on_their_engine_only(warehouse_url, tmp_path):
    from socialmetrics.warehouse.engine import warehouse_engine

    folder = _folder(
        tmp_path,
        {
            "V001__both.sql": "create schema if not exists demo; create table demo.t (n integer);",
            # PL/pgSQL: DuckDB could not even parse it.
            "V002__pg_only.postgresql.sql": (
                "do $$ begin create table demo.pg_only (n integer); end $$;"
            ),
            "V003__duck_only.duckdb.sql": "create table demo.duck_only (n integer);",
        },
    )
    engine = warehouse_engine(warehouse_url)
    try:
        assert apply_migrations(engine, folder) == [1, 2, 3]
        assert apply_migrations(engine, folder) == []
        assert _recorded(engine) == [
            (1, "V001__both.sql"),
            (2, "V002__pg_only.postgresql.sql"),
            (3, "V003__duck_only.duckdb.sql"),
        ]
        with engine.connect() as conn:
            tables = set(
                conn.scalars(
                    sa.text(
                        "select table_name from information_schema.tables "
                        "where table_schema = 'demo'"
                    )
                )
            )
    finally:
        engine.dispose()
    own = "pg_only" if engine.dialect.name == "postgresql" else "duck_only"
    assert tables == {"t", own}


def test_the_marts_reader_migration_is_recorded_on_both_engines(warehouse):
    assert (10, "V010__marts_reader_role.postgresql.sql") in _recorded(warehouse)


def test_migration_for_an_unknown_engine_is_rejected(tmp_path):
    from socialmetrics.warehouse.migrations import migration_files

    folder = _folder(tmp_path, {"V001__x.mysql.sql": "select 1"})
    with pytest.raises(ValueError, match=r"V<number>__<name>\.<engine>\.sql"):
        migration_files(folder)


def test_two_files_with_one_version_are_rejected(tmp_path):
    from socialmetrics.warehouse.migrations import migration_files

    folder = _folder(tmp_path, {"V004__a.sql": "select 1", "V004__a.postgresql.sql": "select 1"})
    with pytest.raises(ValueError, match="have the same version 4"):
        migration_files(folder)


def test_v013_drops_the_platform_users_an_export_wrote_with_a_username(warehouse_url, tmp_path):
    import shutil

    from socialmetrics.paths import MIGRATIONS_DIR
    from socialmetrics.warehouse.engine import warehouse_engine

    before = tmp_path / "before_v013"
    before.mkdir()
    for path in MIGRATIONS_DIR.glob("V01[0-2]__*.sql"):
        shutil.copy(path, before)
    for path in MIGRATIONS_DIR.glob("V00*.sql"):
        shutil.copy(path, before)
    engine = warehouse_engine(warehouse_url)
    try:
        apply_migrations(engine, before)
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "insert into core.platform_user (account_key, platform_user_id, "
                    "history_loaded_on) values ('x:shirepolice', 'ShirePolice', '2026-03-01'), "
                    "('x:pcrobert', '1234567', '2026-03-01'), "
                    "('facebook:100000000000001', '100000000000001', '2026-03-01')"
                )
            )
        assert 13 in apply_migrations(engine)
        with engine.connect() as conn:
            kept = set(conn.scalars(sa.text("select account_key from core.platform_user")))
    finally:
        engine.dispose()
    assert kept == {"x:pcrobert", "facebook:100000000000001"}
