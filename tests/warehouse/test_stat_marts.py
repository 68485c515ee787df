"""marts.consolidation_impact and marts.accounts_vs_engagement, built on both warehouses.

Hand-made core rows go through the whole build (the dbt models, then build_stat_marts,
then the publish); the tiny fixtures check windows,
day counts and values exactly, the seeded ones that planted effects come out of the whole
chain.
"""

from datetime import date, timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from core_rows import (
    AS_OF,
    add_account,
    add_consolidation,
    add_daily_posts,
    add_loaded_days,
    add_snapshot,
    fetch,
)

from socialmetrics.stats.consolidation import DailySeries, compare_windows
from socialmetrics.transform.build import StatOptions, build_marts
from socialmetrics.transform.dbt_run import ModelBuildError
from socialmetrics.transform.marts import mart
from socialmetrics.warehouse import stat_marts
from socialmetrics.warehouse.consolidation_impact_mart import METRICS
from socialmetrics.warehouse.stat_marts import ALL_ORGANISATIONS, build_stat_marts

STAT_MARTS = ["consolidation_impact", "accounts_vs_engagement"]
STAT_MART_NAMES = [
    "marts.consolidation_impact",
    "marts.consolidation_effect_pooled",
    "marts.accounts_vs_engagement",
]
OPENED = date(2024, 5, 1)
EVENT = date(2024, 6, 20)
NEXT_EVENT = date(2024, 6, 29)
ESSEX_EVENT = date(2024, 6, 24)
FAST = 199


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _tiny(conn) -> None:
    """Norfolk closes an officer account on EVENT (and consolidates again on NEXT_EVENT);
    Suffolk never consolidates; Essex consolidates on ESSEX_EVENT."""
    add_loaded_days(conn, AS_OF)
    north = add_account(conn, "north", opened_on=OPENED)
    officer = add_account(conn, "pc_jones", kind="officer", opened_on=OPENED, closed_on=EVENT)
    add_snapshot(conn, north, OPENED, 1000)
    add_snapshot(conn, officer, OPENED, 600)
    before = _days(date(2024, 6, 15), date(2024, 6, 19))
    after = _days(date(2024, 6, 21), date(2024, 6, 25))
    add_daily_posts(conn, north, dict(zip(before, [10, 20, 30, 40, 50], strict=True)))
    add_daily_posts(conn, north, {EVENT: 999})  # the settling day counts in no window
    add_daily_posts(
        conn,
        north,
        dict(zip(after, [[15, 15], [20, 20], [25, 25], [30, 30], [35, 35]], strict=True)),
    )
    add_daily_posts(conn, officer, {date(2024, 6, 15): 5, date(2024, 6, 17): 5})
    add_consolidation(conn, EVENT)
    add_consolidation(conn, NEXT_EVENT)
    suffolk = add_account(conn, "suffolk", organisation="Suffolk Constabulary", opened_on=OPENED)
    add_daily_posts(conn, suffolk, {day: 10 for day in before})
    add_daily_posts(conn, suffolk, {day: 12 for day in [EVENT, *after]})
    essex = add_account(conn, "essex", organisation="Essex Police", opened_on=OPENED)
    add_daily_posts(conn, essex, {day: 3 for day in _days(date(2024, 6, 10), AS_OF)})
    add_consolidation(conn, ESSEX_EVENT, organisation="Essex Police")


def _impact(engine, organisation="Norfolk Constabulary", event_date=EVENT) -> dict[str, dict]:
    rows = fetch(
        engine,
        "select * from marts.consolidation_impact "
        "where organisation = :organisation and event_date = :event_date",
        organisation=organisation,
        event_date=event_date,
    )
    return {row["metric"]: row for row in rows}


def _sorted_rows(engine, table):
    with engine.connect() as conn:
        return sorted(
            (tuple(row) for row in conn.exec_driver_sql(f"select * from {table}")), key=repr
        )


def test_tiny_consolidation_has_exact_windows_values_and_controls(warehouse):
    with warehouse.begin() as conn:
        _tiny(conn)
    counts = build_marts(
        warehouse, StatOptions(window_days=5, settling_days=1, n_resamples=FAST), run_id="stats-1"
    )
    assert {name: counts[name] for name in STAT_MART_NAMES} == {
        "marts.consolidation_impact": 15,
        "marts.consolidation_effect_pooled": 2,
        "marts.accounts_vs_engagement": 4,
    }
    rows = _impact(warehouse)
    assert sorted(rows) == sorted(METRICS)
    for row in rows.values():
        assert (row["window_days"], row["settling_days"]) == (5, 1)
        assert (row["before_start"], row["before_end"]) == (date(2024, 6, 15), date(2024, 6, 19))
        assert (row["after_start"], row["after_end"]) == (date(2024, 6, 21), date(2024, 6, 25))
        assert (row["days_before"], row["days_after"]) == (5, 5)
        # Both accounts were open before; the officer account closed on the event date.
        assert (row["accounts_before"], row["accounts_after"]) == (2, 1)
        # Essex consolidated inside Norfolk's windows, so only Suffolk is a control.
        assert row["control_organisations"] == 1
        assert row["as_of"] == AS_OF
        assert row["its_level_change"] is None and row["its_p_value"] is None  # < 28 days
        # Five days are less than one block of carry-over: no interval, no test, and why.
        assert row["ci_low"] is None and row["p_value"] is None and row["test_method"] is None
        assert "no interval or test: a window has fewer than 28 days" in row["method"]
    expected = {
        # metric: (before, after, did_estimate); Suffolk went from 10 to 12 a day.
        "total_engagement_per_day": (160 / 5, 250 / 5, (250 / 160) / 1.2 - 1),
        "posts_per_day": (7 / 5, 10 / 5, (10 / 7) - 1),
        "engagement_per_post": (160 / 7, 250 / 10, (25 / (160 / 7)) / 1.2 - 1),
        "active_accounts": (2.0, 1.0, -0.5),
        # Suffolk has no follower count, so there is no control value for this one.
        "engagement_per_1000_followers": (1000 * 160 / (5 * 1600), 1000 * 250 / 5000, None),
    }
    for metric, (before, after, did) in expected.items():
        row = rows[metric]
        assert row["before_value"] == pytest.approx(before, rel=1e-12), metric
        assert row["after_value"] == pytest.approx(after, rel=1e-12), metric
        assert row["absolute_change"] == pytest.approx(after - before, rel=1e-12), metric
        assert row["relative_change"] == pytest.approx(after / before - 1, rel=1e-12), metric
        if did is None:
            assert row["did_estimate"] is None and row["did_p_value"] is None
        else:
            assert row["did_estimate"] == pytest.approx(did, rel=1e-12), metric
    active = rows["active_accounts"]
    assert "mean per day" in active["method"]
    assert "ratio of the window's sums" in rows["engagement_per_post"]["method"]

    # Norfolk's second event is two days before the as-of day: one after day (the first is
    # settling), so no interval and no test, and the row says why.
    late = _impact(warehouse, event_date=NEXT_EVENT)["total_engagement_per_day"]
    assert (late["before_start"], late["before_end"]) == (date(2024, 6, 24), date(2024, 6, 28))
    assert (late["after_start"], late["after_end"], late["days_after"]) == (AS_OF, AS_OF, 1)
    assert late["ci_low"] is None and late["p_value"] is None and late["test_method"] is None
    assert "after window has 1 of 5 days (truncated at the as-of day 2024-06-30)" in late["method"]
    essex = _impact(warehouse, "Essex Police", ESSEX_EVENT)["total_engagement_per_day"]
    assert (essex["before_value"], essex["after_value"], essex["control_organisations"]) == (
        3.0,
        3.0,
        1,
    )

    recorded = fetch(warehouse, "select marts from ops.marts_release where run_id = 'stats-1'")
    assert recorded == [{"marts": 8}]

    # A rebuild on the same data gives identical tables, intervals and p-values included.
    contents = {name: _sorted_rows(warehouse, f"marts.{name}") for name in STAT_MARTS}
    build_marts(warehouse, StatOptions(window_days=5, settling_days=1, n_resamples=FAST))
    assert {name: _sorted_rows(warehouse, f"marts.{name}") for name in STAT_MARTS} == contents


def test_windows_stop_at_a_neighbouring_event_and_the_settling_period(warehouse):
    with warehouse.begin() as conn:
        _tiny(conn)
    build_marts(warehouse, StatOptions(window_days=10, settling_days=3, n_resamples=FAST))
    first = _impact(warehouse)["posts_per_day"]
    assert (first["before_start"], first["before_end"], first["days_before"]) == (
        date(2024, 6, 10),
        date(2024, 6, 19),
        10,
    )
    # After = event + 3 settling days on, and stops the day before the next event.
    assert (first["after_start"], first["after_end"], first["days_after"]) == (
        date(2024, 6, 23),
        date(2024, 6, 28),
        6,
    )
    assert "stops before the next consolidation on 2024-06-29" in first["method"]
    second = _impact(warehouse, event_date=NEXT_EVENT)["posts_per_day"]
    # The before side of the second event starts at the first event, not 10 days earlier.
    assert (second["before_start"], second["days_before"]) == (EVENT, 9)
    assert "stops at the previous consolidation on 2024-06-20" in second["method"]
    assert (second["after_start"], second["days_after"]) == (None, 0)
    assert second["before_value"] is not None and second["after_value"] is None


def test_a_planted_25_percent_effect_comes_out_of_the_warehouse(warehouse):
    """Four organisations, 90 days either side of Norfolk's event: every one gains 10% after
    it (a common trend) and Norfolk 25% on top of that."""
    rng = np.random.default_rng(2024)
    first_day = AS_OF - timedelta(days=179)
    event = first_day + timedelta(days=90)
    days = _days(first_day, AS_OF)
    after = np.array([day >= event for day in days])
    series = {}
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        add_consolidation(conn, event)
        for organisation, base, effect in (
            ("Norfolk Constabulary", 200, 1.25),
            ("Suffolk Constabulary", 300, 1.0),
            ("Cambridgeshire Constabulary", 150, 1.0),
            ("Essex Police", 250, 1.0),
        ):
            key = add_account(
                conn, organisation.split()[0], organisation=organisation, opened_on=first_day
            )
            add_snapshot(conn, key, first_day, 5000)
            mean = base * np.where(after, 1.10 * effect, 1.0)
            likes = rng.negative_binomial(50, 50 / (50 + mean))
            series[organisation] = likes
            add_daily_posts(conn, key, {day: int(n) for day, n in zip(days, likes, strict=True)})
    build_marts(warehouse, StatOptions(window_days=90, n_resamples=999, seed=3))
    rows = _impact(warehouse, event_date=event)
    total = rows["total_engagement_per_day"]
    norfolk = series["Norfolk Constabulary"]
    assert (total["days_before"], total["days_after"], total["control_organisations"]) == (
        90,
        90,
        3,
    )
    assert total["before_value"] == pytest.approx(norfolk[:90].mean(), rel=1e-12)
    assert total["after_value"] == pytest.approx(norfolk[90:].mean(), rel=1e-12)
    # The same days through the pure function give the same point estimate.
    direct = compare_windows(
        DailySeries.per_day(norfolk[:90]), DailySeries.per_day(norfolk[90:]), rng=0
    )
    assert total["relative_change"] == pytest.approx(direct.relative_change, rel=1e-12)
    # Before/after alone sees 1.25 x 1.10 - 1 = 37.5%; against the controls, the 25%.
    assert total["ci_low"] < 0.375 < total["ci_high"]
    assert total["p_value"] < 0.05
    assert total["did_ci_low"] < 0.25 < total["did_ci_high"]
    assert total["did_p_value"] < 0.05
    assert (total["block_days"], total["permutation_block_days"]) == (14, 21)
    # Nothing happened halfway through the before window: the placebo shows no effect. Two
    # halves of 45 days hold three blocks each, too few for the test to reject at 5%, so the
    # placebo has a p-value (at least 0.1) but no interval.
    assert abs(total["did_placebo_estimate"]) < 0.1 and total["did_placebo_p_value"] >= 0.1
    assert total["did_placebo_ci_low"] is None
    # The synthetic control weighs the three others and finds the 25% too; with three
    # placebos the placebo-in-space p-value cannot go below 1/4, which it reaches.
    assert total["sc_ci_low"] < 0.25 < total["sc_ci_high"] and total["sc_p_value"] < 0.05
    assert (total["sc_controls"], total["sc_placebo_p_value"]) == (3, 0.25)
    assert "placebo-in-space" in total["method"]
    # The segmented regression sees the jump: 37.5% of 200 a day.
    assert total["its_level_ci_low"] < 75 < total["its_level_ci_high"]
    assert total["its_p_value"] < 0.05
    # One post a day, so per post is per day; constant followers, so per 1,000 followers is
    # the same relative change.
    per_post = rows["engagement_per_post"]
    per_follower = rows["engagement_per_1000_followers"]
    assert per_post["relative_change"] == pytest.approx(total["relative_change"], rel=1e-12)
    assert per_follower["relative_change"] == pytest.approx(total["relative_change"], rel=1e-12)
    assert per_follower["did_estimate"] == pytest.approx(total["did_estimate"], rel=1e-9)
    assert rows["posts_per_day"]["relative_change"] == 0.0
    (pooled,) = fetch(
        warehouse,
        "select * from marts.consolidation_effect_pooled where basis = 'before_after'",
    )
    # One event: nothing to pool.
    assert (pooled["events"], pooled["pooled_relative_change"]) == (1, None)


def _organisations_with_accounts(conn, engagement_per_account_day, days):
    """Organisation n runs n active accounts, each posting once a day."""
    for n, per_day in enumerate(engagement_per_account_day, start=1):
        organisation = f"Force {n:02d}"
        for account in range(n):
            key = add_account(
                conn, f"force{n:02d}_{account}", organisation=organisation, opened_on=days[0]
            )
            add_daily_posts(conn, key, {day: int(per_day) for day in days})


def test_accounts_vs_engagement_rows_and_an_exact_correlation(warehouse):
    days = _days(AS_OF - timedelta(days=4), AS_OF)
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        # 1..4 accounts, each with 10, 7, 6, 9 likes a day: totals 10, 14, 18, 36 a day.
        _organisations_with_accounts(conn, [10, 7, 6, 9], days)
    build_marts(warehouse, StatOptions(period_days=3, n_resamples=FAST))
    rows = sorted(
        fetch(warehouse, "select * from marts.accounts_vs_engagement"),
        key=lambda row: (row["row_type"], row["organisation"]),
    )
    summary = rows.pop()  # 'summary' sorts after 'organisation'
    period = (AS_OF - timedelta(days=2), AS_OF)
    assert [
        (
            row["row_type"],
            row["organisation"],
            (row["period_start"], row["period_end"]),
            row["days"],
            row["active_accounts"],
            row["total_engagement"],
            row["engagement_per_day"],
            row["engagement_per_account"],
            row["spearman_rho"],
        )
        for row in rows
    ] == [
        ("organisation", "Force 01", period, 3, 1.0, 30, 10.0, 30.0, None),
        ("organisation", "Force 02", period, 3, 2.0, 42, 14.0, 21.0, None),
        ("organisation", "Force 03", period, 3, 3.0, 54, 18.0, 18.0, None),
        ("organisation", "Force 04", period, 3, 4.0, 108, 36.0, 27.0, None),
    ]
    assert (summary["row_type"], summary["organisation"], summary["organisations"]) == (
        "summary",
        ALL_ORGANISATIONS,
        4,
    )
    assert summary["active_accounts"] is None and summary["total_engagement"] is None
    # Perfect order among 4: 2 of the 24 pairings are as extreme, exactly.
    assert summary["spearman_rho"] == pytest.approx(1.0)
    assert summary["spearman_p_value"] == pytest.approx(2 / 24)
    assert "exact" in summary["method"]


def test_a_planted_correlation_across_organisations_is_found_and_a_null_one_is_not(warehouse):
    days = _days(AS_OF - timedelta(days=2), AS_OF)
    rng = np.random.default_rng(13)
    # 14 organisations; engagement per account varies by a factor of about two either way.
    planted = 40 * rng.lognormal(0, 0.5, 14)
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        _organisations_with_accounts(conn, planted, days)
    build_marts(warehouse, StatOptions(period_days=3))
    (found,) = fetch(
        warehouse, "select * from marts.accounts_vs_engagement where row_type = 'summary'"
    )
    assert found["organisations"] == 14
    assert found["spearman_rho"] > 0.6 and found["spearman_p_value"] < 0.05

    # Null: total engagement a day drawn independently of the number of accounts.
    totals = rng.lognormal(6, 1, 14)
    with warehouse.begin() as conn:
        conn.exec_driver_sql("delete from core.post")
        conn.exec_driver_sql("delete from core.account")
        _organisations_with_accounts(
            conn, [total / n for n, total in enumerate(totals, start=1)], days
        )
    build_marts(warehouse, StatOptions(period_days=3))
    (null,) = fetch(
        warehouse, "select * from marts.accounts_vs_engagement where row_type = 'summary'"
    )
    assert null["organisations"] == 14
    assert null["spearman_p_value"] >= 0.05


def _comments(engine, view):
    with engine.connect() as conn:
        if engine.dialect.name == "duckdb":
            view_comment = conn.execute(
                sa.text(
                    "select comment from duckdb_views() "
                    "where schema_name = 'marts' and view_name = :v"
                ),
                {"v": view},
            ).scalar_one()
            columns = conn.execute(
                sa.text(
                    "select column_name, comment from duckdb_columns() "
                    "where schema_name = 'marts' and table_name = :v"
                ),
                {"v": view},
            ).all()
        else:
            view_comment = conn.execute(
                sa.text("select obj_description(cast(:v as regclass), 'pg_class')"),
                {"v": f"marts.{view}"},
            ).scalar_one()
            columns = conn.execute(
                sa.text(
                    "select attname, col_description(attrelid, attnum) from pg_attribute "
                    "where attrelid = cast(:v as regclass) and attnum > 0 and not attisdropped"
                ),
                {"v": f"marts.{view}"},
            ).all()
    return view_comment, dict(columns)


def test_empty_warehouse_gives_empty_described_marts(warehouse):
    counts = build_marts(warehouse)
    assert {name: counts[name] for name in STAT_MART_NAMES} == dict.fromkeys(STAT_MART_NAMES, 0)
    for name in STAT_MARTS:
        declared = mart(name)
        view_comment, column_comments = _comments(warehouse, name)
        assert view_comment == f"Grain: {declared.grain}. {declared.description}"
        assert column_comments == {c.name: c.description for c in declared.columns}


def test_a_failing_test_of_a_statistical_mart_keeps_the_published_marts(warehouse, monkeypatch):
    with warehouse.begin() as conn:
        _tiny(conn)
    build_marts(warehouse, StatOptions(window_days=5, n_resamples=FAST))
    before = _sorted_rows(warehouse, "marts.consolidation_impact")
    real_frame = stat_marts.consolidation_impact_frame

    def impossible_windows(*args, **kwargs):
        frame = real_frame(*args, **kwargs)
        frame["days_before"] = -1
        return frame

    monkeypatch.setattr(stat_marts, "consolidation_impact_frame", impossible_windows)
    with warehouse.begin() as conn:
        add_daily_posts(conn, "x:north", {AS_OF: 77})
    with pytest.raises(ModelBuildError, match=r"consolidation_impact.*days_before.*_marts\.yml"):
        build_marts(warehouse, StatOptions(window_days=5, n_resamples=FAST))
    assert _sorted_rows(warehouse, "marts.consolidation_impact") == before


@pytest.mark.parametrize(
    "arguments", [{"window_days": 0}, {"settling_days": -1}, {"seed": -3}, {"period_days": 1.5}]
)
def test_bad_parameters_are_refused(arguments):
    with pytest.raises(ValueError, match=next(iter(arguments))):
        build_stat_marts(None, "marts_blue", **arguments)
