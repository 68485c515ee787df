"""marts.dormancy_spells: one row per account per dormancy spell, known by its anchor."""

from core_rows import (
    AS_OF,
    add_account,
    add_loaded_days,
    add_post,
    add_read,
    add_threshold,
    days_before,
    fetch,
)

from socialmetrics.transform.build import build_marts


def _spells(engine, account_key):
    return fetch(
        engine,
        "select * from marts.dormancy_spells where account_key = :key order by started_on",
        key=account_key,
    )


def test_a_post_ends_a_spell_and_the_next_silence_starts_another(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "lapsing", opened_on=days_before(100))
        add_post(conn, key, days_before(100))
        ending_at = add_post(conn, key, days_before(50))
    build_marts(warehouse)
    first, second = _spells(warehouse, key)
    assert (first["spell_anchor_on"], first["anchor_kind"]) == (days_before(100), "last_post")
    assert (first["started_on"], first["ended_on"], first["ended_by"]) == (
        days_before(69),
        days_before(50),
        "post",
    )
    assert (first["ending_post_at"], first["days_dormant"]) == (ending_at, 19)
    assert first["ending_post_id"] is not None
    assert (second["spell_anchor_on"], second["started_on"]) == (days_before(50), days_before(19))
    assert (second["ended_on"], second["ended_by"], second["days_dormant"]) == (None, None, 20)


def test_a_changed_threshold_moves_the_start_and_keeps_the_anchor(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "quiet", opened_on=days_before(60))
        add_post(conn, key, days_before(60))
    build_marts(warehouse)
    (before,) = _spells(warehouse, key)
    with warehouse.begin() as conn:
        add_threshold(conn, "*", 45)
    build_marts(warehouse)
    (after,) = _spells(warehouse, key)
    assert before["spell_anchor_on"] == after["spell_anchor_on"] == days_before(60)
    assert (before["started_on"], after["started_on"]) == (days_before(29), days_before(14))
    assert (before["dormant_after_days"], after["dormant_after_days"]) == (30, 45)


def test_an_account_that_never_posted_is_anchored_on_its_opening_day(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "silent", opened_on=days_before(40))
    build_marts(warehouse)
    (spell,) = _spells(warehouse, key)
    assert (spell["spell_anchor_on"], spell["anchor_kind"]) == (days_before(40), "opened")
    assert spell["started_on"] == days_before(9)


def test_closing_the_account_ends_its_spell(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "closed", opened_on=days_before(100), closed_on=days_before(10))
        add_post(conn, key, days_before(100))
    build_marts(warehouse)
    (spell,) = _spells(warehouse, key)
    assert (spell["ended_on"], spell["ended_by"], spell["ending_post_id"]) == (
        days_before(10),
        "closed",
        None,
    )


def test_days_the_pipeline_could_not_see_leave_the_spell_open(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, AS_OF)
        key = add_account(conn, "unread", opened_on=days_before(80))
        add_post(conn, key, days_before(80))
        # The last run that read it covered up to ten days ago: the days since are blind.
        add_read(conn, key, days_before(10), days_before(80))
    build_marts(warehouse)
    today = fetch(
        warehouse,
        "select status from marts.account_activity where account_key = :key and day = :day",
        key=key,
        day=AS_OF,
    )
    assert today == [{"status": "unreachable"}]
    (spell,) = _spells(warehouse, key)
    assert (spell["started_on"], spell["ended_on"], spell["ended_by"]) == (
        days_before(49),
        None,
        None,
    )
