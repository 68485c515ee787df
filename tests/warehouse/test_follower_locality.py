"""marts.follower_locality: share of sampled followers in the account's area
(docs/design.md#7-follower-locality)."""

import pytest
from core_rows import add_account, add_follower_sample, add_places, add_snapshot, days_before, fetch
from scipy.stats import binomtest

from socialmetrics.transform.build import build_marts

SAMPLED_ON = days_before(3)


def _norfolk_account(conn, ref="norfolk"):
    add_places(conn, "Norfolk", ["Norwich", "Kings Lynn", "Cromer", "Great Yarmouth"])
    add_places(conn, "Suffolk", ["Ipswich", "Lowestoft"])
    return add_account(conn, ref, opened_on=days_before(100), kind="force")


def _sample(engine, account_key, day=SAMPLED_ON):
    (row,) = fetch(
        engine,
        "select * from marts.follower_locality where account_key = :key and snapshot_date = :day",
        key=account_key,
        day=day,
    )
    return row


def _classes(row):
    return (row["in_area"], row["outside"], row["unknown"], row["sample_size"])


def test_locations_naming_a_place_of_the_area_are_in_area_whatever_their_case_or_punctuation(
    warehouse,
):
    with warehouse.begin() as conn:
        key = _norfolk_account(conn)
        add_follower_sample(
            conn,
            key,
            SAMPLED_ON,
            ["NORWICH, UK", "norwich.", "King's Lynn", "Cromer 🌊", "great  yarmouth!"],
        )
    build_marts(warehouse)
    assert _classes(_sample(warehouse, key)) == (5, 0, 0, 5)


def test_locations_naming_no_place_of_the_area_are_outside(warehouse):
    with warehouse.begin() as conn:
        key = _norfolk_account(conn)
        # Ipswich is a place, but of Suffolk; Cromerty only starts like Cromer.
        add_follower_sample(conn, key, SAMPLED_ON, ["London", "Ipswich, Suffolk", "UK", "Cromerty"])
    build_marts(warehouse)
    assert _classes(_sample(warehouse, key)) == (0, 4, 0, 4)


def test_locations_without_letters_are_unknown_and_leave_the_share_null(warehouse):
    with warehouse.begin() as conn:
        key = _norfolk_account(conn)
        add_follower_sample(conn, key, SAMPLED_ON, ["", None, "🌍", "123"])
    build_marts(warehouse)
    row = _sample(warehouse, key)
    assert _classes(row) == (0, 0, 4, 4)
    assert (row["followers_known_location"], row["share_in_area"]) == (0, None)
    assert (row["ci_low"], row["ci_high"]) == (None, None)


def test_share_and_wilson_interval_match_scipy(warehouse):
    cases = {"mid": (7, 3, 2), "none_in": (0, 5, 1), "all_in": (4, 0, 0), "large": (13, 187, 9)}
    with warehouse.begin() as conn:
        add_places(conn, "Norfolk", ["Norwich"])
        for ref, (in_area, outside, unknown) in cases.items():
            key = add_account(conn, ref, opened_on=days_before(100))
            locations = ["Norwich"] * in_area + ["London"] * outside + [""] * unknown
            add_follower_sample(conn, key, SAMPLED_ON, locations)
    build_marts(warehouse)
    for ref, (in_area, outside, _) in cases.items():
        row = _sample(warehouse, f"x:{ref}")
        n = in_area + outside
        expected = binomtest(in_area, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert row["followers_known_location"] == n, ref
        assert row["share_in_area"] == pytest.approx(in_area / n, abs=1e-12), ref
        assert row["ci_low"] == pytest.approx(expected.low, abs=1e-9), ref
        assert row["ci_high"] == pytest.approx(expected.high, abs=1e-9), ref


def test_followers_come_from_the_snapshot_taken_on_the_sample_date(warehouse):
    later = days_before(1)
    with warehouse.begin() as conn:
        key = _norfolk_account(conn)
        add_snapshot(conn, key, SAMPLED_ON, 2500)
        add_snapshot(conn, key, days_before(2), 2600)
        add_follower_sample(conn, key, SAMPLED_ON, ["Norwich"])
        add_follower_sample(conn, key, later, ["Norwich"])
    build_marts(warehouse)
    first, second = _sample(warehouse, key), _sample(warehouse, key, later)
    assert (first["followers"], second["followers"]) == (2500, None)
    assert (first["source"], first["organisation"], first["kind"], first["area"]) == (
        "location_sample",
        "Norfolk Constabulary",
        "force",
        "Norfolk",
    )
