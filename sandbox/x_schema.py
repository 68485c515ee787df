"""What the X API v2 sandbox serves: its endpoints, the fields and parameters each accepts,
the routes of request paths, and X's problem and error bodies."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

USERS = "/2/users"
USERS_BY = "/2/users/by"
USER_TWEETS = "/2/users/:id/tweets"
FOLLOWERS = "/2/users/:id/followers"
ENDPOINTS = (USERS, USERS_BY, USER_TWEETS, FOLLOWERS)

INVALID_REQUEST = "https://api.twitter.com/2/problems/invalid-request"
NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"
NOT_AUTHORIZED = "https://api.twitter.com/2/problems/not-authorized-for-resource"

USERNAME = re.compile(r"^[A-Za-z0-9_]{1,15}$")
USER_ID = re.compile(r"^[0-9]{1,19}$")
_TIMELINE = re.compile(r"^/2/users/([^/]+)/tweets$")
_FOLLOWERS = re.compile(r"^/2/users/([^/]+)/followers$")

USER_FIELDS = (
    "affiliation",
    "connection_status",
    "created_at",
    "description",
    "entities",
    "id",
    "is_identity_verified",
    "location",
    "most_recent_tweet_id",
    "name",
    "parody",
    "pinned_tweet_id",
    "profile_banner_url",
    "profile_image_url",
    "protected",
    "public_metrics",
    "receives_your_dm",
    "subscription",
    "subscription_type",
    "url",
    "username",
    "verified",
    "verified_followers_count",
    "verified_type",
    "withheld",
)
TWEET_FIELDS = (
    "article",
    "attachments",
    "author_id",
    "card_uri",
    "community_id",
    "context_annotations",
    "conversation_id",
    "created_at",
    "display_text_range",
    "edit_controls",
    "edit_history_tweet_ids",
    "entities",
    "geo",
    "id",
    "in_reply_to_user_id",
    "lang",
    "media_metadata",
    "non_public_metrics",
    "note_tweet",
    "organic_metrics",
    "possibly_sensitive",
    "promoted_metrics",
    "public_metrics",
    "referenced_tweets",
    "reply_settings",
    "scopes",
    "source",
    "text",
    "withheld",
)
USER_EXPANSIONS = ("affiliation.user_id", "most_recent_tweet_id", "pinned_tweet_id")
USERS_BY_PARAMS = ("usernames", "expansions", "tweet.fields", "user.fields")
EXCLUDE_NAMES = {"reply": "replies", "repost": "retweets"}  # post kind -> `exclude` value
USERS_PARAMS = ("ids", "expansions", "tweet.fields", "user.fields")
TIMELINE_PARAMS = (
    "since_id",
    "until_id",
    "max_results",
    "pagination_token",
    "exclude",
    "start_time",
    "end_time",
    "expansions",
    "tweet.fields",
    "media.fields",
    "poll.fields",
    "user.fields",
    "place.fields",
)
FOLLOWERS_PARAMS = ("max_results", "pagination_token", "expansions", "tweet.fields", "user.fields")


@dataclass(frozen=True)
class Route:
    """A matched request path: the endpoint template and the user id in the path, if any."""

    endpoint: str
    user_id: str | None = None


@dataclass(frozen=True)
class ApiAnswer:
    """HTTP status and JSON body of one answer."""

    status: int
    body: dict[str, Any]


class InvalidParameter(Exception):
    def __init__(self, parameter: str, values: Sequence[str], message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.values = list(values)
        self.message = message


def match_route(path: str) -> Route | None:
    """The endpoint a request path belongs to, or ``None`` for a path X does not have."""
    if path == USERS_BY:
        return Route(USERS_BY)
    if path == USERS:
        return Route(USERS)
    for pattern, endpoint in ((_TIMELINE, USER_TWEETS), (_FOLLOWERS, FOLLOWERS)):
        found = pattern.match(path)
        if found:
            return Route(endpoint, found.group(1))
    return None


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> dict[str, Any]:
    """An RFC 7807 problem body as X sends for 401/429/5xx (``type`` ``about:blank``)."""
    body: dict[str, Any] = {"title": title, "detail": detail or title, "type": "about:blank"}
    body["status"] = status
    body.update(extra)
    return body


def invalid_request(errors: list[InvalidParameter]) -> dict[str, Any]:
    return {
        "errors": [{"parameters": {e.parameter: e.values}, "message": e.message} for e in errors],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": INVALID_REQUEST,
    }


def not_found(value: str, parameter: str, label: str) -> dict[str, Any]:
    return {
        "value": value,
        "detail": f"Could not find user with {label}: [{value}].",
        "title": "Not Found Error",
        "resource_type": "user",
        "parameter": parameter,
        "resource_id": value,
        "type": NOT_FOUND,
    }


def suspended(value: str, parameter: str) -> dict[str, Any]:
    return {
        "value": value,
        "detail": f"User has been suspended: [{value}].",
        "title": "Forbidden",
        "resource_type": "user",
        "parameter": parameter,
        "resource_id": value,
        "type": NOT_FOUND,
    }


def not_authorized(user_id: str) -> dict[str, Any]:
    """What X answers (HTTP 200) about a protected account's timeline or followers."""
    return {
        "detail": f"Sorry, you are not authorized to see the user with id: [{user_id}].",
        "parameter": "id",
        "resource_id": user_id,
        "resource_type": "user",
        "section": "data",
        "title": "Authorization Error",
        "type": NOT_AUTHORIZED,
        "value": user_id,
    }


def last_day(moment: datetime):
    """The last day with posts at ``moment`` (a moment at midnight ends the day before)."""
    return (moment - timedelta(microseconds=1)).astimezone(UTC).date()


def data_and_errors(data: list, errors: list) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if data:
        body["data"] = data
    if errors:
        body["errors"] = errors
    return body


def x_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
