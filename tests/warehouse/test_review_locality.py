"""socialmetrics.review: the review table's locality shares, read from the marts."""

import sqlalchemy as sa
from core_rows import (
    AS_OF,
    add_account,
    add_follower_sample,
    add_loaded_days,
    add_places,
    add_snapshot,
    days_before,
)

from socialmetrics.review import read_review
from socialmetrics.text import place_key
from socialmetrics.transform.build import build_marts

ORGANISATION = "Norfolk Constabulary"


def _breakdown(conn, account_key, day, cities):
    for place, followers in cities.items():
        conn.execute(
            sa.text(
                "insert into core.follower_breakdown "
                "(account_key, snapshot_date, place, place_key, followers, source) "
                "values (:a, :d, :p, :k, :f, 'api_breakdown')"
            ),
            {"a": account_key, "d": day, "p": place, "k": place_key(place), "f": followers},
        )


def test_pooled_share_weighs_accounts_by_followers_and_counts_each_once(warehouse):
    with warehouse.begin() as conn:
        add_loaded_days(conn, days_before(1), AS_OF)
        add_places(conn, "Norfolk", ["Norwich"])
        # A small account: 4 of 5 sampled followers in the area, 1,000 followers.
        small = add_account(conn, "small", opened_on=days_before(100))
        add_snapshot(conn, small, AS_OF, 1000)
        add_follower_sample(conn, small, AS_OF, ["Norwich"] * 4 + ["Leeds"])
        # A large one with a sample (all in the area) and a breakdown the same day (a
        # quarter in the area of 9,000): the breakdown wins, the sample is not counted.
        large = add_account(conn, "large", opened_on=days_before(100))
        add_snapshot(conn, large, AS_OF, 9000)
        add_follower_sample(conn, large, AS_OF, ["Norwich"] * 50)
        _breakdown(conn, large, AS_OF, {"Norwich, England": 2250, "Leeds, England": 6750})
    build_marts(warehouse)
    review = read_review(warehouse, ORGANISATION, AS_OF)
    # By sample size the share would be (4 + 2250 + 50) / (5 + 9000 + 50); by account, 0.525.
    assert review.in_area_share["district"] == (1000 * 0.8 + 9000 * 0.25) / 10000
