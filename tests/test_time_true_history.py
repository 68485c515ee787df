"""History stays true: snapshots are dated by the day the platform answered, so a backfill
run months later neither rewrites nor borrows the follower counts of the days it fills. Through
the pipeline's steps against the sandbox, on DuckDB and PostgreSQL."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from harness.dag_run import run_window
from socialmetrics.warehouse.engine import warehouse_engine
from socialmetrics.window import RunWindow

ACCOUNTS = ("NorfolkPolice", "NorwichPolice")
DAYS = (date(2026, 3, 30), date(2026, 3, 31))
BACKFILLED = date(2026, 3, 20)
BACKFILLED_ON = datetime(2026, 6, 15, 9, 0)


@pytest.fixture(scope="module")
def two_account_registry(scenario_registry, tmp_path_factory):
    folder = tmp_path_factory.mktemp("two-accounts")
    for path in scenario_registry.glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as source:
            rows = list(csv.DictReader(source))
            header = list(rows[0])
        if path.name == "accounts.csv":
            rows = [row for row in rows if row["account_ref"] in ACCOUNTS]
        with (folder / path.name).open("w", newline="", encoding="utf-8") as target:
            writer = csv.DictWriter(target, fieldnames=header, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return folder


def window_for(day: date) -> RunWindow:
    start = datetime.combine(day, datetime.min.time())
    return RunWindow.of(f"scheduled__{day}", start, start + timedelta(days=1))


def snapshots(engine) -> dict[tuple[str, date], int]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("select account_key, snapshot_date, followers_count from core.account_snapshot")
        ).all()
    return {(key, day): followers for key, day, followers in rows}


def test_a_backfill_months_later_leaves_the_counts_fetched_on_each_day(
    warehouse_url, sandbox, sandbox_clock, two_account_registry, pipeline_env, scenario
):
    pipeline_env(warehouse_url, sandbox.base_url, sandbox.token, two_account_registry)
    engine = warehouse_engine(warehouse_url)
    for day in DAYS:
        sandbox_clock.run_of(day)
        run_window(window_for(day))
    before = snapshots(engine)
    sandbox_clock.set(BACKFILLED_ON)
    run_window(window_for(BACKFILLED))
    after = snapshots(engine)

    norfolk = scenario.account("NorfolkPolice")
    fetched_then = scenario.followers_at(norfolk, datetime(2026, 3, 31, 0, 5, tzinfo=UTC))
    assert before[("x:norfolkpolice", date(2026, 3, 31))] == fetched_then
    assert {k: v for k, v in after.items() if k in before} == before
    assert after[("x:norfolkpolice", BACKFILLED_ON.date())] > fetched_then
    with engine.connect() as conn:
        followers = dict(
            conn.execute(
                sa.text(
                    "select day, followers from marts.account_activity "
                    "where account_key = 'x:norfolkpolice' and day in (:a, :b)"
                ),
                {"a": BACKFILLED, "b": DAYS[-1]},
            ).all()
        )
    # Nobody asked X on 20 March: its count is unknown, not June's.
    assert followers == {BACKFILLED: None, DAYS[-1]: fetched_then}
    engine.dispose()
