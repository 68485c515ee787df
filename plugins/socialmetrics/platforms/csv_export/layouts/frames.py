"""The rows read from CSV exports as typed staging frames, one row per record kept.

Exports overlap: the same post sits in three monthly files, a file is downloaded again a
week later with higher counts, a file is dropped twice. Counts only grow as a post ages
(impressions never go down), so of several rows for one record the one with the highest
counts is the latest: ``LATEST_ORDER`` names, per entity, the columns compared in turn
(unknown lowest). The rule needs no file date or modification time, which copying and
re-downloading change, and gives the same rows whatever the order the files arrive in.
The load keeps a stored row against an incoming one with lower counts by the same rule
(``MergeTarget.newer``), so a file dropped after a later one changes nothing either.
"""

from __future__ import annotations

import pandas as pd

from socialmetrics.platforms.meta.parse import FOLLOWER_BREAKDOWN_COLUMNS
from socialmetrics.rows import (
    FOLLOWER_COLUMNS,
    POST_COLUMNS,
    SNAPSHOT_COLUMNS,
    with_derived_post_columns,
)

FOLLOWER_CHANGE_COLUMNS = ["account_key", "day", "new_follows", "unfollows", "_record"]
POST_ORDER = ("impressions", "engagement", "likes", "replies", "reposts", "quotes", "bookmarks")
LATEST_ORDER = {
    "post": (("account_key", "post_id"), POST_ORDER),
    "follower_change": (("account_key", "day"), ("new_follows", "unfollows")),
    "account_snapshot": (("account_key", "snapshot_date"), ("followers_count",)),
    "follower_breakdown": (("account_key", "snapshot_date", "place_key"), ("followers",)),
}
_COUNTS = {
    "post": ("likes", "replies", "reposts", "quotes", "bookmarks", "impressions"),
    "follower_change": ("new_follows", "unfollows"),
    "account_snapshot": ("followers_count", "following_count", "post_count", "listed_count"),
    "follower_breakdown": ("followers",),
}
_COLUMNS = {
    "post": [c for c in POST_COLUMNS if c != "engagement"],
    "follower_change": FOLLOWER_CHANGE_COLUMNS,
    "account_snapshot": SNAPSHOT_COLUMNS,
    "follower_breakdown": FOLLOWER_BREAKDOWN_COLUMNS,
}


def staging_frames(rows: dict[str, list[dict]]) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Typed frames of every entity an export can give (empty ones too), one row per record
    (the latest), and per entity the number of rows superseded by a later copy."""
    frames, superseded = {}, {}
    for entity, columns in _COLUMNS.items():
        frame = pd.DataFrame(rows.get(entity, []), columns=columns, dtype=object)
        for column in _COUNTS[entity]:
            frame[column] = pd.array(frame[column].tolist(), dtype="Int64")
        if entity == "post":
            frame["published_at"] = pd.to_datetime(frame["published_at"]).astype("datetime64[us]")
            # The exports list the account's own posts: what an export row is, is a post.
            frame["post_kind"] = frame["post_kind"].fillna("original")
            frame = with_derived_post_columns(frame)
        if entity == "account_snapshot":
            frame["created_at"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
        frames[entity], superseded[entity] = _latest(entity, frame)
    follower_frame = pd.DataFrame([], columns=FOLLOWER_COLUMNS)
    follower_frame["position"] = follower_frame["position"].astype("int32")
    frames["follower_sample"] = follower_frame
    return frames, superseded


def _latest(entity: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One row per key of ``LATEST_ORDER``: the greatest by its order columns, unknown lowest;
    on a tie, the first by record (file and line), so the choice never depends on order."""
    key, order = LATEST_ORDER[entity]
    ranked = frame.sort_values(
        [*order, "_record"],
        ascending=[False] * len(order) + [True],
        na_position="last",
        kind="stable",
    )
    # The key may hold nulls only where validation will reject the row anyway.
    latest = ranked.drop_duplicates(list(key), keep="first").sort_index()
    return latest.reset_index(drop=True), len(frame) - len(latest)
