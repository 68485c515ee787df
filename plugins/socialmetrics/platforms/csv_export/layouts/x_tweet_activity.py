"""X's legacy tweet activity export (analytics.twitter.com): one row per post with its time
in UTC (``2026-06-20 09:00 +0000``), the account in each ``Tweet permalink``.

Read: Tweet id, Tweet permalink (account), time, impressions, likes, replies, retweets
(reposts), bookmarks (when present). Not given: quotes (null).
"""

from __future__ import annotations

from socialmetrics.platforms.csv_export.layouts.cells import Row
from socialmetrics.platforms.csv_export.layouts.layout import Layout, x_username

TIME_FORMAT = "%Y-%m-%d %H:%M %z"
TIME_EXAMPLE = "2026-06-20 09:00 +0000"


def _account_ref(row: Row) -> str | None:
    return x_username(row.text("Tweet permalink"))


def _read(row: Row, timezone: str) -> dict:
    published = row.utc_moment("time", TIME_FORMAT, TIME_EXAMPLE)
    return {
        "post_id": row.digits("Tweet id"),
        "published_at": published,
        "published_on": None if published is None else published.date(),
        "likes": row.count("likes", required=True),
        "replies": row.count("replies", required=True),
        "reposts": row.count("retweets", required=True),
        "quotes": None,
        "bookmarks": row.count("bookmarks"),
        "impressions": row.count("impressions"),
    }


X_TWEET_ACTIVITY = Layout(
    name="X tweet activity export (legacy)",
    platform="x",
    entity="post",
    header=("Tweet id", "Tweet permalink", "time", "impressions", "likes", "replies", "retweets"),
    identity="Tweet permalink",
    account_ref=_account_ref,
    read=_read,
)
