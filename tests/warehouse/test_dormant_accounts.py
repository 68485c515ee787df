"""marts.dormant_accounts: who is dormant on the as-of day, for how long, and what to do."""

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


def _dormant(engine):
    rows = fetch(engine, "select * from marts.dormant_accounts order by account_key")
    return {row["account_key"]: row for row in rows}


def test_only_accounts_dormant_on_the_as_of_day_are_listed(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, days_before(1), AS_OF)
        active = add_account(conn, "active", opened_on=days_before(200))
        add_post(conn, active, days_before(5))
        dormant = add_account(conn, "dormant", opened_on=days_before(200))
        add_post(conn, dormant, days_before(40))
        add_account(conn, "closed", opened_on=days_before(200), closed_on=days_before(10))
        revived = add_account(conn, "revived", opened_on=days_before(200))
        add_post(conn, revived, days_before(100))
        add_post(conn, revived, days_before(2))
    build_marts(warehouse)
    assert list(_dormant(warehouse)) == [dormant]


def test_days_dormant_counts_the_dormant_since_day_and_the_as_of_day(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        posted = add_account(
            conn, "posted", opened_on=days_before(200), owner_email="pc.jones@example.org"
        )
        last_post_at = add_post(conn, posted, days_before(40))
        add_snapshot(conn, posted, days_before(20), 321)
        never = add_account(conn, "never", opened_on=days_before(31))
    build_marts(warehouse)
    rows = _dormant(warehouse)
    assert rows[posted] | {"suggested_action": None} == {
        "account_key": posted,
        "organisation": "Norfolk Constabulary",
        "platform": "x",
        "account_ref": "posted",
        "display_name": "posted display name",
        "kind": "district",
        "owner_email": "pc.jones@example.org",
        "followers": 321,
        "followers_basis": "carried_forward",
        "last_post_at": last_post_at,
        "last_post_on": last_post_at.date(),
        "days_since_last_post": 40,
        "dormant_since": days_before(9),
        "spell_anchor_on": days_before(40),
        "days_dormant": 10,
        "as_of": AS_OF,
        "suggested_action": None,
    }
    assert (rows[never]["days_dormant"], rows[never]["days_since_last_post"]) == (1, None)
    assert rows[never]["spell_anchor_on"] == days_before(31)


def test_accounts_dormant_under_90_days_are_asked_to_post_again(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "lapsed", opened_on=days_before(300), successor_ref="norfolk")
        add_post(conn, key, days_before(119))
    build_marts(warehouse)
    row = _dormant(warehouse)[key]
    assert (row["days_dormant"], row["suggested_action"]) == (
        89,
        "post again or hand the account to an active colleague",
    )


def test_accounts_dormant_90_days_or_more_are_redirected_to_their_successor(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        with_successor = add_account(
            conn, "old_beat", opened_on=days_before(300), successor_ref="norfolkpolice"
        )
        add_post(conn, with_successor, days_before(120))
        without = add_account(conn, "older_beat", opened_on=days_before(300))
        add_post(conn, without, days_before(200))
    build_marts(warehouse)
    rows = _dormant(warehouse)
    assert (rows[with_successor]["days_dormant"], rows[with_successor]["suggested_action"]) == (
        90,
        "hand over, or close and redirect followers to norfolkpolice",
    )
    assert rows[without]["suggested_action"] == (
        "hand over, or close and redirect followers to the organisation's district or force account"
    )
