"""Parse Graph API answers (Facebook pages, Instagram accounts) from the raw landing into
staging frames (see :mod:`socialmetrics.staging`).

Same entities and columns as X (``account_snapshot``, ``post``, ``follower_sample``, the
last always empty here: the Graph API gives follower cities, not follower locations), plus:

- ``follower_breakdown``: followers by city from the platform's breakdown (Facebook
  ``page_follows_city``, Instagram ``follower_demographics``; top 45 cities), one row per
  city and one row with ``place`` null for the remainder the breakdown does not name, so
  the rows add up to all followers (SPEC §7.3);
- ``insight_daily``: page insights, one row per (metric, day).

Engagement on Meta posts (SPEC §7.2): likes = reactions (Facebook) or likes (Instagram),
replies = comments, reposts = shares (0 when Facebook leaves ``shares`` out, as it does
for a post nobody shared; 0 on Instagram), quotes = 0.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import pandas as pd

from socialmetrics.staging.values import count, counts, parse_json, utc_timestamps
from socialmetrics.staging.x import (
    FOLLOWER_COLUMNS,
    RECEIVED_POST_COLUMNS,
    SNAPSHOT_COLUMNS,
    Parsed,
    with_derived_post_columns,
)
from socialmetrics.text import place_key
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


def parse_meta_landing(records: Iterable[dict], window: RunWindow) -> Parsed:
    """Turn landed Graph API answers into staging frames.

    Only answers with status 200 and a JSON body are used (failed attempts were retried by
    the client and stay in ``raw``). Recorded as issues: a metric the API refused alone
    with error #100 (retired or unknown), a page or account the API says does not exist,
    and a follower breakdown whose remainder cannot be computed. Values are typed here; a
    value of the wrong type becomes null so that validation rejects the row with its
    reason.
    """
    snapshots, posts, insights = [], [], []
    totals: dict[str, Any] = {}  # account_key -> followers_count of its latest snapshot
    breakdowns: dict[str, tuple[dict[str, Any], dict]] = {}
    issues: dict[tuple[str, str], dict] = {}
    answers = 0
    for record in records:
        context = record.get("context") or {}
        kind = context.get("kind")
        key = context.get("account_key")
        body = parse_json(record.get("body"))
        platform = record.get("platform") or (key or ":").split(":", 1)[0]
        if record.get("status") != 200:
            _record_issue(issues, record, body, kind, key, platform)
            continue
        if not isinstance(body, dict) or not key:
            continue
        answers += 1
        if kind in ("page", "ig_user"):
            followers = body.get("followers_count")
            totals[key] = followers
            snapshots.append(
                {
                    "account_key": key,
                    "snapshot_date": window.day,
                    "platform_user_id": body.get("id"),
                    "created_at": None,
                    "profile_location": None,
                    "followers_count": followers,
                    "following_count": body.get("follows_count") if kind == "ig_user" else None,
                    "post_count": body.get("media_count") if kind == "ig_user" else None,
                    "listed_count": None,
                    "_record": json.dumps(body, ensure_ascii=False),
                }
            )
        elif kind in ("posts", "media"):
            data = body.get("data")
            for item in data if isinstance(data, list) else []:
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
                row["post_id"] = (
                    post_id if isinstance(post_id, str) and valid_id.match(post_id) else None
                )
                posts.append(
                    {
                        "account_key": key,
                        **row,
                        "quotes": 0,
                        "bookmarks": None,
                        "impressions": None,
                        "_record": json.dumps(item, ensure_ascii=False),
                    }
                )
        elif kind == "insights":
            data = body.get("data")
            for item in data if isinstance(data, list) else []:
                if not isinstance(item, dict) or not isinstance(item.get("values"), list):
                    continue
                for value in item["values"]:
                    value = value if isinstance(value, dict) else {}
                    insights.append(
                        {
                            "account_key": key,
                            "metric": item.get("name"),
                            "period": item.get("period"),
                            "end_time": value.get("end_time"),
                            "value": value.get("value"),
                            "_record": json.dumps(value, ensure_ascii=False),
                        }
                    )
        elif kind == "follower_cities":
            cities = _cities(body, platform)
            if cities is None:
                issues[(key, "follower_cities")] = _issue(
                    record,
                    key,
                    "follower breakdown unreadable",
                    "the answer has no city breakdown where one was expected",
                )
                continue
            breakdowns[key] = (cities, record)

    breakdown_rows = []
    for key, (cities, record) in breakdowns.items():
        listed = 0
        for city, followers in cities.items():
            city_followers = count(followers)
            listed += city_followers or 0
            breakdown_rows.append(
                {
                    "account_key": key,
                    "snapshot_date": window.day,
                    "place": city,
                    "place_key": place_key(city),
                    "followers": city_followers,
                    "source": SOURCE_API_BREAKDOWN,
                    "_record": json.dumps(
                        {"place": city, "followers": followers}, ensure_ascii=False
                    ),
                }
            )
        total = count(totals.get(key))
        if total is None:
            issues[(key, "follower_remainder")] = _issue(
                record,
                key,
                "follower remainder unknown",
                "no followers_count for the account in this landing, so the followers the "
                "top-45 city breakdown leaves out cannot be counted",
            )
            continue
        if listed > total:
            issues[(key, "follower_remainder")] = _issue(
                record,
                key,
                "follower breakdown exceeds followers",
                f"the city breakdown lists {listed} followers, followers_count is {total}",
            )
        remainder = max(0, total - listed)
        breakdown_rows.append(
            {
                "account_key": key,
                "snapshot_date": window.day,
                "place": None,
                "place_key": place_key(None),
                "followers": remainder,
                "source": SOURCE_API_BREAKDOWN,
                "_record": json.dumps(
                    {"place": None, "followers": remainder, "followers_count": total}
                ),
            }
        )

    snapshot_frame = pd.DataFrame(snapshots, columns=SNAPSHOT_COLUMNS)
    counts(snapshot_frame, ["followers_count", "following_count", "post_count", "listed_count"])
    snapshot_frame["platform_user_id"] = snapshot_frame["platform_user_id"].map(
        lambda v: v if isinstance(v, str) and v.isdigit() else None
    )
    snapshot_frame["created_at"] = utc_timestamps(snapshot_frame["created_at"])
    snapshot_frame["snapshot_date"] = pd.to_datetime(snapshot_frame["snapshot_date"]).dt.date

    post_frame = pd.DataFrame(posts, columns=RECEIVED_POST_COLUMNS)
    counts(post_frame, ["likes", "replies", "reposts", "quotes", "bookmarks", "impressions"])
    post_frame["published_at"] = utc_timestamps(post_frame["published_at"])
    post_frame = with_derived_post_columns(post_frame)

    follower_frame = pd.DataFrame([], columns=FOLLOWER_COLUMNS)
    follower_frame["position"] = follower_frame["position"].astype("int32")

    breakdown_frame = pd.DataFrame(breakdown_rows, columns=FOLLOWER_BREAKDOWN_COLUMNS)
    breakdown_frame["followers"] = pd.array(breakdown_frame["followers"].tolist(), dtype="Int64")
    breakdown_frame["snapshot_date"] = pd.to_datetime(breakdown_frame["snapshot_date"]).dt.date

    insight_frame = pd.DataFrame(
        insights, columns=["account_key", "metric", "period", "end_time", "value", "_record"]
    )
    # A daily value ends at the next midnight (Pacific time): the day is the one before.
    ends = pd.to_datetime(insight_frame["end_time"], utc=True, errors="coerce", format="ISO8601")
    insight_frame["day"] = (ends - timedelta(days=1)).dt.date
    counts(insight_frame, ["value"])
    insight_frame = insight_frame[INSIGHT_COLUMNS]

    return Parsed(
        frames={
            "account_snapshot": snapshot_frame,
            "post": post_frame,
            "follower_sample": follower_frame,
            "follower_breakdown": breakdown_frame,
            "insight_daily": insight_frame,
        },
        issues=list(issues.values()),
        answers=answers,
    )


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
) -> None:
    """Errors that are facts about the data, not passing faults: a metric refused alone with
    #100, and a node that does not exist. (A #100 on a call asking for several metrics only
    made the client ask for them one by one.)"""
    error = _error(body)
    if error is None or error.get("code") != 100 or not key:
        return
    message = str(error.get("message", ""))
    trace = f" (fbtrace_id {error['fbtrace_id']})" if error.get("fbtrace_id") else ""
    if error.get("error_subcode") == 33:
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
