"""marts.follower_locality from a platform's followers-by-city breakdown (source
api_breakdown): cities matched to the area, the unknown remainder kept."""

import sqlalchemy as sa
from core_rows import add_account, add_places, days_before, fetch

from socialmetrics.text import place_key
from socialmetrics.transform.build import build_marts

READ_ON = days_before(2)


def add_breakdown(conn, account_key, cities: dict):
    for place, followers in cities.items():
        conn.execute(
            sa.text(
                "insert into core.follower_breakdown "
                "(account_key, snapshot_date, place, place_key, followers, source) "
                "values (:a, :d, :p, :k, :f, 'api_breakdown')"
            ),
            {"a": account_key, "d": READ_ON, "p": place, "k": place_key(place), "f": followers},
        )


def test_breakdown_cities_are_classified_and_the_remainder_is_unknown(warehouse):
    with warehouse.begin() as conn:
        add_places(conn, "Norfolk", ["Norwich", "Kings Lynn"])
        key = add_account(conn, "norfolkpage", opened_on=days_before(100), kind="force")
        add_breakdown(
            conn,
            key,
            {
                "Norwich, England": 600,
                "King's Lynn, England": 120,
                "London, England": 280,
                None: 1000,
            },
        )
    build_marts(warehouse)
    (row,) = fetch(warehouse, "select * from marts.follower_locality where account_key = :k", k=key)
    assert row["source"] == "api_breakdown"
    assert (row["in_area"], row["outside"], row["unknown"], row["sample_size"]) == (
        720,
        280,
        1000,
        2000,
    )
    # Of all 2,000 followers, not of the 1,000 in listed cities; a census, so no interval.
    assert row["share_in_area"] == 0.36 and row["share_basis"] == "all_followers"
    assert (row["ci_low"], row["ci_high"]) == (None, None)
    assert row["sampling"].startswith("no sample")
