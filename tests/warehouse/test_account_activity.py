"""marts.account_activity: one row per account per day with activity and dormancy
(docs/design.md#5-dormancy)."""

from datetime import datetime, time, timedelta

from core_rows import (
    AS_OF,
    activity_by_day,
    add_account,
    add_day_only_post,
    add_follower_changes,
    add_loaded_days,
    add_post,
    add_snapshot,
    add_threshold,
    days_before,
)

from socialmetrics.transform.build import build_marts


def test_account_is_dormant_31_days_after_its_last_post(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "quiet", opened_on=days_before(200))
        posted_at = add_post(conn, key, days_before(31))
    build_marts(warehouse)
    today = activity_by_day(warehouse, key)[AS_OF]
    assert today["status"] == "dormant"
    assert today["last_post_at"] == posted_at
    assert today["days_since_last_post"] == 31
    assert today["dormant_since"] == AS_OF
    assert today["dormant_after_days"] == 30


def test_account_is_active_29_and_30_days_after_its_last_post(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "steady", opened_on=days_before(200))
        add_post(conn, key, days_before(30))
    build_marts(warehouse)
    days = activity_by_day(warehouse, key)
    assert [
        (days[d]["days_since_last_post"], days[d]["status"]) for d in (days_before(1), AS_OF)
    ] == [
        (29, "active"),
        (30, "active"),
    ]
    assert days[AS_OF]["dormant_since"] is None


def test_account_that_never_posted_is_dormant_31_days_after_it_opened(warehouse):
    opened_on = days_before(31)
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "silent", opened_on=opened_on)
    build_marts(warehouse)
    days = activity_by_day(warehouse, key)
    assert days[days_before(1)]["status"] == "active"
    today = days[AS_OF]
    assert today["status"] == "dormant"
    assert today["dormant_since"] == opened_on + timedelta(days=31)
    assert today["last_post_at"] is None
    assert today["days_since_last_post"] is None


def test_account_that_never_posted_is_active_10_days_after_it_opened(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "new", opened_on=days_before(10))
    build_marts(warehouse)
    today = activity_by_day(warehouse, key)[AS_OF]
    assert (today["status"], today["dormant_since"]) == ("active", None)


def test_closed_account_is_closed_from_its_closing_day_and_never_dormant(warehouse):
    closed_on = days_before(50)
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "gone", opened_on=days_before(200), closed_on=closed_on)
    build_marts(warehouse)
    days = activity_by_day(warehouse, key)
    assert days[closed_on - timedelta(days=1)]["status"] == "dormant"
    after_closing = [row for day, row in days.items() if day >= closed_on]
    assert len(after_closing) == 51
    assert {(row["status"], row["dormant_since"]) for row in after_closing} == {("closed", None)}


def test_new_post_ends_dormancy_and_dormant_since_marks_each_spell(warehouse):
    first, second = days_before(100), days_before(40)
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "onoff", opened_on=days_before(120))
        add_post(conn, key, first)
        add_post(conn, key, second)
    build_marts(warehouse)
    days = activity_by_day(warehouse, key)
    spells = [
        (day, row["dormant_since"]) for day, row in days.items() if row["status"] == "dormant"
    ]
    first_spell = [(first + timedelta(days=n), first + timedelta(days=31)) for n in range(31, 60)]
    second_spell = [
        (second + timedelta(days=n), second + timedelta(days=31)) for n in range(31, 41)
    ]
    assert spells == first_spell + second_spell
    assert days[second]["status"] == "active"
    assert days[second]["days_since_last_post"] == 0


def test_last_post_at_is_the_latest_post_on_or_before_the_day(warehouse):
    day = days_before(3)
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "busy", opened_on=days_before(20))
        add_post(conn, key, datetime.combine(day, time(9, 0)))
        late = add_post(conn, key, datetime.combine(day, time(17, 30)))
        add_post(conn, key, AS_OF + timedelta(days=1))
    build_marts(warehouse)
    days = activity_by_day(warehouse, key)
    assert days[day - timedelta(days=1)]["last_post_at"] is None
    assert [days[d]["last_post_at"] for d in (day, AS_OF)] == [late, late]
    assert days[AS_OF]["days_since_last_post"] == 3


def test_posts_and_engagement_count_the_30_days_ending_each_day(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "windowed", opened_on=days_before(100))
        add_post(conn, key, days_before(60), likes=5)
        add_post(conn, key, days_before(31), likes=7)
        add_post(conn, key, days_before(31), replies=1, quotes=2)
    build_marts(warehouse)
    days = activity_by_day(warehouse, key)
    windows = {
        n: (
            days[days_before(n)]["posts_last_30_days"],
            days[days_before(n)]["engagement_last_30_days"],
        )
        for n in (61, 60, 32, 31, 30, 2, 1)
    }
    assert windows == {
        61: (0, 0),
        60: (1, 5),
        32: (1, 5),
        31: (3, 15),
        30: (2, 10),
        2: (2, 10),
        1: (0, 0),
    }


def test_followers_carry_forward_from_the_latest_snapshot(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "growing", opened_on=days_before(10))
        add_snapshot(conn, key, days_before(7), 100)
        add_snapshot(conn, key, days_before(3), 150)
    build_marts(warehouse)
    followers = [row["followers"] for row in activity_by_day(warehouse, key).values()]
    assert followers == [None] * 3 + [100] * 4 + [150] * 4


def test_snapshot_taken_before_the_first_day_counts_from_the_first_day(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "migrated", opened_on=days_before(3))
        add_snapshot(conn, key, days_before(9), 80)
        add_snapshot(conn, key, days_before(5), 90)
        add_snapshot(conn, key, days_before(1), 95)
    build_marts(warehouse)
    followers = [row["followers"] for row in activity_by_day(warehouse, key).values()]
    assert followers == [90, 90, 95, 95]


def test_kind_threshold_overrides_the_default(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        add_threshold(conn, "*", 30)
        add_threshold(conn, "officer", 60)
        officer = add_account(conn, "pc_smith", kind="officer", opened_on=days_before(200))
        district = add_account(conn, "north", kind="district", opened_on=days_before(200))
        add_post(conn, officer, days_before(45))
        add_post(conn, district, days_before(45))
    build_marts(warehouse)
    officer_today = activity_by_day(warehouse, officer)[AS_OF]
    district_today = activity_by_day(warehouse, district)[AS_OF]
    assert (officer_today["status"], officer_today["dormant_after_days"]) == ("active", 60)
    assert (district_today["status"], district_today["dormant_after_days"]) == ("dormant", 30)


def test_default_threshold_row_applies_to_kinds_without_their_own(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        add_threshold(conn, "*", 10)
        key = add_account(conn, "south", kind="district", opened_on=days_before(200))
        add_post(conn, key, days_before(11))
    build_marts(warehouse)
    today = activity_by_day(warehouse, key)[AS_OF]
    assert (today["status"], today["dormant_since"], today["dormant_after_days"]) == (
        "dormant",
        AS_OF,
        10,
    )


def test_rows_are_dense_from_the_first_day_to_the_latest_loaded_day(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, days_before(2), AS_OF, days_before(1))
        # A post older than the registry's opened_on starts the account's history.
        key = add_account(conn, "dense", opened_on=days_before(10))
        add_post(conn, key, days_before(15))
    build_marts(warehouse)
    days = list(activity_by_day(warehouse, key))
    assert days == [days_before(n) for n in range(15, -1, -1)]


def test_x_history_beyond_reach_starts_at_the_first_reachable_post(warehouse):
    # X serves only a user's 3,200 most recent posts: an account with more has older posts
    # the warehouse never saw, so the days before its first loaded post are not silent ones.
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "prolific", opened_on=days_before(400))
        add_post(conn, key, days_before(20))
        add_snapshot(conn, key, AS_OF, 9000, post_count=3201)
    build_marts(warehouse)
    days = activity_by_day(warehouse, key)
    assert min(days) == days_before(20)
    assert {row["status"] for row in days.values()} == {"active"}


def test_x_history_within_reach_starts_on_the_opening_day(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "complete", opened_on=days_before(400))
        add_post(conn, key, days_before(20))
        add_snapshot(conn, key, AS_OF, 9000, post_count=3200)
    build_marts(warehouse)
    days = activity_by_day(warehouse, key)
    assert min(days) == days_before(400)
    assert days[days_before(21)]["status"] == "dormant"


def test_the_x_reach_limit_does_not_apply_to_other_platforms(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "page", platform="facebook", opened_on=days_before(400))
        add_post(conn, key, days_before(20))
        add_snapshot(conn, key, AS_OF, 9000, post_count=50_000)
    build_marts(warehouse)
    assert min(activity_by_day(warehouse, key)) == days_before(400)


def test_post_known_by_its_day_only_dates_the_last_post_without_a_time(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "exported", opened_on=days_before(200))
        add_post(conn, key, datetime.combine(days_before(40), time(9, 30)))
        add_day_only_post(conn, key, days_before(31), likes=4)
    build_marts(warehouse)
    days = activity_by_day(warehouse, key)
    today = days[AS_OF]
    assert (today["last_post_on"], today["last_post_at"]) == (days_before(31), None)
    assert (today["days_since_last_post"], today["status"]) == (31, "dormant")
    assert today["dormant_since"] == AS_OF
    assert days[days_before(32)]["last_post_at"] == datetime.combine(days_before(40), time(9, 30))
    assert days[days_before(31)]["engagement_last_30_days"] == 4


def test_followers_are_derived_from_a_snapshot_and_the_daily_follows_around_it(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "overview", opened_on=days_before(4))
        add_follower_changes(
            conn, key, {days_before(d): (10, 2) for d in range(1, 5)} | {AS_OF: (5, 5)}
        )
        add_snapshot(conn, key, days_before(2), 1000)
    build_marts(warehouse)
    days = activity_by_day(warehouse, key)
    assert [(row["followers"], row["followers_basis"]) for row in days.values()] == [
        (984, "derived"),  # 1000 - (10 - 2) for day -3 and day -2
        (992, "derived"),
        (1000, "snapshot"),
        (1008, "derived"),
        (1008, "derived"),  # 5 follows and 5 unfollows
    ]
    assert (days[AS_OF]["new_follows"], days[AS_OF]["unfollows"]) == (5, 5)


def test_a_day_without_known_follows_stops_the_derivation(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "gap", opened_on=days_before(3))
        add_snapshot(conn, key, days_before(3), 500)
        add_follower_changes(conn, key, {days_before(2): (4, 1), AS_OF: (7, 0)})
    build_marts(warehouse)
    assert [
        (row["followers"], row["followers_basis"])
        for row in activity_by_day(warehouse, key).values()
    ] == [(500, "snapshot"), (503, "derived"), (500, "carried_forward"), (500, "carried_forward")]


def test_follows_without_any_follower_total_leave_followers_unknown(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "no_total", opened_on=days_before(1))
        add_follower_changes(conn, key, {days_before(1): (3, 1), AS_OF: (2, 0)})
    build_marts(warehouse)
    assert [
        (row["followers"], row["followers_basis"], row["new_follows"])
        for row in activity_by_day(warehouse, key).values()
    ] == [(None, "unknown", 3), (None, "unknown", 2)]
