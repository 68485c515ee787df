"""X Analytics, account overview export: one row per day with the day's new follows and
unfollows, but no follower total and nothing naming the account (its folder or file name
must).

Read: Date (``Fri, Apr 26, 2024``), New follows, Unfollows -> ``follower_change``.
"""

from __future__ import annotations

from socialmetrics.platforms.csv_export.layouts.cells import Row
from socialmetrics.platforms.csv_export.layouts.layout import Layout, no_account_ref
from socialmetrics.platforms.csv_export.layouts.x_content import DAY_EXAMPLE, DAY_FORMAT


def _read(row: Row, timezone: str) -> dict:
    return {
        "day": row.day("Date", DAY_FORMAT, DAY_EXAMPLE),
        "new_follows": row.count("New follows"),
        "unfollows": row.count("Unfollows"),
    }


X_OVERVIEW = Layout(
    name="X Analytics account overview export",
    platform="x",
    entity="follower_change",
    header=("Date", "Impressions", "Engagements", "New follows", "Unfollows"),
    identity=None,
    account_ref=no_account_ref,
    read=_read,
)
