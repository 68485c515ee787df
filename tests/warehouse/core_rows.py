"""Hand-made core rows for the model tests: plain SQL inserts that run on both warehouses.

Every ``add_*`` function takes an open connection (``with warehouse.begin() as conn``); keys
of places and follower locations come from socialmetrics.text.place_key, as the loader makes
them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from socialmetrics.text import place_key
from socialmetrics.warehouse.bulk import append_dataframe

AS_OF = date(2024, 6, 30)
ORGANISATION = "Norfolk Constabulary"
AREA = "Norfolk"

_post_ids = itertools.count(1)


def days_before(days: int, day: date = AS_OF) -> date:
    return day - timedelta(days=days)


def add_loaded_days(conn: Connection, *days: date) -> None:
    """Record loaded days; the latest one is the marts' as-of day."""
    for day in days:
        conn.execute(sa.text("insert into core.loaded_day (day) values (:day)"), {"day": day})


def add_account(
    conn: Connection,
    ref: str,
    *,
    opened_on: date,
    organisation: str = ORGANISATION,
    platform: str = "x",
    kind: str = "district",
    area: str = AREA,
    closed_on: date | None = None,
    owner_email: str | None = None,
    successor_ref: str | None = None,
) -> str:
    """Insert a registry account; return its account_key (``platform:ref``)."""
    key = f"{platform}:{ref}"
    conn.execute(
        sa.text(
            "insert into core.account (account_key, organisation, platform, account_ref, "
            "display_name, kind, area, owner_email, opened_on, closed_on, successor_ref) values "
            "(:key, :organisation, :platform, :ref, :display_name, :kind, :area, :owner_email, "
            ":opened_on, :closed_on, :successor_ref)"
        ),
        {
            "key": key,
            "organisation": organisation,
            "platform": platform,
            "ref": ref,
            "display_name": f"{ref} display name",
            "kind": kind,
            "area": area,
            "owner_email": owner_email,
            "opened_on": opened_on,
            "closed_on": closed_on,
            "successor_ref": successor_ref,
        },
    )
    return key


def add_post(
    conn: Connection,
    account_key: str,
    published: date | datetime,
    *,
    likes: int = 0,
    replies: int = 0,
    reposts: int = 0,
    quotes: int = 0,
    impressions: int | None = None,
    kind: str = "original",
) -> datetime:
    """Insert a post (a bare date means noon UTC) of ``kind`` (original, reply, quote or
    repost); engagement is the sum of the four counts. Returns the post's published_at.
    """
    published_at = (
        published if isinstance(published, datetime) else datetime.combine(published, time(12, 0))
    )
    conn.execute(
        sa.text(
            "insert into core.post (account_key, post_id, published_at, published_on, "
            "post_kind, likes, replies, reposts, quotes, bookmarks, impressions, engagement) "
            "values (:key, :id, :published_at, :published_on, :kind, :likes, :replies, "
            ":reposts, :quotes, null, :impressions, :engagement)"
        ),
        {
            "key": account_key,
            "id": str(next(_post_ids)),
            "published_at": published_at,
            "published_on": published_at.date(),
            "likes": likes,
            "replies": replies,
            "reposts": reposts,
            "quotes": quotes,
            "impressions": impressions,
            "engagement": likes + replies + reposts + quotes,
            "kind": kind,
        },
    )
    return published_at


def add_read(
    conn: Connection,
    account_key: str,
    run_day: date,
    covered_from: date,
    *,
    reason: str | None = None,
    detail: str | None = None,
) -> None:
    """Record a run's read of an account: outcome 'read', or 'unreachable' with ``reason``."""
    conn.execute(
        sa.text(
            "insert into core.account_read (account_key, run_day, covered_from, covered_to, "
            "outcome, reason, detail) values (:key, :day, :first, :day, :outcome, :reason, "
            ":detail)"
        ),
        {
            "key": account_key,
            "day": run_day,
            "first": covered_from,
            "outcome": "read" if reason is None else "unreachable",
            "reason": reason,
            "detail": detail,
        },
    )


def add_setting(conn: Connection, name: str, value: object) -> None:
    """Set a model setting (core.pipeline_setting), e.g. stale_after_days."""
    conn.execute(
        sa.text("insert into core.pipeline_setting (name, value) values (:n, :v)"),
        {"n": name, "v": str(value)},
    )


def set_active_post_kinds(conn: Connection, *kinds: str) -> None:
    """The post kinds that count as posting (core.active_post_kind)."""
    for kind in kinds:
        conn.execute(sa.text("insert into core.active_post_kind values (:k)"), {"k": kind})


def add_day_only_post(conn: Connection, account_key: str, day: date, *, likes: int = 0) -> None:
    """Insert a post known by its publish day only, without quotes (as X's content export
    gives it): published_at and quotes null."""
    conn.execute(
        sa.text(
            "insert into core.post (account_key, post_id, published_at, published_on, likes, "
            "replies, reposts, quotes, engagement) values (:key, :id, null, :day, :likes, 0, 0, "
            "null, :likes)"
        ),
        {"key": account_key, "id": str(next(_post_ids)), "day": day, "likes": likes},
    )


def add_follower_changes(
    conn: Connection, account_key: str, changes: dict[date, tuple[int | None, int | None]]
) -> None:
    """Insert follows and unfollows per day (X's account overview export)."""
    for day, (new_follows, unfollows) in changes.items():
        conn.execute(
            sa.text(
                "insert into core.follower_change (account_key, day, new_follows, unfollows) "
                "values (:key, :day, :new, :gone)"
            ),
            {"key": account_key, "day": day, "new": new_follows, "gone": unfollows},
        )


def add_daily_posts(
    conn: Connection, account_key: str, likes_by_day: dict[date, Iterable[int] | int]
) -> int:
    """Bulk-insert posts published at noon: one per value of ``likes_by_day[day]`` (a bare
    number is one post), with that many likes and no other engagement. Returns the posts
    inserted; far faster than add_post for months of history."""
    rows = []
    for day, likes in likes_by_day.items():
        for count in [likes] if isinstance(likes, int) else likes:
            rows.append(
                {
                    "account_key": account_key,
                    "post_id": str(next(_post_ids)),
                    "published_at": datetime.combine(day, time(12, 0)),
                    "published_on": day,
                    "likes": int(count),
                    "replies": 0,
                    "reposts": 0,
                    "quotes": 0,
                    "engagement": int(count),
                }
            )
    return append_dataframe(conn, "core.post", pd.DataFrame(rows))


def add_consolidation(
    conn: Connection,
    event_date: date,
    *,
    organisation: str = ORGANISATION,
    description: str = "officer accounts closed into district accounts",
) -> None:
    conn.execute(
        sa.text(
            "insert into core.consolidation (organisation, event_date, description) "
            "values (:organisation, :event_date, :description)"
        ),
        {"organisation": organisation, "event_date": event_date, "description": description},
    )


def add_snapshot(
    conn: Connection,
    account_key: str,
    snapshot_date: date,
    followers: int,
    post_count: int | None = None,
) -> None:
    """Insert an account snapshot; ``post_count`` is the platform's count of all its posts."""
    conn.execute(
        sa.text(
            "insert into core.account_snapshot "
            "(account_key, snapshot_date, followers_count, post_count) "
            "values (:key, :day, :followers, :posts)"
        ),
        {"key": account_key, "day": snapshot_date, "followers": followers, "posts": post_count},
    )


def add_threshold(conn: Connection, kind: str, dormant_after_days: int) -> None:
    """Set the dormancy threshold of an account kind (``'*'`` is the default)."""
    conn.execute(
        sa.text("insert into core.dormancy_threshold (kind, dormant_after_days) values (:k, :d)"),
        {"k": kind, "d": dormant_after_days},
    )


def add_places(conn: Connection, area: str, places: Iterable[str]) -> None:
    """Add gazetteer places of ``area`` with their place keys."""
    for place in places:
        conn.execute(
            sa.text("insert into core.area_place (area, place, place_key) values (:a, :p, :k)"),
            {"a": area, "p": place, "k": place_key(place)},
        )


def add_follower_sample(
    conn: Connection, account_key: str, sample_date: date, locations: Iterable[str | None]
) -> None:
    """Add one sampled follower per location (None = no location) with its location key."""
    for position, location in enumerate(locations):
        conn.execute(
            sa.text(
                "insert into core.follower_sample (account_key, sample_date, position, location, "
                "location_key) values (:key, :day, :position, :location, :location_key)"
            ),
            {
                "key": account_key,
                "day": sample_date,
                "position": position,
                "location": location,
                "location_key": place_key(location),
            },
        )


def fetch(engine: Engine, sql: str, **params) -> list[dict]:
    """Run a query; return its rows as dicts."""
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(sa.text(sql), params)]


def activity_by_day(engine: Engine, account_key: str) -> dict[date, dict]:
    """The marts.account_activity rows of one account, by day."""
    rows = fetch(
        engine,
        "select * from marts.account_activity where account_key = :key order by day",
        key=account_key,
    )
    return {row["day"]: row for row in rows}


def add_small_organisation(engine) -> tuple[str, str]:
    """Two accounts of the test organisation with a few days of data, enough for every mart to
    have rows: an active district account and a quiet officer account. Returns their keys."""
    with engine.begin() as conn:
        add_loaded_days(conn, days_before(1), AS_OF)
        add_places(conn, AREA, ["Norwich"])
        active = add_account(conn, "busy", opened_on=days_before(100))
        quiet = add_account(conn, "quiet", opened_on=days_before(100), kind="officer")
        add_post(conn, active, days_before(2), likes=3, replies=1)
        add_post(conn, quiet, days_before(60), likes=1)
        add_snapshot(conn, active, AS_OF, 120)
        add_snapshot(conn, quiet, AS_OF, 40)
        add_follower_sample(conn, active, AS_OF, ["Norwich", "Leeds", None])
    return active, quiet
