"""Parse Graph API answers (Facebook pages, Instagram accounts) from the raw landing into
staging frames (see :mod:`socialmetrics.rows`).

Same entities and columns as X (``account_snapshot``, ``post``, ``follower_sample``, the
last always empty here: the Graph API gives follower cities, not follower locations), plus:

- ``follower_breakdown``: followers by city from the platform's breakdown (Facebook
  ``page_follows_city``, Instagram ``follower_demographics``; top 45 cities), one row per
  city and one row with ``place`` null for the remainder the breakdown does not name, so
  the rows add up to all followers (docs/design.md#7-follower-locality);
- ``insight_daily``: page insights, one row per (metric, day).

Engagement on Meta posts (docs/design.md#6-engagement): likes = reactions (Facebook) or likes
(Instagram), replies = comments, reposts = shares (0 when Facebook leaves ``shares`` out, as it
does for a post nobody shared; 0 on Instagram), quotes = 0.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import pandas as pd

from socialmetrics.rows import (
    FOLLOWER_COLUMNS,
    READ,
    RECEIVED_POST_COLUMNS,
    SNAPSHOT_COLUMNS,
    UNREACHABLE,
    AccountRead,
    Parsed,
    account_read_frame,
    fetched_day,
    with_derived_post_columns,
)
from socialmetrics.text import place_key
from socialmetrics.values import count, counts, parse_json, utc_timestamps
from socialmetrics.window import RunWindow

__all__ = [
    "FOLLOWER_BREAKDOWN_COLUMNS",
    "INSIGHT_COLUMNS",
    "SOURCE_API_BREAKDOWN",
    "parse_meta_landing",
]

FOLLOWER_BREAKDOWN_COLUMNS = [
    "account_key",
    "snapshot_date",
    "place",
    "place_key",
    "followers",
    "source",
    "_record",
]
INSIGHT_COLUMNS = ["account_key", "metric", "period", "day", "value", "_record"]
SOURCE_API_BREAKDOWN = "api_breakdown"
CITY_METRICS = ("page_follows_city", "page_fans_city")
_FACEBOOK_POST_ID = re.compile(r"^\d+_\d+$")
_INSTAGRAM_MEDIA_ID = re.compile(r"^\d+$")


def _ref(account_key: str) -> str:
    return account_key.split(":", 1)[-1]


def _total(edge: Any) -> Any:
    """``summary.total_count`` of a reactions or comments edge."""
    if isinstance(edge, dict) and isinstance(edge.get("summary"), dict):
        return edge["summary"].get("total_count")
    return None


def _shares(post: dict[str, Any]) -> Any:
    shares = post.get("shares")
    if shares is None:
        return 0
    return shares.get("count") if isinstance(shares, dict) else None


def _cities(body: dict[str, Any], platform: str) -> dict[str, Any] | None:
    """City -> followers from a page_follows_city or follower_demographics answer."""
    data = body.get("data")
    if not isinstance(data, list):
        return None
    for item in data:
        if not isinstance(item, dict):
            continue
        if platform == "facebook" and item.get("name") in CITY_METRICS:
            values = item.get("values")
            if isinstance(values, list) and values and isinstance(values[-1], dict):
                value = values[-1].get("value")
                return value if isinstance(value, dict) else None
        if platform == "instagram" and isinstance(item.get("total_value"), dict):
            breakdowns = item["total_value"].get("breakdowns")
            if not isinstance(breakdowns, list) or not breakdowns:
                return None
            results = breakdowns[0].get("results") if isinstance(breakdowns[0], dict) else None
            if not isinstance(results, list):
                return None
            cities = {}
            for result in results:
                keys = result.get("dimension_values") if isinstance(result, dict) else None
                if isinstance(keys, list) and keys:
                    cities[str(keys[0])] = result.get("value")
            return cities
    return None


def _error(body: Any) -> dict[str, Any] | None:
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else None


class _MetaLanding:
    """Rows and issues of one landing file, gathered answer by answer."""

    def __init__(self) -> None:
        self.snapshots: list[dict] = []
        self.posts: list[dict] = []
        self.insights: list[dict] = []
        self.totals: dict[str, Any] = {}  # account_key -> followers_count of its snapshot
        self.breakdowns: dict[str, tuple[dict[str, Any], dict]] = {}
        self.issues: dict[tuple[str, str], dict] = {}
        self.since: dict[str, str] = {}  # account_key -> first day its posts were read from
        self.answered: set[tuple[str, str | None]] = set()  # (account_key, kind) with a 200 answer
        self.refusals: list[tuple[dict, Any, str | None, str | None, str]] = []
        self.answers = 0

    def add(self, record: dict) -> None:
        context = record.get("context") or {}
        kind, key = context.get("kind"), context.get("account_key")
        if key and context.get("since"):
            self.since.setdefault(key, str(context["since"]))
        body = parse_json(record.get("body"))
        platform = record.get("platform") or (key or ":").split(":", 1)[0]
        if record.get("status") != 200:
            self.refusals.append((record, body, kind, key, platform))
            return
        if not isinstance(body, dict) or not key:
            return
        self.answers += 1
        self.answered.add((key, kind))
        if kind in ("page", "ig_user"):
            self._node(record, body, kind, key)
        elif kind in ("posts", "media"):
            data = body.get("data")
            for item in data if isinstance(data, list) else []:
                self.posts.append(_post_row(key, kind, item))
        elif kind == "insights":
            self.insights += _insight_rows(key, body)
        elif kind == "follower_cities":
            cities = _cities(body, platform)
            if cities is None:
                self.issues[(key, "follower_cities")] = _issue(
                    record,
                    key,
                    "follower breakdown unreadable",
                    "the answer has no city breakdown where one was expected",
                )
                return
            self.breakdowns[key] = (cities, record)

    def _node(self, record: dict, body: dict, kind: str, key: str) -> None:
        followers = body.get("followers_count")
        self.totals[key] = followers
        self.snapshots.append(
            {
                "account_key": key,
                "snapshot_date": fetched_day(record),
                "platform_user_id": body.get("id"),
                "username": body.get("username"),
                "created_at": None,
                "profile_location": None,
                "followers_count": followers,
                "following_count": body.get("follows_count") if kind == "ig_user" else None,
                "post_count": body.get("media_count") if kind == "ig_user" else None,
                "listed_count": None,
                "_record": json.dumps(body, ensure_ascii=False),
            }
        )

    def record_refusals(self) -> None:
        """Errors that are facts about the data, once every answer is in: a metric refused
        alone with #100, and a node Graph still says does not exist after the retries."""
        for record, body, kind, key, platform in self.refusals:
            _record_issue(self.issues, record, body, kind, key, platform, self.answered)


def _post_row(key: str, kind: str, item: Any) -> dict:
    item = item if isinstance(item, dict) else {}
    if kind == "posts":
        row = {
            "post_id": item.get("id"),
            "published_at": item.get("created_time"),
            "likes": _total(item.get("reactions")),
            "replies": _total(item.get("comments")),
            "reposts": _shares(item),
        }
        valid_id = _FACEBOOK_POST_ID
    else:
        row = {
            "post_id": item.get("id"),
            "published_at": item.get("timestamp"),
            "likes": item.get("like_count"),
            "replies": item.get("comments_count"),
            "reposts": 0,
        }
        valid_id = _INSTAGRAM_MEDIA_ID
    post_id = row["post_id"]
    row["post_id"] = post_id if isinstance(post_id, str) and valid_id.match(post_id) else None
    return {
        "account_key": key,
        **row,
        "post_kind": "original",
        "quotes": 0,
        "bookmarks": None,
        "impressions": None,
        "_record": json.dumps(item, ensure_ascii=False),
    }


def _insight_rows(key: str, body: dict) -> list[dict]:
    rows = []
    data = body.get("data")
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("values"), list):
            continue
        for value in item["values"]:
            value = value if isinstance(value, dict) else {}
            rows.append(
                {
                    "account_key": key,
                    "metric": item.get("name"),
                    "period": item.get("period"),
                    "end_time": value.get("end_time"),
                    "value": value.get("value"),
                    "_record": json.dumps(value, ensure_ascii=False),
                }
            )
    return rows


def _breakdown_rows(landing: _MetaLanding) -> list[dict]:
    """One row per listed city plus the remainder (place null), so the rows add up to all
    followers; dated by the day Graph answered."""
    rows = []
    for key, (cities, record) in landing.breakdowns.items():
        day = fetched_day(record)
        listed = 0
        for city, followers in cities.items():
            city_followers = count(followers)
            listed += city_followers or 0
            rows.append(
                {
                    "account_key": key,
                    "snapshot_date": day,
                    "place": city,
                    "place_key": place_key(city),
                    "followers": city_followers,
                    "source": SOURCE_API_BREAKDOWN,
                    "_record": json.dumps(
                        {"place": city, "followers": followers}, ensure_ascii=False
                    ),
                }
            )
        total = count(landing.totals.get(key))
        if total is None:
            landing.issues[(key, "follower_remainder")] = _issue(
                record,
                key,
                "follower remainder unknown",
                "no followers_count for the account in this landing, so the followers the "
                "top-45 city breakdown leaves out cannot be counted",
            )
            continue
        if listed > total:
            landing.issues[(key, "follower_remainder")] = _issue(
                record,
                key,
                "follower breakdown exceeds followers",
                f"the city breakdown lists {listed} followers, followers_count is {total}",
            )
        remainder = max(0, total - listed)
        rows.append(
            {
                "account_key": key,
                "snapshot_date": day,
                "place": None,
                "place_key": place_key(None),
                "followers": remainder,
                "source": SOURCE_API_BREAKDOWN,
                "_record": json.dumps(
                    {"place": None, "followers": remainder, "followers_count": total}
                ),
            }
        )
    return rows


def _reads(landing: _MetaLanding, window: RunWindow, summary: dict | None) -> list[AccountRead]:
    """Whether each account's posts could be read this run (deferred accounts have none:
    the next run reads them)."""
    summary = summary or {}
    failures, deferred = summary.get("failures") or {}, summary.get("deferred") or {}
    reads = []
    for key, since in landing.since.items():
        first = date.fromisoformat(since[:10])
        missing = landing.issues.get((key, "not_found"))
        if key in deferred:
            continue
        if missing is not None:
            reads.append(
                AccountRead(key, window.day, first, UNREACHABLE, "not_found", missing["detail"])
            )
        elif key in failures:
            reads.append(
                AccountRead(key, window.day, first, UNREACHABLE, "not read", failures[key])
            )
        else:
            reads.append(AccountRead(key, window.day, first, READ))
    return reads


def parse_meta_landing(
    records: Iterable[dict], window: RunWindow, summary: dict | None = None
) -> Parsed:
    """Turn landed Graph API answers into staging frames.

    Only answers with status 200 and a JSON body are used (failed attempts were retried by
    the client and stay in ``raw``). Snapshots and breakdowns are dated by the UTC day Graph
    answered. Recorded as issues: a metric the API refused alone with error #100 (retired
    or unknown), a page or account the API still says does not exist after the retries,
    and a follower breakdown whose remainder cannot be computed. ``summary`` is the extract
    summary (its ``failures`` and ``deferred`` accounts). Values are typed here; a value of
    the wrong type becomes null so that validation rejects the row with its reason, and a
    value missing from one answer leaves that one cell empty.
    """
    landing = _MetaLanding()
    for record in records:
        landing.add(record)
    landing.record_refusals()
    breakdown_rows = _breakdown_rows(landing)
    return Parsed(
        frames={
            "account_snapshot": _snapshot_frame(landing.snapshots),
            "post": _post_frame(landing.posts),
            "follower_sample": _empty_follower_frame(),
            "follower_breakdown": _breakdown_frame(breakdown_rows),
            "insight_daily": _insight_frame(landing.insights),
            "account_read": account_read_frame(_reads(landing, window, summary)),
        },
        issues=list(landing.issues.values()),
        answers=landing.answers,
    )


def _snapshot_frame(snapshots: list[dict]) -> pd.DataFrame:
    # object dtype keeps each value as received: one answer without a field leaves one cell
    # empty instead of making pandas retype (and null) the whole column.
    frame = pd.DataFrame(snapshots, columns=SNAPSHOT_COLUMNS, dtype=object)
    counts(frame, ["followers_count", "following_count", "post_count", "listed_count"])
    frame["platform_user_id"] = frame["platform_user_id"].map(
        lambda v: v if isinstance(v, str) and v.isdigit() else None
    )
    frame["username"] = frame["username"].map(lambda v: v if isinstance(v, str) else None)
    frame["created_at"] = utc_timestamps(frame["created_at"])
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"]).dt.date
    return frame


def _post_frame(posts: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(posts, columns=RECEIVED_POST_COLUMNS, dtype=object)
    counts(frame, ["likes", "replies", "reposts", "quotes", "bookmarks", "impressions"])
    frame["published_at"] = utc_timestamps(frame["published_at"])
    return with_derived_post_columns(frame)


def _empty_follower_frame() -> pd.DataFrame:
    frame = pd.DataFrame([], columns=FOLLOWER_COLUMNS)
    frame["position"] = frame["position"].astype("int32")
    return frame


def _breakdown_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=FOLLOWER_BREAKDOWN_COLUMNS, dtype=object)
    frame["followers"] = pd.array(frame["followers"].tolist(), dtype="Int64")
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"]).dt.date
    return frame


def _insight_frame(insights: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(
        insights,
        columns=["account_key", "metric", "period", "end_time", "value", "_record"],
        dtype=object,
    )
    # A daily value ends at the next midnight (Pacific time): the day is the one before.
    ends = pd.to_datetime(frame["end_time"], utc=True, errors="coerce", format="ISO8601")
    frame["day"] = (ends - timedelta(days=1)).dt.date
    counts(frame, ["value"])
    return frame[INSIGHT_COLUMNS]


def _issue(record: dict, key: str | None, issue: str, detail: str) -> dict:
    return {
        "platform": record.get("platform"),
        "endpoint": record.get("endpoint"),
        "account_ref": _ref(key) if key else None,
        "issue": issue,
        "detail": detail,
    }


def _record_issue(
    issues: dict[tuple[str, str], dict],
    record: dict,
    body: Any,
    kind: str | None,
    key: str | None,
    platform: str,
    answered: set[tuple[str, str | None]],
) -> None:
    """Errors that are facts about the data, not passing faults: a metric refused alone
    with #100, and a node that does not exist (Graph also says so of live nodes under load,
    so only when no later attempt answered). A #100 on a call asking for several metrics
    only made the client ask for them one by one."""
    error = _error(body)
    if error is None or error.get("code") != 100 or not key:
        return
    message = str(error.get("message", ""))
    trace = f" (fbtrace_id {error['fbtrace_id']})" if error.get("fbtrace_id") else ""
    if error.get("error_subcode") == 33:
        if (key, kind) in answered:
            return
        issues[(key, "not_found")] = _issue(
            record,
            key,
            "not found",
            f"the Graph API has no {platform} account {_ref(key)}: {message}{trace}",
        )
        return
    metric = str((record.get("params") or {}).get("metric", ""))
    if kind in ("insights", "follower_cities") and metric and "," not in metric:
        if "valid insights metric" in message or re.search(r"metric\[\d+\]", message):
            issues[(key, f"metric:{metric}")] = _issue(
                record, key, "metric unavailable", f"{metric}: {message}{trace}"
            )
