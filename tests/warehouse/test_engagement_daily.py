"""marts.engagement_daily: posts, engagement and rates per organisation, kind and day."""

import pytest
from core_rows import (
    AS_OF,
    add_account,
    add_loaded_days,
    add_post,
    add_snapshot,
    days_before,
    fetch,
)

from socialmetrics.transform.build import build_marts

DAY = days_before(5)


def _day(engine, kind="district", day=DAY, organisation="Norfolk Constabulary"):
    (row,) = fetch(
        engine,
        "select * from marts.engagement_daily "
        "where organisation = :organisation and kind = :kind and day = :day",
        organisation=organisation,
        kind=kind,
        day=day,
    )
    return row


def test_sums_and_rates_of_a_day_add_up_the_accounts_of_an_organisation_and_kind(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        north = add_account(conn, "north", opened_on=days_before(100))
        south = add_account(conn, "south", opened_on=days_before(100))
        officer = add_account(conn, "pc_smith", kind="officer", opened_on=days_before(100))
        add_snapshot(conn, north, days_before(50), 1000)
        add_snapshot(conn, south, days_before(6), 3000)
        add_post(conn, north, DAY, likes=10, replies=2, impressions=400)
        add_post(conn, south, DAY, likes=20, reposts=8, impressions=600)
        add_post(conn, officer, DAY, likes=100)
    build_marts(warehouse)
    assert _day(warehouse) == {
        "organisation": "Norfolk Constabulary",
        "kind": "district",
        "day": DAY,
        "accounts_open": 2,
        "active_accounts": 2,
        "posts": 2,
        "engagement": 40,
        "impressions": 1000,
        "posts_with_impressions": 2,
        "followers": 4000,
        "accounts_open_with_followers": 2,
        "engagement_with_followers": 40,
        "engagement_per_post": pytest.approx(20.0, abs=1e-12),
        "engagement_per_1000_followers": pytest.approx(10.0, abs=1e-12),
        "engagement_per_impression": pytest.approx(0.04, abs=1e-12),
    }
    assert (
        _day(warehouse, kind="officer")["posts"],
        _day(warehouse, kind="officer")["engagement"],
    ) == (
        1,
        100,
    )


def test_engagement_per_follower_leaves_out_accounts_without_a_follower_count(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        counted = add_account(conn, "counted", opened_on=days_before(100))
        uncounted = add_account(conn, "uncounted", opened_on=days_before(100))
        add_snapshot(conn, counted, days_before(50), 2000)
        add_post(conn, counted, DAY, likes=10)
        add_post(conn, uncounted, DAY, likes=90)  # no follower count: on neither side
    build_marts(warehouse)
    day = _day(warehouse)
    assert (day["engagement"], day["engagement_with_followers"], day["followers"]) == (
        100,
        10,
        2000,
    )
    assert day["accounts_open_with_followers"] == 1
    assert day["engagement_per_1000_followers"] == pytest.approx(5.0, abs=1e-12)


def test_rates_are_null_when_their_denominator_is_zero_or_unknown(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        add_account(conn, "unmeasured", opened_on=days_before(100))
        no_followers = add_account(conn, "empty", kind="officer", opened_on=days_before(100))
        add_snapshot(conn, no_followers, days_before(50), 0)
        add_post(conn, no_followers, DAY, likes=3, impressions=0)
    build_marts(warehouse)
    quiet = _day(warehouse)
    assert (quiet["posts"], quiet["engagement"], quiet["followers"]) == (0, 0, None)
    assert (
        quiet["engagement_per_post"],
        quiet["engagement_per_1000_followers"],
        quiet["engagement_per_impression"],
    ) == (None, None, None)
    zero = _day(warehouse, kind="officer")
    assert (zero["followers"], zero["impressions"], zero["engagement_per_post"]) == (0, 0, 3.0)
    assert (zero["engagement_per_1000_followers"], zero["engagement_per_impression"]) == (
        None,
        None,
    )


def test_engagement_per_impression_counts_only_posts_with_impressions(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "mixed", opened_on=days_before(100))
        add_post(conn, key, DAY, likes=10, impressions=1000)
        add_post(conn, key, DAY, likes=30)
    build_marts(warehouse)
    row = _day(warehouse)
    assert (row["posts"], row["engagement"], row["impressions"], row["posts_with_impressions"]) == (
        2,
        40,
        1000,
        1,
    )
    assert row["engagement_per_impression"] == pytest.approx(0.01, abs=1e-12)
    assert row["engagement_per_post"] == pytest.approx(20.0, abs=1e-12)


def test_impressions_are_null_when_no_post_of_the_day_reports_them(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "x_only", opened_on=days_before(100))
        add_post(conn, key, DAY, likes=4)
        add_post(conn, key, DAY, replies=6)
    build_marts(warehouse)
    row = _day(warehouse)
    assert (row["engagement"], row["impressions"], row["posts_with_impressions"]) == (10, None, 0)
    assert row["engagement_per_impression"] is None


def test_open_accounts_exclude_closed_ones_and_active_accounts_exclude_dormant_ones(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        active = add_account(conn, "active", opened_on=days_before(100))
        add_post(conn, active, days_before(10))
        add_snapshot(conn, active, days_before(90), 500)
        dormant = add_account(conn, "dormant", opened_on=days_before(100))
        add_snapshot(conn, dormant, days_before(90), 70)
        closed = add_account(conn, "closed", opened_on=days_before(100), closed_on=days_before(20))
        add_snapshot(conn, closed, days_before(90), 9000)
    build_marts(warehouse)
    row = _day(warehouse)
    assert (row["accounts_open"], row["active_accounts"], row["followers"]) == (2, 1, 570)
