"""X Analytics, content export (``account_analytics_content_<from>_<to>.csv``): one row per
post, dated by its day only (``Tue, Jul 14, 2026``), the account in each ``Post Link``.

Read: Post id, Date (publish day; no time of day, so ``published_at`` stays null), Post
Link (account), Impressions, Likes, Replies, Reposts, Bookmarks. Not given: quotes (null).
"""

from __future__ import annotations

from socialmetrics.platforms.csv_export.layouts.cells import Row
from socialmetrics.platforms.csv_export.layouts.layout import Layout, x_username

DAY_FORMAT = "%a, %b %d, %Y"
DAY_EXAMPLE = "Tue, Jul 14, 2026"


def _account_ref(row: Row) -> str | None:
    return x_username(row.text("Post Link"))


def _read(row: Row, timezone: str) -> dict:
    return {
        "post_id": row.digits("Post id"),
        "published_at": None,
        "published_on": row.day("Date", DAY_FORMAT, DAY_EXAMPLE),
        "likes": row.count("Likes", required=True),
        "replies": row.count("Replies", required=True),
        "reposts": row.count("Reposts", required=True),
        "quotes": None,
        "bookmarks": row.count("Bookmarks"),
        "impressions": row.count("Impressions"),
    }


X_CONTENT = Layout(
    name="X Analytics content export",
    platform="x",
    entity="post",
    header=(
        "Post id",
        "Date",
        "Post Link",
        "Impressions",
        "Likes",
        "Replies",
        "Reposts",
        "Bookmarks",
    ),
    identity="Post Link",
    account_ref=_account_ref,
    read=_read,
)
