"""Parse X API v2 answers from the raw landing into staging frames (see socialmetrics.rows).

One handler per kind of answer (user lookup, timeline page, followers page). What X says
about an account rather than data (not found, suspended, protected, renamed) becomes an
issue and, for the run's read of that account, an ``unreachable`` outcome with X's words.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from socialmetrics.platforms.x.errors import problem_reason
from socialmetrics.rows import (
    ACCOUNT_READ_COLUMNS,
    FOLLOWER_COLUMNS,
    POST_COLUMNS,
    READ,
    RECEIVED_POST_COLUMNS,
    SNAPSHOT_COLUMNS,
    UNREACHABLE,
    AccountRead,
    Parsed,
    account_read_frame,
    fetched_day,
    fetched_moment,
    with_derived_post_columns,
)
from socialmetrics.text import place_key
from socialmetrics.values import counts, parse_json, utc_timestamps
from socialmetrics.window import RunWindow

__all__ = [
    "ACCOUNT_READ_COLUMNS",
    "FOLLOWER_COLUMNS",
    "POST_COLUMNS",
    "RECEIVED_POST_COLUMNS",
    "SNAPSHOT_COLUMNS",
    "Parsed",
    "parse_x_landing",
    "post_kind",
    "with_derived_post_columns",
]

# referenced_tweets types, strongest first: a retweet is a repost whatever else it is.
_REFERENCE_KINDS = (("retweeted", "repost"), ("replied_to", "reply"), ("quoted", "quote"))
_COUNTS = ("likes", "replies", "reposts", "quotes", "bookmarks")


def post_kind(post: dict[str, Any]) -> str:
    """``original``, ``reply``, ``quote`` or ``repost``, from the post's ``referenced_tweets``.

    An answer without ``referenced_tweets`` (asked without it, as older clients did) still
    marks a retweet by its text: X writes every retweet as ``RT @name: ...``.
    """
    references = post.get("referenced_tweets")
    types = {r.get("type") for r in references if isinstance(r, dict)} if references else set()
    for kind, name in _REFERENCE_KINDS:
        if kind in types:
            return name
    if not references and str(post.get("text", "")).startswith("RT @"):
        return "repost"
    return "original"


@dataclass
class _Lookups:
    """The accounts the batch asked X about, and what X said of each."""

    since: dict[str, date] = field(default_factory=dict)  # account_key -> first day to read
    found: dict[str, tuple[dict, dict]] = field(default_factory=dict)  # key -> (user, record)
    problems: dict[str, tuple[dict, dict]] = field(default_factory=dict)  # key -> (issue, rec)
    refused: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (reason, detail)


def _issue(record: dict, key: str | None, ref: str | None, issue: str, detail: str) -> dict:
    return {
        "platform": "x",
        "endpoint": record["endpoint"],
        "account_ref": ref,
        "account_key": key,
        "issue": issue,
        "detail": detail,
    }


def _lookup(record: dict, body: dict, data: list, lookups: _Lookups) -> list[dict]:
    """A users/by or users answer: who was found, who was not and why; renames."""
    context = record.get("context") or {}
    wanted = {str(k).lower(): v for k, v in dict(context.get("accounts", {})).items()}
    refs = dict(context.get("refs", {}))
    by_id = context.get("by") == "ids"
    for key, since in dict(context.get("since", {})).items():
        lookups.since[key] = date.fromisoformat(str(since)[:10])
    issues = []
    for user in data:
        if not isinstance(user, dict):
            continue
        name = str(user.get("id" if by_id else "username", "")).lower()
        key = wanted.pop(name, None)
        if key is None:
            continue
        lookups.found.setdefault(key, (user, record))
        lookups.problems.pop(key, None)
        registered = refs.get(key)
        username = user.get("username")
        if by_id and registered and isinstance(username, str):
            if username.lower() != registered.lower():
                issues.append(
                    _issue(
                        record,
                        key,
                        registered,
                        "renamed",
                        f"X now calls the account @{username} (accounts.csv has "
                        f"{registered}): its history is kept; write {username} as its "
                        "account_ref in accounts.csv",
                    )
                )
    for error in body.get("errors") or []:
        error = error if isinstance(error, dict) else {"detail": json.dumps(error)}
        value = str(error.get("value") or error.get("resource_id") or "")
        key = wanted.pop(value.lower(), None)
        if key is not None and key not in lookups.found:
            what = problem_reason(error)
            detail = error.get("detail") or json.dumps(error)
            lookups.problems[key] = (
                _issue(record, key, value, error.get("title") or what, detail),
                record,
            )
    for value, key in wanted.items():
        if key not in lookups.found and key not in lookups.problems:
            issue = _issue(
                record,
                key,
                value,
                "missing from answer",
                "the user lookup answered neither data nor an error for it",
            )
            lookups.problems[key] = (issue, record)
    return issues


def _post_row(key: str, post: Any) -> dict:
    post = post if isinstance(post, dict) else {}
    metrics = post.get("public_metrics") or {}
    kind = post_kind(post)
    row = {
        "account_key": key,
        "post_id": post.get("id"),
        "published_at": post.get("created_at"),
        "post_kind": kind,
        "likes": metrics.get("like_count"),
        "replies": metrics.get("reply_count"),
        "reposts": metrics.get("retweet_count"),
        "quotes": metrics.get("quote_count"),
        "bookmarks": metrics.get("bookmark_count"),
        "impressions": metrics.get("impression_count"),
        "_record": json.dumps(post, ensure_ascii=False),
    }
    if kind == "repost":
        # X puts the original post's counts on a repost: none of them is the account's own.
        row.update(dict.fromkeys(_COUNTS, 0), impressions=None)
    return row


def _refusal(record: dict, body: dict) -> tuple[str, str] | None:
    """(reason, X's words) when a timeline or followers answer has only errors."""
    errors = body.get("errors")
    if "data" in body or "meta" in body or not isinstance(errors, list) or not errors:
        return None
    first = errors[0] if isinstance(errors[0], dict) else {"detail": json.dumps(errors[0])}
    return problem_reason(first), str(first.get("detail") or json.dumps(first))


class _Rows:
    """Rows of the staging frames as they are parsed, plus what could not be used."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.followers: list[dict] = []
        self.issues: list[dict] = []
        self.positions: dict[str, int] = defaultdict(int)
        self.sample_days: dict[str, date | None] = {}

    def timeline(self, record: dict, body: dict, data: list, lookups: _Lookups) -> None:
        context = record.get("context") or {}
        key = context["account_key"]
        if context.get("since"):
            lookups.since.setdefault(key, date.fromisoformat(str(context["since"])[:10]))
        refused = _refusal(record, body)
        if refused is not None:
            lookups.refused.setdefault(key, refused)
            reason, detail = refused
            self.issues.append(_issue(record, key, None, reason, detail))
            return
        self.posts += [_post_row(key, post) for post in data]

    def follower_page(self, record: dict, body: dict, data: list) -> None:
        key = (record.get("context") or {})["account_key"]
        refused = _refusal(record, body)
        if refused is not None:
            self.issues.append(_issue(record, key, None, *refused))
            return
        # A sample is dated by its first page: the day X was asked who follows.
        day = self.sample_days.setdefault(key, fetched_day(record))
        for follower in data:
            follower = follower if isinstance(follower, dict) else {}
            location = follower.get("location")
            location = location if isinstance(location, str) else None
            self.followers.append(
                {
                    "account_key": key,
                    "sample_date": day,
                    "position": self.positions[key],
                    "location": location,
                    "location_key": place_key(location),
                    # Only the location is kept: who follows is not the pipeline's business.
                    "_record": json.dumps({"location": location}, ensure_ascii=False),
                }
            )
            self.positions[key] += 1


def _drift(record: dict, data: Any) -> dict:
    context = record.get("context") or {}
    return _issue(
        record,
        context.get("account_key"),
        None,
        "schema drift",
        f"`data` is a {type(data).__name__}, not a list: " + record["body"][:500],
    )


def parse_x_landing(
    records: Iterable[dict], window: RunWindow, summary: dict | None = None
) -> Parsed:
    """Turn landed X answers into staging frames.

    Only answers with status 200 and a JSON body are used (failed attempts were retried by
    the client and stay in ``raw``). Snapshots and follower samples are dated by the UTC day
    X answered (``fetched_at``), never by the run's interval. Lookup errors, requested
    accounts missing from an answer, renamed handles and timelines X refuses (protected,
    suspended) become issues; every account asked about gets an ``account_read`` row saying
    whether its posts could be read. ``summary`` is the extract summary: its ``failures``
    (key -> message) are accounts the extract gave up on, read as unreachable. Values are
    typed here; a value of the wrong type becomes null so that validation rejects the row
    with its reason.
    """
    lookups, rows = _Lookups(), _Rows()
    answers = 0
    for record in records:
        body = parse_json(record["body"]) if record["status"] == 200 else None
        if not isinstance(body, dict):
            continue
        answers += 1
        kind = (record.get("context") or {}).get("kind")
        data = body.get("data") or []
        if not isinstance(data, list):
            rows.issues.append(_drift(record, data))
            data = []
        if kind == "lookup":
            rows.issues += _lookup(record, body, data, lookups)
        elif kind == "posts":
            rows.timeline(record, body, data, lookups)
        elif kind == "followers":
            rows.follower_page(record, body, data)
    issues = rows.issues + [issue for issue, _ in lookups.problems.values()]
    reads = _reads(lookups, window, (summary or {}).get("failures") or {})
    return Parsed(
        frames={
            "account_snapshot": _snapshot_frame(lookups),
            "post": _post_frame(rows.posts),
            "follower_sample": _follower_frame(rows.followers),
            "account_read": account_read_frame(reads),
        },
        issues=issues,
        answers=answers,
    )


def _reads(lookups: _Lookups, window: RunWindow, failures: dict[str, str]) -> list[AccountRead]:
    reads = []
    for key, since in lookups.since.items():
        found = lookups.found.get(key)
        answered = fetched_moment(found[1]) if found else None
        read = AccountRead(key, window.day, since, READ, fetched_at=answered)
        if key in lookups.refused:
            reason, detail = lookups.refused[key]
            read = AccountRead(key, window.day, since, UNREACHABLE, reason, detail)
        elif key in failures:
            read = AccountRead(key, window.day, since, UNREACHABLE, "not read", failures[key])
        elif key in lookups.problems:
            issue, _ = lookups.problems[key]
            read = AccountRead(
                key, window.day, since, UNREACHABLE, _problem_word(issue), issue["detail"]
            )
        reads.append(read)
    return reads


def _problem_word(issue: dict) -> str:
    if issue["issue"] == "missing from answer":
        return "missing from answer"
    return problem_reason({"title": issue["issue"], "detail": issue["detail"]})


def _snapshot_frame(lookups: _Lookups) -> pd.DataFrame:
    snapshots = []
    for key, (user, record) in lookups.found.items():
        metrics = user.get("public_metrics") or {}
        snapshots.append(
            {
                "account_key": key,
                "snapshot_date": fetched_day(record),
                "platform_user_id": user.get("id"),
                "username": user.get("username"),
                "created_at": user.get("created_at"),
                "profile_location": user.get("location"),
                "followers_count": metrics.get("followers_count"),
                "following_count": metrics.get("following_count"),
                "post_count": metrics.get("tweet_count"),
                "listed_count": metrics.get("listed_count"),
                "_record": json.dumps(user, ensure_ascii=False),
            }
        )
    # object dtype keeps each value as received, so one odd value cannot retype a column.
    frame = pd.DataFrame(snapshots, columns=SNAPSHOT_COLUMNS, dtype=object)
    counts(frame, ["followers_count", "following_count", "post_count", "listed_count"])
    for column in ("platform_user_id", "username", "profile_location"):
        frame[column] = frame[column].map(lambda v: v if isinstance(v, str) else None)
    frame["created_at"] = utc_timestamps(frame["created_at"])
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"]).dt.date
    return frame


def _post_frame(posts: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(posts, columns=RECEIVED_POST_COLUMNS, dtype=object)
    counts(frame, ["likes", "replies", "reposts", "quotes", "bookmarks", "impressions"])
    frame["post_id"] = frame["post_id"].map(
        lambda v: v if isinstance(v, str) and v.isdigit() else None
    )
    frame["published_at"] = utc_timestamps(frame["published_at"])
    return with_derived_post_columns(frame)


def _follower_frame(followers: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(followers, columns=FOLLOWER_COLUMNS)
    frame["position"] = frame["position"].astype("int32")
    frame["sample_date"] = pd.to_datetime(frame["sample_date"]).dt.date
    return frame
