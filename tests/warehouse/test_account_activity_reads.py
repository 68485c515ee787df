"""marts.account_activity tells silence from blindness and posting from reposting: an account
no run could read is unreachable (never dormant), and only the post kinds that count as
posting keep an account active. On DuckDB and PostgreSQL."""

from core_rows import (
    AS_OF,
    activity_by_day,
    add_account,
    add_loaded_days,
    add_post,
    add_read,
    add_setting,
    days_before,
    set_active_post_kinds,
)

from socialmetrics.transform.build import build_marts


def test_an_account_the_platform_refuses_is_unreachable_with_its_words(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "hidden", opened_on=days_before(400))
        add_read(conn, key, days_before(1), days_before(300))
        add_read(conn, key, AS_OF, days_before(8), reason="protected", detail="not authorized")
    build_marts(warehouse)
    today = activity_by_day(warehouse, key)[AS_OF]
    assert (today["status"], today["unreachable_reason"]) == ("unreachable", "protected")
    assert today["unreachable_detail"] == "not authorized"
    assert today["dormant_since"] is None


def test_days_a_run_did_read_stay_as_read_when_a_later_run_is_refused(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "hidden", opened_on=days_before(400))
        add_read(conn, key, days_before(1), days_before(300))
        # The refused run asked for a week back (the look-back), read before.
        add_read(conn, key, AS_OF, days_before(8), reason="protected")
    build_marts(warehouse)
    days = activity_by_day(warehouse, key)
    assert days[days_before(1)]["status"] == "dormant"
    assert days[days_before(8)]["unreachable_reason"] is None


def test_an_account_nobody_read_for_more_than_the_stale_days_is_unreachable(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        add_setting(conn, "stale_after_days", 3)
        key = add_account(conn, "unseen", opened_on=days_before(400))
        add_post(conn, key, days_before(10))
        add_read(conn, key, days_before(5), days_before(300))
    build_marts(warehouse)
    days = activity_by_day(warehouse, key)
    # Read up to 5 days ago: 3 days without a read are tolerated, the 4th is not.
    assert [days[days_before(n)]["status"] for n in (3, 2, 1, 0)] == [
        "active",
        "active",
        "unreachable",
        "unreachable",
    ]
    assert days[AS_OF]["unreachable_reason"] == "not read"
    assert str(days_before(5)) in days[AS_OF]["unreachable_detail"]


def test_the_stale_days_are_a_setting(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        add_setting(conn, "stale_after_days", 7)
        key = add_account(conn, "unseen", opened_on=days_before(400))
        add_post(conn, key, days_before(10))
        add_read(conn, key, days_before(5), days_before(300))
    build_marts(warehouse)
    assert activity_by_day(warehouse, key)[AS_OF]["status"] == "active"


def test_an_account_never_found_is_unreachable_from_the_first_day_tried(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "typo", opened_on=days_before(400))
        add_read(conn, key, AS_OF, days_before(400), reason="not_found", detail="no such user")
    build_marts(warehouse)
    days = activity_by_day(warehouse, key)
    assert {row["status"] for row in days.values()} == {"unreachable"}


def test_an_account_without_any_read_keeps_its_dormancy(warehouse):
    # Accounts read before reads were recorded, and CSV-export accounts, have no reads.
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "legacy", opened_on=days_before(400))
        add_post(conn, key, days_before(40))
    build_marts(warehouse)
    assert activity_by_day(warehouse, key)[AS_OF]["status"] == "dormant"


def test_a_month_of_reposts_alone_is_a_dormant_account(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "echo", opened_on=days_before(400))
        add_post(conn, key, days_before(45))
        for day in range(31):
            add_post(conn, key, days_before(day), kind="repost")
    build_marts(warehouse)
    today = activity_by_day(warehouse, key)[AS_OF]
    assert (today["status"], today["days_since_last_post"]) == ("dormant", 45)
    assert (today["posts_last_30_days"], today["reposts_last_30_days"]) == (0, 30)


def test_replies_and_quotes_count_as_posting(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "chatty", opened_on=days_before(400))
        add_post(conn, key, days_before(45))
        add_post(conn, key, days_before(3), kind="reply")
        add_post(conn, key, days_before(2), kind="quote")
    build_marts(warehouse)
    today = activity_by_day(warehouse, key)[AS_OF]
    assert (today["status"], today["days_since_last_post"], today["posts_last_30_days"]) == (
        "active",
        2,
        2,
    )


def test_the_post_kinds_that_count_as_posting_are_a_setting(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        set_active_post_kinds(conn, "original", "reply", "quote", "repost")
        key = add_account(conn, "echo", opened_on=days_before(400))
        add_post(conn, key, days_before(1), kind="repost")
    build_marts(warehouse)
    assert activity_by_day(warehouse, key)[AS_OF]["status"] == "active"
