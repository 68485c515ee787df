"""Bulk appends (warehouse/bulk.py): every value arrives as it was sent, on both engines."""

from datetime import date, datetime

import pyarrow as pa
import pytest
import sqlalchemy as sa

from socialmetrics.warehouse.bulk import append_arrow

ROWS = pa.table(
    {
        "name": ['It\'s "fine" 🙂; select 1', "", None],
        "day": [date(2026, 3, 31), None, date(1999, 12, 31)],
        "moment": pa.array(
            [datetime(2026, 3, 31, 23, 59, 59, 999999), None, datetime(2000, 1, 1)],
            pa.timestamp("us"),
        ),
        "small": pa.array([1, None, -7], pa.int64()),
        "flag": [True, None, False],
    }
)


@pytest.fixture
def table(warehouse):
    with warehouse.begin() as conn:
        conn.exec_driver_sql(
            "create table ops.bulk_test (name text, day date, moment timestamp, small integer, "
            "flag boolean)"
        )
    return "ops.bulk_test"


def test_every_value_arrives_as_sent_including_empty_text_and_nulls(warehouse, table):
    with warehouse.begin() as conn:
        assert append_arrow(conn, table, ROWS) == 3
    with warehouse.connect() as conn:
        stored = conn.execute(sa.text(f"select * from {table} order by small nulls first")).all()
    sent = list(zip(*ROWS.to_pydict().values(), strict=True))
    expected = [sent[1], sent[2], sent[0]]  # by small, nulls first
    assert [tuple(r) for r in stored] == expected


@pytest.mark.postgres
def test_a_column_the_table_lacks_is_named(postgres_url):
    from socialmetrics.warehouse.engine import warehouse_engine
    from socialmetrics.warehouse.migrations import apply_migrations

    engine = warehouse_engine(postgres_url)
    apply_migrations(engine)
    with pytest.raises(ValueError, match="core.loaded_day has no column 'weekday'"):
        with engine.begin() as conn:
            append_arrow(conn, "core.loaded_day", pa.table({"weekday": ["Mon"]}))
    engine.dispose()
