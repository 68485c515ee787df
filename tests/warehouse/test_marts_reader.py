"""The BI role marts_reader (docs/design.md#4-schemas), PostgreSQL only: it reads `marts` and
nothing else, and writes nowhere, also after the marts are rebuilt.

A login role with a random name and password is created in the test's cluster (roles are
cluster-wide), given marts_reader, used, and dropped at the end.
"""

from __future__ import annotations

import secrets
import uuid

import pytest
import sqlalchemy as sa
from core_rows import AS_OF, add_post, add_small_organisation

from socialmetrics.transform.build import StatOptions, build_marts
from socialmetrics.transform.marts import declared_marts
from socialmetrics.warehouse.engine import warehouse_engine
from socialmetrics.warehouse.migrations import apply_migrations

pytestmark = pytest.mark.postgres

INSUFFICIENT_PRIVILEGE = "42501"
PRIVATE_SCHEMAS = (
    "raw",
    "staging",
    "quarantine",
    "core",
    "ops",
    "intermediate",
    "marts_blue",
    "marts_green",
)
FAST = StatOptions(n_resamples=99)


@pytest.fixture
def owner(postgres_url):
    """The warehouse as the pipeline sees it: migrated, with marts built from a few rows."""
    engine = warehouse_engine(postgres_url)
    apply_migrations(engine)
    add_small_organisation(engine)
    build_marts(engine, FAST)
    build_marts(engine, FAST)  # both release schemas hold tables
    yield engine
    engine.dispose()


@pytest.fixture
def bi_login(owner, postgres_url):
    """An engine that logs in as a fresh role granted marts_reader; the role is dropped after."""
    name = f"bi_test_{uuid.uuid4().hex[:12]}"
    password = secrets.token_urlsafe(18)
    with owner.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"create role {name} login password '{password}'")
        conn.exec_driver_sql(f"grant marts_reader to {name}")
    url = sa.make_url(postgres_url).set(
        drivername="postgresql+psycopg", username=name, password=password
    )
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()
        with owner.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"drop role if exists {name}")


def _marts() -> list[str]:
    return sorted(mart.name for mart in declared_marts())


def _tables(engine, schemas) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "select table_schema || '.' || table_name from information_schema.tables "
                "where table_schema = any(:schemas) order by 1"
            ),
            {"schemas": list(schemas)},
        )
        return list(rows.scalars())


def _assert_denied(engine, sql: str) -> None:
    with engine.connect() as conn:
        with pytest.raises(sa.exc.DBAPIError) as caught:
            conn.exec_driver_sql(sql)
    assert caught.value.orig.sqlstate == INSUFFICIENT_PRIVILEGE, (sql, caught.value)


def _row_counts(engine, tables) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: conn.exec_driver_sql(f"select count(*) from {table}").scalar_one()
            for table in tables
        }


def test_marts_reader_is_a_group_role_without_login(owner):
    with owner.connect() as conn:
        can_login = conn.execute(
            sa.text("select rolcanlogin from pg_roles where rolname = 'marts_reader'")
        ).scalar_one()
    assert can_login is False


def test_reads_every_mart_also_after_the_marts_are_rebuilt(owner, bi_login):
    marts = [f"marts.{name}" for name in _marts()]
    assert marts and _tables(owner, ["marts"]) == marts
    expected = _row_counts(owner, marts)
    assert expected["marts.account_activity"] and expected["marts.dormant_accounts"], expected
    assert _row_counts(bi_login, marts) == expected
    with owner.begin() as conn:
        add_post(conn, "x:busy", AS_OF, likes=5)
    build_marts(owner, FAST)  # publishes the other release schema
    assert _row_counts(bi_login, marts) == _row_counts(owner, marts)


def test_cannot_read_the_other_schemas(owner, bi_login):
    tables = _tables(owner, PRIVATE_SCHEMAS)
    assert {table.split(".")[0] for table in tables} == set(PRIVATE_SCHEMAS)
    for table in tables:
        _assert_denied(bi_login, f"select * from {table} limit 1")


WRITES = [
    "insert into marts.account_activity (account_key) values ('x:intruder')",
    "update marts.account_activity set followers = 0",
    "delete from marts.account_activity",
    "truncate marts_blue.account_activity",
    "drop view marts.account_activity",
    "alter view marts.account_activity rename to intruder",
    "create or replace view marts.account_activity as select 1 as n",
    "insert into marts_blue.account_activity (account_key) values ('x:intruder')",
    "drop table marts_green.account_activity",
    "create table intermediate.intruder (n integer)",
    "create table marts.intruder (n integer)",
    "create view marts.intruder as select 1 as n",
    "create table public.intruder (n integer)",
    "create schema intruder",
    "insert into core.account (account_key) values ('x:intruder')",
    "delete from ops.schema_migration",
]


def test_cannot_write_anywhere(owner, bi_login):
    for sql in WRITES:
        _assert_denied(bi_login, sql)
    assert _tables(owner, ["marts", "public"]) == [f"marts.{name}" for name in _marts()]
