"""X API v2 request handling of the sandbox: routes, parameters, answer bodies (SPEC §5.2).

Pure functions of a :class:`~socialmetrics.sandbox.scenario.Scenario` and the request: no
sockets, no clock. The HTTP layer (:mod:`socialmetrics.sandbox.server`) adds auth, rate
limits and faults around :meth:`XApiV2.answer`.

Answer shapes follow X API v2: ``data`` / ``errors`` / ``meta``; an empty page is
``{"meta": {"result_count": 0}}`` with no ``data`` key; an unknown user id on a timeline or
followers call is HTTP 200 with only an ``errors`` array; bad parameters are HTTP 400 with
an ``invalid-request`` problem.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from socialmetrics.sandbox.scenario import Scenario, ScenarioAccount, ScenarioFollower, ScenarioPost

__all__ = [
    "ENDPOINTS",
    "FOLLOWERS",
    "USERS",
    "USERS_BY",
    "USER_TWEETS",
    "ApiAnswer",
    "Route",
    "XApiV2",
    "match_route",
    "problem",
]

USERS = "/2/users"
USERS_BY = "/2/users/by"
USER_TWEETS = "/2/users/:id/tweets"
FOLLOWERS = "/2/users/:id/followers"
ENDPOINTS = (USERS, USERS_BY, USER_TWEETS, FOLLOWERS)

INVALID_REQUEST = "https://api.twitter.com/2/problems/invalid-request"
NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"
NOT_AUTHORIZED = "https://api.twitter.com/2/problems/not-authorized-for-resource"

_USERNAME = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_USER_ID = re.compile(r"^[0-9]{1,19}$")
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
_USERS_BY_PARAMS = ("usernames", "expansions", "tweet.fields", "user.fields")
_EXCLUDE_NAMES = {"reply": "replies", "repost": "retweets"}  # post kind -> `exclude` value
_USERS_PARAMS = ("ids", "expansions", "tweet.fields", "user.fields")
_TIMELINE_PARAMS = (
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
_FOLLOWERS_PARAMS = ("max_results", "pagination_token", "expansions", "tweet.fields", "user.fields")


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


class _Invalid(Exception):
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


def _invalid_request(errors: list[_Invalid]) -> dict[str, Any]:
    return {
        "errors": [{"parameters": {e.parameter: e.values}, "message": e.message} for e in errors],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": INVALID_REQUEST,
    }


def _not_found(value: str, parameter: str, label: str) -> dict[str, Any]:
    return {
        "value": value,
        "detail": f"Could not find user with {label}: [{value}].",
        "title": "Not Found Error",
        "resource_type": "user",
        "parameter": parameter,
        "resource_id": value,
        "type": NOT_FOUND,
    }


def _suspended(value: str, parameter: str) -> dict[str, Any]:
    return {
        "value": value,
        "detail": f"User has been suspended: [{value}].",
        "title": "Forbidden",
        "resource_type": "user",
        "parameter": parameter,
        "resource_id": value,
        "type": NOT_FOUND,
    }


def _not_authorized(user_id: str) -> dict[str, Any]:
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


def _last_day(moment: datetime):
    """The last day with posts at ``moment`` (a moment at midnight ends the day before)."""
    return (moment - timedelta(microseconds=1)).astimezone(UTC).date()


def _data_and_errors(data: list, errors: list) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if data:
        body["data"] = data
    if errors:
        body["errors"] = errors
    return body


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class XApiV2:
    """Answers X API v2 requests from a scenario.

    ``answer(route, query)`` takes the query as parsed by :func:`urllib.parse.parse_qs`
    (name -> list of values) and returns an :class:`ApiAnswer`, as of ``clock()`` (default:
    the scenario's end): follower counts, handles and post counts of that moment, no post
    after it. Pagination tokens are opaque, bound to the user and the endpoint and signed
    with a key derived from the scenario's seed: the same request always gets the same
    token, a forged or foreign token is a 400. A protected account is looked up like any
    other, but its timeline and followers are answered with errors only (HTTP 200), as X
    does; a suspended account is left out of lookups with an error.
    """

    def __init__(self, scenario: Scenario, clock: Callable[[], datetime] | None = None) -> None:
        self.scenario = scenario
        self.clock = clock or (lambda: scenario.now)
        self._key = hashlib.sha256(f"sandbox-token-key:{scenario.seed}".encode()).digest()

    # -- dispatch ----------------------------------------------------------------------

    def answer(
        self, route: Route, query: Mapping[str, Sequence[str]], *, partial: bool = False
    ) -> ApiAnswer:
        """Answer one GET. ``partial`` (users/by only) moves the first found user to
        ``errors`` as if it did not exist: the sandbox's transient partial-answer fault."""
        try:
            if route.endpoint == USERS_BY:
                return self._users_by(self._params(query, _USERS_BY_PARAMS), partial)
            if route.endpoint == USERS:
                return self._users(self._params(query, _USERS_PARAMS))
            user_id = route.user_id or ""
            if not _USER_ID.match(user_id):
                raise _Invalid(
                    "id", [user_id], f"The `id` query parameter value [{user_id}] is not valid"
                )
            if route.endpoint == USER_TWEETS:
                return self._timeline(user_id, self._params(query, _TIMELINE_PARAMS))
            return self._followers(user_id, self._params(query, _FOLLOWERS_PARAMS))
        except _Invalid as invalid:
            return ApiAnswer(400, _invalid_request([invalid]))

    @staticmethod
    def _params(query: Mapping[str, Sequence[str]], allowed: Sequence[str]) -> dict[str, str]:
        params: dict[str, str] = {}
        for name, values in query.items():
            if name not in allowed:
                raise _Invalid(
                    name,
                    list(values),
                    f"The query parameter [{name}] is not one of [{','.join(allowed)}]",
                )
            if len(values) != 1:
                raise _Invalid(
                    name, list(values), f"The query parameter [{name}] was given more than once"
                )
            params[name] = values[0]
        return params

    # -- parameters --------------------------------------------------------------------

    @staticmethod
    def _fields(params: Mapping[str, str], name: str, allowed: Sequence[str]) -> set[str]:
        raw = params.get(name)
        if raw is None:
            return set()
        fields = raw.split(",")
        for value in fields:
            if value not in allowed:
                raise _Invalid(
                    name,
                    [value],
                    f"The `{name}` query parameter value [{value}] is not one of "
                    f"[{','.join(allowed)}]",
                )
        return set(fields)

    @staticmethod
    def _max_results(params: Mapping[str, str], low: int, high: int, default: int) -> int:
        raw = params.get("max_results")
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high or not raw.strip().isdigit():
            raise _Invalid(
                "max_results",
                [raw],
                f"The `max_results` query parameter value [{raw}] is not between {low} and {high}",
            )
        return value

    @staticmethod
    def _time(params: Mapping[str, str], name: str) -> datetime | None:
        raw = params.get(name)
        if raw is None:
            return None
        try:
            if "T" not in raw:
                raise ValueError(raw)
            moment = datetime.fromisoformat(raw)
            if moment.tzinfo is None:
                raise ValueError(raw)
        except ValueError:
            raise _Invalid(
                name,
                [raw],
                f"Invalid '{name}':'{raw}'. '{name}' must be a valid RFC 3339 date-time",
            ) from None
        return moment.astimezone(UTC)

    @staticmethod
    def _id_param(params: Mapping[str, str], name: str) -> int | None:
        raw = params.get(name)
        if raw is None:
            return None
        if not _USER_ID.match(raw):
            raise _Invalid(name, [raw], f"The `{name}` query parameter value [{raw}] is not valid")
        return int(raw)

    def _token(self, kind: str, user_id: str, position: int) -> str:
        raw = f"{kind}.{user_id}.{position}".encode()
        signature = hmac.new(self._key, raw, "sha256").digest()[:6]
        return base64.b32encode(signature + raw).decode().lower().rstrip("=")

    def _position(self, params: Mapping[str, str], kind: str, user_id: str) -> int | None:
        token = params.get("pagination_token")
        if token is None:
            return None
        try:
            padded = token.upper() + "=" * (-len(token) % 8)
            decoded = base64.b32decode(padded)
            signature, raw = decoded[:6], decoded[6:]
            expected = hmac.new(self._key, raw, "sha256").digest()[:6]
            token_kind, token_user, position = raw.decode().split(".")
            if (
                not hmac.compare_digest(signature, expected)
                or token_kind != kind
                or token_user != user_id
            ):
                raise ValueError(token)
            return int(position)
        except (ValueError, UnicodeDecodeError):
            raise _Invalid(
                "pagination_token",
                [token],
                f"The `pagination_token` query parameter value [{token}] is not valid",
            ) from None

    # -- GET /2/users/by ---------------------------------------------------------------

    def _users_by(self, params: dict[str, str], partial: bool) -> ApiAnswer:
        raw = params.get("usernames", "")
        names = raw.split(",") if raw else []
        if not names:
            raise _Invalid("usernames", [], "The `usernames` query parameter can not be empty")
        if len(names) > 100:
            raise _Invalid(
                "usernames",
                [raw],
                f"The number of values in the `usernames` query parameter list [{len(names)}] "
                "is not between 1 and 100",
            )
        for name in names:
            if not _USERNAME.match(name):
                raise _Invalid(
                    "usernames",
                    [name],
                    f"The `usernames` query parameter value [{name}] does not match "
                    "^[A-Za-z0-9_]{1,15}$",
                )
        fields = self._fields(params, "user.fields", USER_FIELDS)
        self._fields(params, "tweet.fields", TWEET_FIELDS)
        self._fields(
            params, "expansions", ("pinned_tweet_id", "most_recent_tweet_id", "affiliation.user_id")
        )
        data, errors = [], []
        seen: set[str] = set()
        dropped = False
        now = self.clock()
        for name in names:
            if name.lower() in seen:
                continue
            seen.add(name.lower())
            account = self.scenario.find_account(name, now)
            if account is None or (partial and not dropped):
                dropped = dropped or account is not None
                errors.append(_not_found(name, "usernames", "usernames"))
                continue
            if account.status == "suspended":
                errors.append(_suspended(name, "usernames"))
                continue
            data.append(self._account_object(account, fields))
        return ApiAnswer(200, _data_and_errors(data, errors))

    # -- GET /2/users ------------------------------------------------------------------

    def _users(self, params: dict[str, str]) -> ApiAnswer:
        raw = params.get("ids", "")
        ids = raw.split(",") if raw else []
        if not ids:
            raise _Invalid("ids", [], "The `ids` query parameter can not be empty")
        if len(ids) > 100:
            raise _Invalid(
                "ids",
                [raw],
                f"The number of values in the `ids` query parameter list [{len(ids)}] is not "
                "between 1 and 100",
            )
        for value in ids:
            if not _USER_ID.match(value):
                raise _Invalid(
                    "ids", [value], f"The `ids` query parameter value [{value}] is not valid"
                )
        fields = self._fields(params, "user.fields", USER_FIELDS)
        self._fields(params, "tweet.fields", TWEET_FIELDS)
        data, errors = [], []
        for user_id in dict.fromkeys(ids):
            account = self.scenario.account_by_id(user_id)
            if account is None:
                errors.append(_not_found(user_id, "ids", "ids"))
            elif account.status == "suspended":
                errors.append(_suspended(user_id, "ids"))
            else:
                data.append(self._account_object(account, fields))
        return ApiAnswer(200, _data_and_errors(data, errors))

    def _account_object(self, account: ScenarioAccount, fields: set[str]) -> dict[str, Any]:
        now = self.clock()
        user: dict[str, Any] = {
            "id": account.user_id,
            "name": account.display_name,
            "username": account.username_at(now),
        }
        scenario = self.scenario
        if "created_at" in fields:
            opened = datetime(
                account.opened_on.year, account.opened_on.month, account.opened_on.day, tzinfo=UTC
            )
            user["created_at"] = _timestamp(opened.replace(hour=9, minute=account.index % 60))
        if "description" in fields:
            user["description"] = account.description
        if "location" in fields and account.location:
            user["location"] = account.location
        if "protected" in fields:
            user["protected"] = account.status == "protected"
        if "public_metrics" in fields:
            user["public_metrics"] = {
                "followers_count": scenario.followers_at(account, now),
                "following_count": account.following_count,
                "tweet_count": scenario.post_count(account, _last_day(now)),
                "listed_count": account.listed_count,
                "like_count": account.like_count,
            }
        if "verified" in fields:
            user["verified"] = account.verified
        if "verified_type" in fields:
            user["verified_type"] = "government" if account.verified else "none"
        if "url" in fields:
            user["url"] = ""
        if "profile_image_url" in fields:
            user["profile_image_url"] = (
                f"https://pbs.twimg.com/profile_images/{account.user_id}/avatar_normal.jpg"
            )
        if "most_recent_tweet_id" in fields:
            newest = next(scenario.iter_posts(account, end=now), None)
            if newest is not None:
                user["most_recent_tweet_id"] = str(newest.id)
        return user

    # -- GET /2/users/:id/tweets -------------------------------------------------------

    def _timeline(self, user_id: str, params: dict[str, str]) -> ApiAnswer:
        limit = self._max_results(params, 5, 100, 10)
        fields = self._fields(params, "tweet.fields", TWEET_FIELDS)
        self._fields(params, "user.fields", USER_FIELDS)
        start = self._time(params, "start_time")
        end = self._time(params, "end_time")
        if start is not None and end is not None and start >= end:
            raise _Invalid(
                "start_time",
                [params["start_time"]],
                f"Invalid 'start_time':'{params['start_time']}'. 'start_time' must be before "
                f"'end_time':'{params['end_time']}'",
            )
        since_id = self._id_param(params, "since_id")
        until_id = self._id_param(params, "until_id")
        excluded = self._fields(params, "exclude", ("replies", "retweets"))
        position = self._position(params, "tweets", user_id)
        account = self.scenario.account_by_id(user_id)
        refused = self._refusal(account, user_id)
        if refused is not None:
            return refused
        now = self.clock()
        end = now if end is None else min(end, now)
        skipped = {kind for kind, name in _EXCLUDE_NAMES.items() if name in excluded}

        low = self.scenario.reachable_floor_id(account)
        if since_id is not None:
            low = max(low, since_id + 1)
        high = position
        if until_id is not None:
            high = until_id - 1 if high is None else min(high, until_id - 1)
        page: list[ScenarioPost] = []
        following: ScenarioPost | None = None
        for post in self.scenario.iter_posts(
            account, start=start, end=end, min_id=low, max_id=high
        ):
            if post.kind in skipped:
                continue
            if len(page) == limit:
                following = post
                break
            page.append(post)
        if not page:
            return ApiAnswer(200, {"meta": {"result_count": 0}})
        meta: dict[str, Any] = {
            "result_count": len(page),
            "newest_id": str(page[0].id),
            "oldest_id": str(page[-1].id),
        }
        if following is not None:
            meta["next_token"] = self._token("tweets", user_id, following.id)
        data = [self._post_object(p, fields, now) for p in page]
        return ApiAnswer(200, {"data": data, "meta": meta})

    def _refusal(self, account: ScenarioAccount | None, user_id: str) -> ApiAnswer | None:
        """X's HTTP 200 with errors only, for an account whose timeline or followers cannot
        be read (unknown, suspended or protected), else None."""
        if account is None:
            return ApiAnswer(200, {"errors": [_not_found(user_id, "id", "id")]})
        if account.status == "suspended":
            return ApiAnswer(200, {"errors": [_suspended(user_id, "id")]})
        if account.status == "protected":
            return ApiAnswer(200, {"errors": [_not_authorized(user_id)]})
        return None

    @staticmethod
    def _post_object(post: ScenarioPost, fields: set[str], now: datetime) -> dict[str, Any]:
        tweet: dict[str, Any] = {
            "id": str(post.id),
            "text": post.text,
            "edit_history_tweet_ids": [str(post.id)],
        }
        if "created_at" in fields:
            tweet["created_at"] = _timestamp(post.created_at)
        if "public_metrics" in fields:
            tweet["public_metrics"] = post.public_metrics(now)
        if "referenced_tweets" in fields and post.referenced_tweets():
            tweet["referenced_tweets"] = post.referenced_tweets()
        if "author_id" in fields:
            tweet["author_id"] = post.user_id
        if "conversation_id" in fields:
            tweet["conversation_id"] = str(post.id)
        if "lang" in fields:
            tweet["lang"] = "en"
        if "possibly_sensitive" in fields:
            tweet["possibly_sensitive"] = False
        if "reply_settings" in fields:
            tweet["reply_settings"] = "everyone"
        return tweet

    # -- GET /2/users/:id/followers ----------------------------------------------------

    def _followers(self, user_id: str, params: dict[str, str]) -> ApiAnswer:
        limit = self._max_results(params, 1, 1000, 100)
        fields = self._fields(params, "user.fields", USER_FIELDS)
        self._fields(params, "tweet.fields", TWEET_FIELDS)
        position = self._position(params, "followers", user_id) or 0
        account = self.scenario.account_by_id(user_id)
        refused = self._refusal(account, user_id)
        if refused is not None:
            return refused
        total = self.scenario.followers_at(account, self.clock())
        followers = self.scenario.followers(account, position, min(limit, total - position))
        if not followers:
            return ApiAnswer(200, {"meta": {"result_count": 0}})
        meta: dict[str, Any] = {"result_count": len(followers)}
        if position + limit < total:
            meta["next_token"] = self._token("followers", user_id, position + limit)
        data = [self._follower_object(f, fields) for f in followers]
        return ApiAnswer(200, {"data": data, "meta": meta})

    @staticmethod
    def _follower_object(follower: ScenarioFollower, fields: set[str]) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": follower.id,
            "name": follower.name,
            "username": follower.username,
        }
        if "location" in fields and follower.location is not None:
            user["location"] = follower.location
        if "created_at" in fields:
            user["created_at"] = _timestamp(follower.created_at)
        if "protected" in fields:
            user["protected"] = False
        if "verified" in fields:
            user["verified"] = False
        if "description" in fields:
            user["description"] = ""
        return user
