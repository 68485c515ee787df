"""The rows every platform's parser turns its landed answers into, before validation: one
frame per entity, the same entities for every platform, so every platform feeds the same
core tables.

Entities: ``account_snapshot``, ``post``, ``follower_sample`` (X: sampled follower
locations), ``follower_breakdown`` (Meta: followers by city), ``insight_daily`` (Meta: page
insights), ``follower_change`` (X's account overview export: follows and unfollows per day)
and ``account_read`` (per account and run: which days of posts the run could read, or why
not). A parser returns the entities its platform has; the others count as empty. Each frame
keeps the record as received in ``_record`` so a rejected row can be quarantined exactly as
it came.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

ENTITIES = (
    "account_snapshot",
    "post",
    "follower_sample",
    "follower_breakdown",
    "insight_daily",
    "follower_change",
    "account_read",
)
SNAPSHOT_COLUMNS = [
    "account_key",
    "snapshot_date",
    "platform_user_id",
    "username",
    "created_at",
    "profile_location",
    "followers_count",
    "following_count",
    "post_count",
    "listed_count",
    "_record",
]
POST_COLUMNS = [
    "account_key",
    "post_id",
    "published_at",
    "published_on",
    "post_kind",
    "likes",
    "replies",
    "reposts",
    "quotes",
    "bookmarks",
    "impressions",
    "engagement",
    "_record",
]
# What a platform answers of a post; published_on and engagement are derived from it.
RECEIVED_POST_COLUMNS = [c for c in POST_COLUMNS if c not in ("published_on", "engagement")]
FOLLOWER_COLUMNS = ["account_key", "sample_date", "position", "location", "location_key", "_record"]
ACCOUNT_READ_COLUMNS = [
    "account_key",
    "run_day",
    "covered_from",
    "covered_to",
    "outcome",
    "reason",
    "detail",
    "fetched_at",
    "_record",
]
POST_KINDS = ("original", "reply", "quote", "repost")
# The check a parser makes itself, for rows it could not type at all (an export cell).
UNREADABLE_EXPECTATION = "export_cells_readable"
READ, UNREACHABLE = "read", "unreachable"


def with_derived_post_columns(posts: pd.DataFrame) -> pd.DataFrame:
    """Typed posts (``RECEIVED_POST_COLUMNS``) with ``published_on``, the UTC date of
    ``published_at``, and ``engagement`` = likes + replies + reposts + quotes, in
    ``POST_COLUMNS`` order; the same for every platform.

    A post dated by its day only (an export without the time of day) has ``published_at``
    null and brings its ``published_on``. Quotes a platform does not tell (null) add nothing
    to engagement; engagement is null when likes, replies or reposts is.
    """
    # object: a column of NaT only would otherwise come out as datetime64, not dates.
    published_on = posts["published_at"].dt.date.astype(object)
    if "published_on" in posts.columns:
        published_on = published_on.where(posts["published_at"].notna(), posts["published_on"])
    posts["published_on"] = published_on
    quotes = posts["quotes"].fillna(0)
    posts["engagement"] = posts["likes"] + posts["replies"] + posts["reposts"] + quotes
    return posts[POST_COLUMNS]


@dataclass
class Parsed:
    """Staging frames of one landing file plus what could not be used, as ops issues.

    ``unreadable`` holds rows already rejected by the parser (a CSV cell it could not read),
    as quarantine rows (entity, record, expectation, reason); ``superseded`` counts, per
    entity, the rows left out because a later copy of the same record came in the same
    landing (CSV exports that overlap).
    """

    frames: dict[str, pd.DataFrame]
    issues: list[dict] = field(default_factory=list)
    answers: int = 0
    unreadable: list[dict] = field(default_factory=list)
    superseded: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountRead:
    """What a run could read of one account: the days of posts its read covered, and
    whether the platform let it (``read``) or not (``unreachable``, with the reason)."""

    account_key: str
    run_day: date
    covered_from: date
    outcome: str
    reason: str | None = None
    detail: str | None = None
    fetched_at: datetime | None = None

    def row(self) -> dict:
        return {
            "account_key": self.account_key,
            "run_day": self.run_day,
            "covered_from": min(self.covered_from, self.run_day),
            "covered_to": self.run_day,
            "outcome": self.outcome,
            "reason": self.reason,
            "detail": self.detail,
            "fetched_at": self.fetched_at,
            "_record": f"{self.account_key} {self.outcome} {self.reason or ''}".strip(),
        }


def account_read_frame(reads: list[AccountRead]) -> pd.DataFrame:
    """The ``account_read`` staging frame of some reads (typed, in column order)."""
    frame = pd.DataFrame([read.row() for read in reads], columns=ACCOUNT_READ_COLUMNS)
    for column in ("run_day", "covered_from", "covered_to"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    frame["fetched_at"] = pd.to_datetime(frame["fetched_at"], utc=True)
    frame["fetched_at"] = frame["fetched_at"].dt.tz_convert(None).astype("datetime64[us]")
    return frame


def fetched_day(record: dict) -> date | None:
    """The UTC day an answer was given (the landing's ``fetched_at``), None if unreadable."""
    stamp = fetched_moment(record)
    return None if stamp is None else stamp.date()


def fetched_moment(record: dict) -> datetime | None:
    """The answer's ``fetched_at`` as a naive UTC datetime, None if unreadable."""
    try:
        stamp = pd.Timestamp(record.get("fetched_at"))
    except (TypeError, ValueError):
        return None
    if pd.isna(stamp):
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_pydatetime()
