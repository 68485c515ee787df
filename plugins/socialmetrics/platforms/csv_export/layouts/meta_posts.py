"""Meta Business Suite post exports (Insights > Content > Export data), Facebook and
Instagram: one row per post, ``Publish time`` in the local time of whoever exported it
(``09/28/2026 18:12``), read in the organisation's time zone and stored in UTC.

Facebook: Post ID (bare; stored as ``<Page ID>_<Post ID>``, as the Graph API names it), Page
ID (account), Publish time, Reactions (likes), Comments (replies), Shares (reposts), Views
(impressions). Instagram: Post ID, Account ID (account; Account username when the id is
empty), Publish time, Likes, Comments (replies), Shares (reposts), Saves (bookmarks), Views
(impressions). Quotes do not exist on either platform: 0, as from the Graph API.
"""

from __future__ import annotations

from socialmetrics.platforms.csv_export.layouts.cells import Row
from socialmetrics.platforms.csv_export.layouts.layout import Layout

TIME_FORMAT = "%m/%d/%Y %H:%M"
TIME_EXAMPLE = "09/28/2026 18:12"


def _published(row: Row, timezone: str) -> dict:
    published = row.local_moment("Publish time", TIME_FORMAT, TIME_EXAMPLE, timezone)
    return {
        "published_at": published,
        "published_on": None if published is None else published.date(),
    }


def _facebook_post_id(row: Row) -> str | None:
    """``<Page ID>_<Post ID>``; a Post ID already written that way is kept."""
    page, written = row.digits("Page ID"), row.text("Post ID")
    if page and written.startswith(f"{page}_") and written[len(page) + 1 :].isdigit():
        return written
    post = row.digits("Post ID")
    return f"{page}_{post}" if page and post else None


def _read_facebook(row: Row, timezone: str) -> dict:
    return {
        "post_id": _facebook_post_id(row),
        **_published(row, timezone),
        "likes": row.count("Reactions", required=True),
        "replies": row.count("Comments", required=True),
        "reposts": row.count("Shares", required=True),
        "quotes": 0,
        "bookmarks": None,
        "impressions": row.count("Views") if "views" in row.cells else None,
    }


def _read_instagram(row: Row, timezone: str) -> dict:
    return {
        "post_id": row.digits("Post ID"),
        **_published(row, timezone),
        "likes": row.count("Likes", required=True),
        "replies": row.count("Comments", required=True),
        "reposts": row.count("Shares", required=True),
        "quotes": 0,
        "bookmarks": row.count("Saves") if "saves" in row.cells else None,
        "impressions": row.count("Views") if "views" in row.cells else None,
    }


def _instagram_account_ref(row: Row) -> str | None:
    return row.text("Account ID") or row.text("Account username") or None


FACEBOOK_POSTS = Layout(
    name="Meta Business Suite Facebook post export",
    platform="facebook",
    entity="post",
    header=("Post ID", "Page ID", "Publish time", "Reactions", "Comments", "Shares"),
    identity="Page ID",
    account_ref=lambda row: row.text("Page ID") or None,
    read=_read_facebook,
)
INSTAGRAM_POSTS = Layout(
    name="Meta Business Suite Instagram post export",
    platform="instagram",
    entity="post",
    header=(
        "Post ID",
        "Account ID",
        "Account username",
        "Publish time",
        "Likes",
        "Comments",
        "Shares",
    ),
    identity="Account ID",
    account_ref=_instagram_account_ref,
    read=_read_instagram,
)
