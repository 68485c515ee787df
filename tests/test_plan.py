"""Planning a run: a fixed number of batches, full history for new accounts, catch-up after
missed days, and follower samples when due. On DuckDB and PostgreSQL."""

from datetime import date, datetime

import sqlalchemy as sa

from socialmetrics.plan import plan_batches
from socialmetrics.registry import load_registry
from socialmetrics.settings import Settings
from socialmetrics.window import RunWindow

DAY = date(2026, 3, 31)
WINDOW = RunWindow.of("run", datetime(2026, 3, 31), datetime(2026, 4, 1))


def planned(warehouse, small_registry, **settings):
    batches = plan_batches(load_registry(small_registry), warehouse, WINDOW, Settings(**settings))
    accounts = {
        a["account_key"]: a
        for b in batches
        if b["connector"] != "csv_export"
        for a in b["accounts"]
    }
    return accounts, batches


def seen(warehouse, account_key, last_read: date):
    with warehouse.begin() as conn:
        conn.execute(
            sa.text(
                "insert into core.platform_user (account_key, platform_user_id, "
                "history_loaded_on) values (:k, '1', :d)"
            ),
            {"k": account_key, "d": last_read},
        )
        conn.execute(
            sa.text(
                "insert into core.account_snapshot (account_key, snapshot_date, "
                "followers_count) values (:k, :d, 5)"
            ),
            {"k": account_key, "d": last_read},
        )


def test_batches_are_a_fixed_number_per_connector_plus_one_for_exports(warehouse, small_registry):
    _, batches = planned(warehouse, small_registry, extract_batches=3)
    assert [b["batch"] for b in batches] == [
        "x-00",
        "x-01",
        "x-02",
        "meta-00",
        "meta-01",
        "meta-02",
        "csv_export-00",
    ]


def test_a_new_account_gets_its_whole_history(warehouse, small_registry):
    accounts, _ = planned(warehouse, small_registry)
    assert accounts["x:shirepolice"]["history"] is True
    assert accounts["x:shirepolice"]["since"] == "2020-01-01T00:00:00"


def test_a_known_account_gets_the_interval_and_the_lookback(warehouse, small_registry):
    seen(warehouse, "x:shirepolice", date(2026, 3, 30))
    accounts, _ = planned(warehouse, small_registry, lookback_days=7)
    assert accounts["x:shirepolice"]["history"] is False
    assert accounts["x:shirepolice"]["since"] == "2026-03-24T00:00:00"


def test_missed_days_are_caught_up_from_the_last_read(warehouse, small_registry):
    seen(warehouse, "x:shirepolice", date(2026, 3, 1))
    accounts, _ = planned(warehouse, small_registry, lookback_days=7)
    assert accounts["x:shirepolice"]["since"] == "2026-02-23T00:00:00"


def test_a_follower_sample_is_due_once_every_few_days(warehouse, small_registry):
    with warehouse.begin() as conn:
        conn.execute(
            sa.text(
                "insert into core.follower_sample (account_key, sample_date, position, "
                "location, location_key) values ('x:shirepolice', :d, 0, 'x', 'x')"
            ),
            {"d": date(2026, 3, 28)},
        )
    accounts, _ = planned(warehouse, small_registry, follower_sample_every_days=7)
    assert accounts["x:shirepolice"]["sample_followers"] is False
    assert accounts["x:pcrobert"]["sample_followers"] is True


def test_the_exports_batch_names_every_registry_account(warehouse, small_registry):
    _, batches = planned(warehouse, small_registry)
    (exports,) = [b for b in batches if b["connector"] == "csv_export"]
    assert {a["account_key"] for a in exports["accounts"]} == {"x:shirepolice", "x:pcrobert"}


def read(warehouse, account_key, run_day: date, covered_from: date, outcome="read"):
    with warehouse.begin() as conn:
        conn.execute(
            sa.text(
                "insert into core.account_read (account_key, run_day, covered_from, "
                "covered_to, outcome) values (:k, :d, :f, :d, :o)"
            ),
            {"k": account_key, "d": run_day, "f": covered_from, "o": outcome},
        )


def test_a_known_x_account_is_looked_up_by_its_stored_id(warehouse, small_registry):
    seen(warehouse, "x:shirepolice", date(2026, 3, 30))
    accounts, _ = planned(warehouse, small_registry)
    assert accounts["x:shirepolice"]["user_id"] == "1"
    assert "user_id" not in accounts["x:pcrobert"]


def test_catching_up_starts_after_the_last_day_a_run_could_read(warehouse, small_registry):
    seen(warehouse, "x:shirepolice", date(2026, 3, 30))
    read(warehouse, "x:shirepolice", date(2026, 3, 10), date(2026, 3, 2))
    # Refused since: those days were not read, so they are read now.
    read(warehouse, "x:shirepolice", date(2026, 3, 20), date(2026, 3, 12), "unreachable")
    accounts, _ = planned(warehouse, small_registry, lookback_days=7)
    assert accounts["x:shirepolice"]["since"] == "2026-03-04T00:00:00"


def test_a_rerun_of_a_day_reads_what_the_days_first_run_read(warehouse, small_registry):
    seen(warehouse, "x:shirepolice", date(2026, 4, 1))
    read(warehouse, "x:shirepolice", DAY, date(2020, 1, 1))
    accounts, _ = planned(warehouse, small_registry, lookback_days=7)
    assert accounts["x:shirepolice"]["since"] == "2020-01-01T00:00:00"
    assert accounts["x:shirepolice"]["history"] is True


def test_a_backfill_takes_no_follower_sample_when_a_newer_one_exists(warehouse, small_registry):
    with warehouse.begin() as conn:
        conn.execute(
            sa.text(
                "insert into core.follower_sample (account_key, sample_date, position, "
                "location, location_key) values ('x:shirepolice', :d, 0, 'x', 'x')"
            ),
            {"d": date(2026, 6, 1)},
        )
    accounts, _ = planned(warehouse, small_registry, follower_sample_every_days=7)
    assert accounts["x:shirepolice"]["sample_followers"] is False


def test_export_accounts_are_never_planned_into_api_batches(warehouse, small_registry):
    accounts = (small_registry / "accounts.csv").read_text(encoding="utf-8").splitlines()
    accounts[0] += ",source"
    accounts[1] += ",export"  # ShirePolice
    accounts[2] += ","  # PCRobert: api by default
    (small_registry / "accounts.csv").write_text("\n".join(accounts) + "\n", encoding="utf-8")
    planned_api, batches = planned(warehouse, small_registry)
    assert set(planned_api) == {"x:pcrobert"}
    (exports,) = [b for b in batches if b["connector"] == "csv_export"]
    assert {(a["account_key"], a["source"], a["timezone"]) for a in exports["accounts"]} == {
        ("x:shirepolice", "export", "Europe/London"),
        ("x:pcrobert", "api", "Europe/London"),
    }


def test_an_account_read_from_exports_gets_its_history_on_its_first_api_run(
    warehouse, small_registry
):
    # Exports loaded posts and a follower count, but never core.platform_user: the API has
    # not seen the account yet.
    with warehouse.begin() as conn:
        conn.execute(
            sa.text(
                "insert into core.account_snapshot (account_key, snapshot_date, "
                "followers_count) values ('x:shirepolice', :d, 5)"
            ),
            {"d": date(2026, 3, 30)},
        )
        conn.execute(
            sa.text(
                "insert into core.post (account_key, post_id, published_at, published_on, "
                "likes, replies, reposts, quotes, engagement) values ('x:shirepolice', '1', "
                "null, :d, 1, 0, 0, null, 1)"
            ),
            {"d": date(2026, 3, 30)},
        )
    accounts, _ = planned(warehouse, small_registry)
    assert accounts["x:shirepolice"]["history"] is True
    assert accounts["x:shirepolice"]["since"] == "2020-01-01T00:00:00"
