"""Writing a run's rows into core by key (warehouse/merge.py): same result on both engines,
writing the same rows again changes nothing, and PostgreSQL copies rows that cannot conflict
straight into core."""

from datetime import date

import pyarrow as pa
import pytest
import sqlalchemy as sa

from socialmetrics.load import CORE_TARGETS, EXPORT_TARGETS, PLATFORM_USER
from socialmetrics.warehouse.engine import warehouse_engine
from socialmetrics.warehouse.merge import MergeTarget, merge_rows
from socialmetrics.warehouse.migrations import apply_migrations

SNAPSHOTS = CORE_TARGETS["account_snapshot"]
SAMPLES = CORE_TARGETS["follower_sample"]


def snapshots(*rows) -> pa.Table:
    """Rows of (account_key, day of March 2026, followers)."""
    return pa.table(
        {
            "account_key": [r[0] for r in rows],
            "snapshot_date": [date(2026, 3, r[1]) for r in rows],
            "followers_count": pa.array([r[2] for r in rows], pa.int64()),
            "following_count": pa.array([1] * len(rows), pa.int64()),
            "post_count": pa.array([2] * len(rows), pa.int64()),
            "listed_count": pa.array([None] * len(rows), pa.int64()),
        }
    )


def samples(*rows) -> pa.Table:
    """Rows of (account_key, day of March 2026, position, location)."""
    return pa.table(
        {
            "account_key": [r[0] for r in rows],
            "sample_date": [date(2026, 3, r[1]) for r in rows],
            "position": pa.array([r[2] for r in rows], pa.int32()),
            "location": [r[3] for r in rows],
            "location_key": [(r[3] or "").lower() for r in rows],
        }
    )


def merged(engine, target: MergeTarget, data: pa.Table) -> dict[str, int]:
    """Merge ``data`` in one transaction; on PostgreSQL, return whether it went through the
    staging twin and the rows it wrote to core (``pg_stat_xact_user_tables``)."""
    with engine.begin() as conn:
        if conn.dialect.name != "postgresql":
            merge_rows(conn, target, data)
            return {}
        # The counters may carry a previous transaction of the session not yet flushed.
        before = _written(conn, target)
        merge_rows(conn, target, data)
        after = _written(conn, target)
        # Staging is emptied before the transaction ends; the lock taken to use it stays.
        staged = conn.execute(
            sa.text(
                "select count(*) from pg_locks where pid = pg_backend_pid() "
                "and relation = cast(:staging as regclass)"
            ),
            {"staging": target.staging_table},
        ).scalar_one()
    written = {key: after[key] - before.get(key, 0) for key in after}
    return {"staged": bool(staged), **written}


def _written(conn, target: MergeTarget) -> dict[str, int]:
    rows = conn.execute(
        sa.text(
            "select schemaname || '.' || relname, n_tup_ins, n_tup_upd, n_tup_del "
            "from pg_stat_xact_user_tables where relid = cast(:table as regclass)"
        ),
        {"table": target.table},
    ).all()
    return {
        f"{table} {kind}": value
        for table, *values in rows
        for kind, value in zip(("inserted", "updated", "deleted"), values, strict=True)
    }


def rows_of(engine, table: str) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(conn.execute(sa.text(f"select * from {table}")).all(), key=repr)


def test_new_rows_are_inserted(warehouse):
    merged(warehouse, SNAPSHOTS, snapshots(("x:a", 1, 10), ("x:b", 1, 20)))
    assert rows_of(warehouse, "core.account_snapshot") == [
        ("x:a", date(2026, 3, 1), 10, 1, 2, None),
        ("x:b", date(2026, 3, 1), 20, 1, 2, None),
    ]


def test_an_upsert_updates_existing_keys_and_keeps_the_others(warehouse):
    merged(warehouse, SNAPSHOTS, snapshots(("x:a", 1, 10), ("x:a", 2, 11)))
    merged(warehouse, SNAPSHOTS, snapshots(("x:a", 2, 99), ("x:a", 3, 12)))
    followers = [(r[1].day, r[2]) for r in rows_of(warehouse, "core.account_snapshot")]
    assert followers == [(1, 10), (2, 99), (3, 12)]


def test_an_upsert_leaves_the_columns_it_does_not_update(warehouse):
    user = pa.table(
        {
            "account_key": ["x:a"],
            "platform_user_id": ["11"],
            "username": ["a"],
            "created_at": pa.array([None], pa.timestamp("us")),
            "profile_location": ["Norwich"],
            "history_loaded_on": [date(2026, 3, 1)],
        }
    )
    merged(warehouse, PLATFORM_USER, user)

    def changed(table, column, value):
        return table.set_column(table.schema.get_field_index(column), column, pa.array([value]))

    later = changed(user, "history_loaded_on", date(2026, 3, 9))
    later = changed(later, "profile_location", "Leeds")
    merged(warehouse, PLATFORM_USER, later)
    assert rows_of(warehouse, "core.platform_user") == [
        ("x:a", "11", None, "Leeds", date(2026, 3, 1), "a")
    ]


def test_a_replace_drops_the_rows_of_each_incoming_group_only(warehouse):
    merged(
        warehouse,
        SAMPLES,
        samples(("x:a", 1, 0, "Norwich"), ("x:a", 1, 1, "Leeds"), ("x:a", 8, 0, "York")),
    )
    merged(warehouse, SAMPLES, samples(("x:a", 1, 0, "Cromer")))
    kept = [(r[1].day, r[2], r[3]) for r in rows_of(warehouse, "core.follower_sample")]
    assert kept == [(1, 0, "Cromer"), (8, 0, "York")]


def follower_changes(*rows) -> pa.Table:
    """Rows of (account_key, day of March 2026, new follows, unfollows)."""
    return pa.table(
        {
            "account_key": [r[0] for r in rows],
            "day": [date(2026, 3, r[1]) for r in rows],
            "new_follows": pa.array([r[2] for r in rows], pa.int64()),
            "unfollows": pa.array([r[3] for r in rows], pa.int64()),
        }
    )


def test_an_upsert_with_newer_columns_keeps_rows_against_lower_counts(warehouse):
    target = EXPORT_TARGETS["follower_change"]
    merged(warehouse, target, follower_changes(("x:a", 1, 10, 2), ("x:a", 2, 5, 1)))
    # Day 1 comes again with fewer follows (an older export), day 2 with more unfollows and
    # day 3 is new; a count the export left empty is lowest.
    merged(
        warehouse,
        target,
        follower_changes(("x:a", 1, 9, 7), ("x:a", 2, 5, 3), ("x:a", 3, None, 1)),
    )
    merged(warehouse, target, follower_changes(("x:a", 3, 0, 0)))
    kept = [(r[1].day, r[2], r[3]) for r in rows_of(warehouse, "core.follower_change")]
    assert kept == [(1, 10, 2), (2, 5, 3), (3, 0, 0)]


@pytest.mark.parametrize("target", [SNAPSHOTS, SAMPLES], ids=["upsert", "replace"])
def test_merging_the_same_rows_again_changes_nothing(warehouse, target):
    data = (
        snapshots(("x:a", 1, 10), ("x:b", 2, 20))
        if target is SNAPSHOTS
        else samples(("x:a", 1, 0, "Norwich"), ("x:a", 1, 1, None))
    )
    merged(warehouse, target, data)
    before = rows_of(warehouse, target.table)
    merged(warehouse, target, data)
    assert rows_of(warehouse, target.table) == before


@pytest.mark.postgres
def test_rows_that_cannot_conflict_are_copied_straight_into_core(postgres_url):
    engine = warehouse_engine(postgres_url)
    apply_migrations(engine)
    merged(engine, SNAPSHOTS, snapshots(("x:a", 1, 10), ("x:b", 1, 5)))
    # The accounts' next days cannot collide with the rows already there.
    written = merged(engine, SNAPSHOTS, snapshots(("x:a", 2, 11), ("x:b", 2, 6)))
    engine.dispose()
    assert written["core.account_snapshot inserted"] == 2
    assert written["staged"] is False


@pytest.mark.postgres
def test_rows_that_may_conflict_go_through_staging_and_only_changes_are_written(postgres_url):
    engine = warehouse_engine(postgres_url)
    apply_migrations(engine)
    merged(engine, SNAPSHOTS, snapshots(("x:a", 1, 10), ("x:a", 2, 11)))
    written = merged(engine, SNAPSHOTS, snapshots(("x:a", 1, 10), ("x:a", 2, 12)))
    with engine.connect() as conn:
        left = conn.execute(sa.text("select count(*) from staging.account_snapshot")).scalar()
    engine.dispose()
    assert written["staged"] is True
    assert written["core.account_snapshot updated"] == 1
    assert written["core.account_snapshot inserted"] == 0
    assert left == 0
