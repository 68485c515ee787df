"""X API v2 request handling of the sandbox: routes, parameters, answer bodies.

Pure functions of a :class:`~sandbox.scenario.Scenario` and the request: no
sockets, no clock. The HTTP layer (:mod:`sandbox.server`) adds auth, rate
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
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sandbox.scenario import Scenario, ScenarioAccount, ScenarioFollower, ScenarioPost
from sandbox.x_schema import (
    EXCLUDE_NAMES,
    FOLLOWERS_PARAMS,
    TIMELINE_PARAMS,
    TWEET_FIELDS,
    USER_FIELDS,
    USER_ID,
    USER_TWEETS,
    USERNAME,
    USERS,
    USERS_BY,
    USERS_BY_PARAMS,
    USERS_PARAMS,
    ApiAnswer,
    InvalidParameter,
    Route,
    data_and_errors,
    invalid_request,
    last_day,
    not_authorized,
    not_found,
    suspended,
    x_timestamp,
)

__all__ = ["XApiV2"]


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
                return self._users_by(self._params(query, USERS_BY_PARAMS), partial)
            if route.endpoint == USERS:
                return self._users(self._params(query, USERS_PARAMS))
            user_id = route.user_id or ""
            if not USER_ID.match(user_id):
                raise InvalidParameter(
                    "id", [user_id], f"The `id` query parameter value [{user_id}] is not valid"
                )
            if route.endpoint == USER_TWEETS:
                return self._timeline(user_id, self._params(query, TIMELINE_PARAMS))
            return self._followers(user_id, self._params(query, FOLLOWERS_PARAMS))
        except InvalidParameter as invalid:
            return ApiAnswer(400, invalid_request([invalid]))

    @staticmethod
    def _params(query: Mapping[str, Sequence[str]], allowed: Sequence[str]) -> dict[str, str]:
        params: dict[str, str] = {}
        for name, values in query.items():
            if name not in allowed:
                raise InvalidParameter(
                    name,
                    list(values),
                    f"The query parameter [{name}] is not one of [{','.join(allowed)}]",
                )
            if len(values) != 1:
                raise InvalidParameter(
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
                raise InvalidParameter(
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
            raise InvalidParameter(
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
            raise InvalidParameter(
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
        if not USER_ID.match(raw):
            raise InvalidParameter(
                name, [raw], f"The `{name}` query parameter value [{raw}] is not valid"
            )
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
            raise InvalidParameter(
                "pagination_token",
                [token],
                f"The `pagination_token` query parameter value [{token}] is not valid",
            ) from None

    # -- GET /2/users/by ---------------------------------------------------------------

    def _users_by(self, params: dict[str, str], partial: bool) -> ApiAnswer:
        raw = params.get("usernames", "")
        names = raw.split(",") if raw else []
        if not names:
            raise InvalidParameter(
                "usernames", [], "The `usernames` query parameter can not be empty"
            )
        if len(names) > 100:
            raise InvalidParameter(
                "usernames",
                [raw],
                f"The number of values in the `usernames` query parameter list [{len(names)}] "
                "is not between 1 and 100",
            )
        for name in names:
            if not USERNAME.match(name):
                raise InvalidParameter(
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
                errors.append(not_found(name, "usernames", "usernames"))
                continue
            if account.status == "suspended":
                errors.append(suspended(name, "usernames"))
                continue
            data.append(self._account_object(account, fields))
        return ApiAnswer(200, data_and_errors(data, errors))

    # -- GET /2/users ------------------------------------------------------------------

    def _users(self, params: dict[str, str]) -> ApiAnswer:
        raw = params.get("ids", "")
        ids = raw.split(",") if raw else []
        if not ids:
            raise InvalidParameter("ids", [], "The `ids` query parameter can not be empty")
        if len(ids) > 100:
            raise InvalidParameter(
                "ids",
                [raw],
                f"The number of values in the `ids` query parameter list [{len(ids)}] is not "
                "between 1 and 100",
            )
        for value in ids:
            if not USER_ID.match(value):
                raise InvalidParameter(
                    "ids", [value], f"The `ids` query parameter value [{value}] is not valid"
                )
        fields = self._fields(params, "user.fields", USER_FIELDS)
        self._fields(params, "tweet.fields", TWEET_FIELDS)
        data, errors = [], []
        for user_id in dict.fromkeys(ids):
            account = self.scenario.account_by_id(user_id)
            if account is None:
                errors.append(not_found(user_id, "ids", "ids"))
            elif account.status == "suspended":
                errors.append(suspended(user_id, "ids"))
            else:
                data.append(self._account_object(account, fields))
        return ApiAnswer(200, data_and_errors(data, errors))

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
            user["created_at"] = x_timestamp(opened.replace(hour=9, minute=account.index % 60))
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
                "tweet_count": scenario.post_count(account, last_day(now)),
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
            raise InvalidParameter(
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
        skipped = {kind for kind, name in EXCLUDE_NAMES.items() if name in excluded}

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
            return ApiAnswer(200, {"errors": [not_found(user_id, "id", "id")]})
        if account.status == "suspended":
            return ApiAnswer(200, {"errors": [suspended(user_id, "id")]})
        if account.status == "protected":
            return ApiAnswer(200, {"errors": [not_authorized(user_id)]})
        return None

    @staticmethod
    def _post_object(post: ScenarioPost, fields: set[str], now: datetime) -> dict[str, Any]:
        tweet: dict[str, Any] = {
            "id": str(post.id),
            "text": post.text,
            "edit_history_tweet_ids": [str(post.id)],
        }
        if "created_at" in fields:
            tweet["created_at"] = x_timestamp(post.created_at)
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
            user["created_at"] = x_timestamp(follower.created_at)
        if "protected" in fields:
            user["protected"] = False
        if "verified" in fields:
            user["verified"] = False
        if "description" in fields:
            user["description"] = ""
        return user
