"""Parse X API v2 answers from the raw landing into staging frames (see staging/__init__)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from socialmetrics.staging.values import counts, parse_json, utc_timestamps
from socialmetrics.text import place_key
from socialmetrics.window import RunWindow

SNAPSHOT_COLUMNS = [
    "account_key",
    "snapshot_date",
    "platform_user_id",
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


def with_derived_post_columns(posts: pd.DataFrame) -> pd.DataFrame:
    """Typed posts (``RECEIVED_POST_COLUMNS``) with ``published_on``, the UTC date of
    ``published_at``, and ``engagement`` = likes + replies + reposts + quotes (SPEC §7), in
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


def _texts(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    for column in columns:
        frame[column] = frame[column].map(lambda v: v if isinstance(v, str) else None)


def parse_x_landing(records: Iterable[dict], window: RunWindow) -> Parsed:
    """Turn landed X answers into staging frames.

    Only answers with status 200 and a JSON body are used (failed attempts were retried by
    the client and stay in ``raw``). Partial ``errors`` of a user lookup, and requested
    accounts missing from its answer, become issues. Values are typed here; a value of the
    wrong type becomes null so that validation rejects the row with its reason.
    """
    snapshots, posts, followers = [], [], []
    # Lookup problems keyed by username: an account a later answer did return is not one.
    lookup_issues: dict[str, dict] = {}
    found: set[str] = set()
    drift: list[dict] = []
    positions: dict[str, int] = defaultdict(int)
    answers = 0
    for record in records:
        if record["status"] != 200:
            continue
        body = parse_json(record["body"])
        if not isinstance(body, dict):
            continue
        answers += 1
        context = record.get("context") or {}
        kind = context.get("kind")
        data = body.get("data") or []
        if not isinstance(data, list):
            drift.append(
                {
                    "platform": "x",
                    "endpoint": record["endpoint"],
                    "account_ref": context.get("account_key"),
                    "issue": "schema drift",
                    "detail": f"`data` is a {type(data).__name__}, not a list: "
                    + record["body"][:500],
                }
            )
            data = []
        if kind == "lookup":
            wanted = dict(context.get("accounts", {}))
            for user in data:
                name = str(user.get("username", "")).lower() if isinstance(user, dict) else ""
                key = wanted.pop(name, None)
                if key is None:
                    continue
                found.add(name)
                metrics = user.get("public_metrics") or {}
                snapshots.append(
                    {
                        "account_key": key,
                        "snapshot_date": window.day,
                        "platform_user_id": user.get("id"),
                        "created_at": user.get("created_at"),
                        "profile_location": user.get("location"),
                        "followers_count": metrics.get("followers_count"),
                        "following_count": metrics.get("following_count"),
                        "post_count": metrics.get("tweet_count"),
                        "listed_count": metrics.get("listed_count"),
                        "_record": json.dumps(user, ensure_ascii=False),
                    }
                )
            for error in body.get("errors") or []:
                error = error if isinstance(error, dict) else {"detail": json.dumps(error)}
                ref = str(error.get("value") or error.get("resource_id") or "")
                wanted.pop(ref.lower(), None)
                lookup_issues[ref.lower()] = {
                    "platform": "x",
                    "endpoint": record["endpoint"],
                    "account_ref": ref or None,
                    "issue": error.get("title") or "error",
                    "detail": error.get("detail") or json.dumps(error),
                }
            for ref in wanted:
                lookup_issues[ref] = {
                    "platform": "x",
                    "endpoint": record["endpoint"],
                    "account_ref": ref,
                    "issue": "missing from answer",
                    "detail": "the user lookup answered neither data nor an error for it",
                }
        elif kind == "posts":
            for post in data:
                post = post if isinstance(post, dict) else {}
                metrics = post.get("public_metrics") or {}
                posts.append(
                    {
                        "account_key": context["account_key"],
                        "post_id": post.get("id"),
                        "published_at": post.get("created_at"),
                        "likes": metrics.get("like_count"),
                        "replies": metrics.get("reply_count"),
                        "reposts": metrics.get("retweet_count"),
                        "quotes": metrics.get("quote_count"),
                        "bookmarks": metrics.get("bookmark_count"),
                        "impressions": metrics.get("impression_count"),
                        "_record": json.dumps(post, ensure_ascii=False),
                    }
                )
        elif kind == "followers":
            key = context["account_key"]
            for follower in data:
                follower = follower if isinstance(follower, dict) else {}
                location = follower.get("location")
                location = location if isinstance(location, str) else None
                followers.append(
                    {
                        "account_key": key,
                        "sample_date": window.day,
                        "position": positions[key],
                        "location": location,
                        "location_key": place_key(location),
                        # Only the location is kept: who follows is not the pipeline's business.
                        "_record": json.dumps({"location": location}, ensure_ascii=False),
                    }
                )
                positions[key] += 1

    issues = drift + [issue for name, issue in lookup_issues.items() if name not in found]
    # object dtype keeps each value as received, so one odd value cannot retype a column.
    snapshot_frame = pd.DataFrame(snapshots, columns=SNAPSHOT_COLUMNS, dtype=object)
    counts(snapshot_frame, ["followers_count", "following_count", "post_count", "listed_count"])
    _texts(snapshot_frame, ["platform_user_id", "profile_location"])
    snapshot_frame["created_at"] = utc_timestamps(snapshot_frame["created_at"])
    snapshot_frame["snapshot_date"] = pd.to_datetime(snapshot_frame["snapshot_date"]).dt.date

    post_frame = pd.DataFrame(
        posts,
        columns=RECEIVED_POST_COLUMNS,
        dtype=object,
    )
    counts(post_frame, ["likes", "replies", "reposts", "quotes", "bookmarks", "impressions"])
    post_frame["post_id"] = post_frame["post_id"].map(
        lambda v: v if isinstance(v, str) and v.isdigit() else None
    )
    post_frame["published_at"] = utc_timestamps(post_frame["published_at"])
    post_frame = with_derived_post_columns(post_frame)

    follower_frame = pd.DataFrame(followers, columns=FOLLOWER_COLUMNS)
    follower_frame["position"] = follower_frame["position"].astype("int32")
    follower_frame["sample_date"] = pd.to_datetime(follower_frame["sample_date"]).dt.date
    return Parsed(
        frames={
            "account_snapshot": snapshot_frame,
            "post": post_frame,
            "follower_sample": follower_frame,
        },
        issues=issues,
        answers=answers,
    )
