"""Our own documented layout (docs/csv_exports.md, "Our own layout"): files named
``<platform>_<account_ref>_<kind>.csv``, kind ``posts``, ``followers`` or ``cities``, with
the columns of ``REQUIRED_COLUMNS``. The account comes from the file name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from socialmetrics.platforms.csv_export.layouts.cells import Row
from socialmetrics.platforms.csv_export.layouts.layout import Layout, no_account_ref
from socialmetrics.text import place_key

PLATFORMS = ("x", "facebook", "instagram")
FILE_KINDS = ("posts", "followers", "cities")
REQUIRED_COLUMNS = {
    "posts": ("post_id", "published_at", "likes", "replies", "reposts", "quotes"),
    "followers": ("date", "followers_count"),
    "cities": ("date", "city", "followers"),
}
OPTIONAL_COLUMNS = {"posts": ("impressions",), "followers": (), "cities": ()}
ENTITY_OF_KIND = {
    "posts": "post",
    "followers": "account_snapshot",
    "cities": "follower_breakdown",
}
SOURCE_CSV_EXPORT = "csv_export"
DATE_FORMAT, DATE_EXAMPLE = "%Y-%m-%d", "2026-03-31"
_POST_ID = {
    "x": (re.compile(r"^\d+$"), "a post id made of digits"),
    "facebook": (re.compile(r"^\d+_\d+$"), "a Facebook post id <page id>_<post id>"),
    "instagram": (re.compile(r"^\d+$"), "a media id made of digits"),
}


@dataclass(frozen=True)
class ExportName:
    """What a file name says: platform, account_ref and kind (or the problem with it)."""

    platform: str | None
    account_ref: str | None
    kind: str | None
    problem: str | None = None
    issue: str | None = None


def parse_export_name(name: str) -> ExportName:
    """Split ``<platform>_<account_ref>_<kind>.csv``; the account_ref may contain ``_``.

    Platform and kind are matched case-insensitively; the account_ref is kept as written.
    """
    stem, dot, ext = name.rpartition(".")
    platform, _, rest = stem.partition("_")
    ref, _, kind = rest.rpartition("_")
    if not dot or ext.lower() != "csv" or not platform or not ref or not kind:
        return ExportName(
            None,
            None,
            None,
            f"the name is not <platform>_<account_ref>_<kind>.csv (kind one of "
            f"{', '.join(FILE_KINDS)})",
            "bad file name",
        )
    kind = kind.lower()
    if kind not in FILE_KINDS:
        return ExportName(
            platform.lower(),
            ref,
            None,
            f"unknown kind {kind!r} in the name: expected one of {', '.join(FILE_KINDS)}",
            "bad file name",
        )
    if platform.lower() not in PLATFORMS:
        return ExportName(
            None,
            ref,
            kind,
            f"unknown platform {platform!r} in the name: expected one of {', '.join(PLATFORMS)}",
            "unknown platform",
        )
    return ExportName(platform.lower(), ref, kind)


def own_layout(name: ExportName) -> Layout:
    """The layout of one of our own files, from its (valid) name."""
    if name.kind == "posts":
        read = _posts_reader(name.platform)
    else:
        read = _read_followers if name.kind == "followers" else _read_cities
    return Layout(
        name=f"our own {name.kind} layout",
        platform=name.platform,
        entity=ENTITY_OF_KIND[name.kind],
        header=REQUIRED_COLUMNS[name.kind] + OPTIONAL_COLUMNS[name.kind],
        identity=None,
        account_ref=no_account_ref,
        read=read,
    )


def _posts_reader(platform: str):
    pattern, expected = _POST_ID[platform]

    def read(row: Row, timezone: str) -> dict:
        post_id = row.text("post_id")
        if not pattern.match(post_id):
            row.problems.append(f"post_id {post_id!r} is not {expected}")
        published = row.iso_moment("published_at")
        return {
            "post_id": post_id if pattern.match(post_id) else None,
            "published_at": published,
            "published_on": None if published is None else published.date(),
            **{c: row.count(c, required=True) for c in ("likes", "replies", "reposts", "quotes")},
            "bookmarks": None,
            "impressions": row.count("impressions"),
        }

    return read


def _read_followers(row: Row, timezone: str) -> dict:
    return {
        "snapshot_date": row.day("date", DATE_FORMAT, DATE_EXAMPLE),
        "platform_user_id": None,
        "created_at": None,
        "profile_location": None,
        "followers_count": row.count("followers_count", required=True),
        "following_count": None,
        "post_count": None,
        "listed_count": None,
    }


def _read_cities(row: Row, timezone: str) -> dict:
    city = row.text("city") or None
    return {
        "snapshot_date": row.day("date", DATE_FORMAT, DATE_EXAMPLE),
        "place": city,
        "place_key": place_key(city),
        "followers": row.count("followers", required=True),
        "source": SOURCE_CSV_EXPORT,
    }
