"""X API v2 client: user lookup, user timelines and followers.

The same code talks to https://api.x.com and to the project's sandbox; base URL and
bearer token come from the Airflow connection ``x_api`` (host, password).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests

from socialmetrics.airflow_support import connection_env_var
from socialmetrics.platforms.answers import ResponseCallback
from socialmetrics.platforms.http import RetryingClient, Verdict, backoff_delay, header_int
from socialmetrics.platforms.session import DEFAULT_TIMEOUT
from socialmetrics.platforms.x.errors import (
    XApiError,
    XAuthError,
    XResourceError,
    auth_error,
    budget_problem,
    error_list,
    invalid_value_error,
    invalid_values,
    is_rate_limited,
    problem_text,
)

__all__ = [
    "PLATFORM",
    "UserLookup",
    "XClient",
]

log = logging.getLogger(__name__)

PLATFORM = "x"
USERS = "/2/users"
USERS_BY = "/2/users/by"
USER_TWEETS = "/2/users/:id/tweets"
USER_FOLLOWERS = "/2/users/:id/followers"

LOOKUP_BATCH = 100  # usernames per /2/users/by call (API maximum)
TIMELINE_PAGE = (5, 100)  # allowed max_results on /2/users/:id/tweets
FOLLOWERS_PAGE = (1, 1000)  # allowed max_results on /2/users/:id/followers
REACHABLE_POSTS = 3200  # the API serves only the most recent 3,200 posts of a user
RATE_LIMIT_MARGIN = 1.0  # seconds added after x-rate-limit-reset: clocks are not in sync


@dataclass(frozen=True)
class UserLookup:
    """Result of :meth:`XClient.lookup_users`.

    ``users`` are the user objects returned; ``errors`` the API's partial errors (for
    example a username that does not exist or is suspended), recorded rather than raised.
    """

    users: list[dict[str, Any]]
    errors: list[dict[str, Any]]


class XClient(RetryingClient):
    """Client for the X API v2 endpoints the pipeline uses.

    Every call has a timeout. 5xx answers, connection errors, timeouts and 200 answers
    that are not valid JSON are retried with exponential backoff, at most ``max_retries``
    times per request, then :class:`XApiError` is raised. A 429 waits until
    ``x-rate-limit-reset`` (+1 s) and retries (the same budget); an answer with
    ``x-rate-limit-remaining: 0`` makes the next call to that endpoint wait for the reset.
    No single wait exceeds ``max_rate_limit_wait`` seconds: :class:`XApiError` instead.
    401/403 raise :class:`XAuthError` at once.

    ``on_response`` receives a :class:`~socialmetrics.platforms.answers.ResponseRecord` for
    every answer, including error answers and each retry attempt, before the client looks
    at it. The bearer token is sent only in the ``Authorization`` header.

    ``sleep`` is called for every wait (tests pass a recorder); ``session`` may be a
    shared :class:`requests.Session` (the client then leaves it open on :meth:`close`);
    ``seed`` seeds the backoff jitter. A client keeps per-endpoint rate-limit state and
    is not thread-safe: use one per task or thread.
    """

    API_NAME = "X API"
    BASE_URL_HINT = " (e.g. https://api.x.com)"
    error_class = XApiError
    log = log

    def __init__(
        self,
        base_url: str,
        bearer_token: str,
        *,
        connection_id: str = "x_api",
        on_response: ResponseCallback | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = 5,
        backoff_factor: float = 0.5,
        max_rate_limit_wait: float = 900.0,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
        seed: int | None = None,
    ) -> None:
        if not base_url or not base_url.startswith(("http://", "https://")):
            raise ValueError(
                f"X API base URL {base_url!r} must start with https:// or http:// "
                f"(the host of Airflow connection {connection_id!r}, "
                "e.g. https://api.x.com)"
            )
        if not bearer_token:
            raise XAuthError(
                f"Airflow connection {connection_id!r} has no bearer token. "
                f"Put the X API bearer token in the connection's password field "
                f"({connection_env_var(connection_id)}) and rerun.",
                connection_id=connection_id,
            )
        super().__init__(
            base_url.rstrip("/"),
            bearer_token,
            connection_id=connection_id,
            on_response=on_response,
            timeout=timeout,
            max_retries=max_retries,
            backoff_factor=backoff_factor,
            max_rate_limit_wait=max_rate_limit_wait,
            sleep=sleep,
            session=session,
            seed=seed,
        )
        # x-rate-limit-reset is Unix time on the server's clock; compare with ours.
        self._clock: Callable[[], float] = time.time
        self._reset_at: dict[str, int] = {}  # endpoint -> reset time, when remaining hit 0

    # -- public API --------------------------------------------------------------------

    def lookup_users(
        self,
        usernames: Sequence[str],
        user_fields: Sequence[str] = ("created_at", "location", "public_metrics"),
    ) -> UserLookup:
        """Look up users by username, 100 per call (``GET /2/users/by``).

        Returns the users the API returned and, separately, its partial errors (e.g.
        ``resource-not-found`` for an unknown or suspended username). Order of users is
        the API's. Raises :class:`XApiError` when an answer has neither ``data`` nor
        ``errors``.
        """
        if isinstance(usernames, str):
            raise TypeError("usernames must be a sequence of usernames, not one string")
        return self._lookup(USERS_BY, "/2/users/by", "usernames", list(usernames), user_fields)

    def _lookup(
        self,
        endpoint: str,
        path: str,
        parameter: str,
        values: list[str],
        user_fields: Sequence[str],
    ) -> UserLookup:
        users: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for batch in _batches(values, LOOKUP_BATCH):
            while batch:
                params = {parameter: ",".join(batch)}
                if user_fields:
                    params["user.fields"] = ",".join(user_fields)
                try:
                    payload = self._get(endpoint, path, params)
                except XApiError as exc:
                    refused = invalid_values(exc, parameter)
                    if not refused:
                        raise
                    # One malformed name makes X refuse the whole call (HTTP 400): record it
                    # as that name's error and ask again for the others.
                    errors += [invalid_value_error(value, parameter, exc) for value in refused]
                    batch = [value for value in batch if value not in refused]
                    continue
                if "data" not in payload and "errors" not in payload:
                    raise self._drift(endpoint, "has neither `data` nor `errors`", payload)
                data = payload.get("data", [])
                if not isinstance(data, list):
                    raise self._drift(endpoint, "`data` is not a list", payload)
                users.extend(data)
                errors.extend(error_list(payload))
                break
        if errors:
            log.info(
                "X API %s: %d of %d %s not returned (kept as errors)",
                endpoint,
                len(errors),
                len(values),
                parameter,
            )
        return UserLookup(users=users, errors=errors)

    def lookup_users_by_id(
        self,
        user_ids: Sequence[str],
        user_fields: Sequence[str] = ("created_at", "location", "public_metrics"),
    ) -> UserLookup:
        """Look up users by their numeric id, 100 per call (``GET /2/users?ids=``).

        Known accounts are looked up this way: an id survives a change of username. Returns
        and raises as :meth:`lookup_users`.
        """
        if isinstance(user_ids, str):
            raise TypeError("user_ids must be a sequence of ids, not one string")
        return self._lookup(USERS, "/2/users", "ids", list(user_ids), user_fields)

    def user_posts(
        self,
        user_id: str,
        start_time: datetime,
        end_time: datetime,
        *,
        max_posts: int = REACHABLE_POSTS,
    ) -> list[dict[str, Any]]:
        """Posts of ``user_id`` created in [start_time, end_time] (``GET /2/users/:id/tweets``).

        Naive times are taken as UTC, as everywhere in the pipeline; both are sent as
        RFC 3339 UTC (``...Z``), to the second. Asks for ``created_at``, ``public_metrics``,
        ``referenced_tweets`` (what tells a repost, reply or quote from an original post)
        and ``author_id``, 100 posts a page, following ``meta.next_token`` until it is
        absent or ``max_posts`` posts are in (the API serves only the 3,200 most recent). A
        window without posts returns ``[]``. Raises :class:`XResourceError` when X answers
        only errors about the account (protected, suspended, unknown). Records are returned
        as received, not validated.
        """
        start_utc, end_utc = _as_utc(start_time), _as_utc(end_time)
        start, end = _rfc3339(start_utc), _rfc3339(end_utc)
        if start_utc >= end_utc:
            raise ValueError(f"start_time {start} must be before end_time {end}")
        params = {
            "start_time": start,
            "end_time": end,
            "tweet.fields": "created_at,public_metrics,referenced_tweets,author_id",
        }
        return self._paged(
            USER_TWEETS,
            f"/2/users/{quote(str(user_id), safe='')}/tweets",
            params,
            limit=max_posts,
            page_bounds=TIMELINE_PAGE,
        )

    def followers(self, user_id: str, *, limit: int = 1000) -> list[dict[str, Any]]:
        """Up to ``limit`` followers of ``user_id`` with their free-text ``location``.

        ``GET /2/users/:id/followers`` with ``user.fields=location`` and
        ``max_results=min(1000, remaining)``, paged by ``meta.next_token``. Raises
        :class:`XResourceError` when X answers only errors about the account.
        """
        return self._paged(
            USER_FOLLOWERS,
            f"/2/users/{quote(str(user_id), safe='')}/followers",
            {"user.fields": "location"},
            limit=limit,
            page_bounds=FOLLOWERS_PAGE,
        )

    # -- paging ------------------------------------------------------------------------

    def _paged(
        self,
        endpoint: str,
        path: str,
        base_params: dict[str, str],
        *,
        limit: int,
        page_bounds: tuple[int, int],
    ) -> list[dict[str, Any]]:
        if limit < 1:
            return []
        smallest, largest = page_bounds
        items: list[dict[str, Any]] = []
        token: str | None = None
        seen_tokens: set[str] = set()
        while len(items) < limit:
            params = dict(base_params)
            params["max_results"] = str(max(smallest, min(largest, limit - len(items))))
            if token:
                params["pagination_token"] = token
            payload = self._get(endpoint, path, params)
            if "data" not in payload and "meta" not in payload:
                if error_list(payload):
                    raise XResourceError(
                        self._redact(
                            f"X API GET {path}: HTTP 200 with only errors about the account: "
                            f"{problem_text(payload)}"
                        ),
                        endpoint=endpoint,
                        status=200,
                        errors=error_list(payload),
                    )
                raise self._drift(endpoint, "has neither `data` nor `meta`", payload, path)
            data = payload.get("data", [])  # an empty page has no `data` key at all
            meta = payload.get("meta") or {}
            if not isinstance(data, list) or not isinstance(meta, dict):
                raise self._drift(endpoint, "`data` or `meta` has the wrong type", payload, path)
            items.extend(data)
            if payload.get("errors"):
                log.info(
                    "X API GET %s: page carried %d partial errors (landed with the answer)",
                    path,
                    len(error_list(payload)),
                )
            token = meta.get("next_token")
            if not token:
                break
            # A server that hands back a token it already gave would page forever.
            if token in seen_tokens:
                raise XApiError(
                    f"X API GET {path}: meta.next_token repeated an earlier token; "
                    "stopping instead of paging in a loop",
                    endpoint=endpoint,
                    status=200,
                )
            seen_tokens.add(token)
        return items[:limit]

    # -- one request, with retries (RetryingClient) and X's rules for it -------------------

    def _get(self, endpoint: str, path: str, params: dict[str, str]) -> dict[str, Any]:
        """GET ``path`` and return its JSON object, retrying what is worth retrying."""
        return self._request(PLATFORM, endpoint, path, params)

    def _before_attempt(self, endpoint: str, path: str, params: dict[str, str]) -> None:
        self._wait_for_window(endpoint, path)
        log.debug("X API GET %s params=%s", path, params)

    def _note_answer(self, endpoint: str, response: requests.Response) -> None:
        self._note_rate_limit(endpoint, response.headers)

    def _classify(self, status: int, payload: Any) -> Verdict | None:
        # A spent budget is not a rate limit: waiting 15 minutes cannot bring it back.
        if status in (401, 402, 403) or budget_problem(payload):
            return Verdict.AUTH
        if is_rate_limited(status, payload):
            return Verdict.RATE_LIMITED
        return None

    def _answer_error(
        self, endpoint: str, path: str, response: requests.Response, payload: Any
    ) -> XApiError:
        status = response.status_code
        return XApiError(
            self._redact(
                f"X API GET {path} answered HTTP {status} {response.reason}: "
                f"{problem_text(payload) or response.text[:200]}"
            ),
            endpoint=endpoint,
            status=status,
            errors=error_list(payload),
        )

    def _shape_error(self, endpoint: str, path: str, payload: Any) -> XApiError:
        return self._drift(endpoint, "is not a JSON object", payload, path)

    # -- rate limits -------------------------------------------------------------------

    def _note_rate_limit(self, endpoint: str, headers: Any) -> None:
        remaining = header_int(headers, "x-rate-limit-remaining")
        reset = header_int(headers, "x-rate-limit-reset")
        if remaining == 0 and reset is not None:
            self._reset_at[endpoint] = reset
        else:
            self._reset_at.pop(endpoint, None)

    def _wait_for_window(self, endpoint: str, path: str) -> None:
        reset = self._reset_at.pop(endpoint, None)
        if reset is None:
            return
        until_reset = reset - self._clock()
        wait = until_reset + RATE_LIMIT_MARGIN
        if wait <= 0:
            return
        self._check_wait(endpoint, path, until_reset)
        log.info(
            "X API GET %s: x-rate-limit-remaining is 0; waiting %.1f s for the window reset",
            path,
            wait,
        )
        self._sleep(wait)

    def _rate_limit_wait(self, endpoint: str, path: str, headers: Any, retries: int) -> float:
        # The wait below already lasts until the reset: no second wait before the retry.
        self._reset_at.pop(endpoint, None)
        reset = header_int(headers, "x-rate-limit-reset")
        if reset is None:
            return backoff_delay(retries, self._backoff_factor, self._rng)
        until_reset = reset - self._clock()
        self._check_wait(endpoint, path, until_reset)
        wait = until_reset + RATE_LIMIT_MARGIN
        if wait <= 0:
            # Reset already passed (clock skew): back off a little rather than hammer.
            return backoff_delay(retries, self._backoff_factor, self._rng)
        return wait

    def _check_wait(self, endpoint: str, path: str, until_reset: float) -> None:
        if until_reset > self._max_rate_limit_wait:
            raise XApiError(
                f"X API GET {path}: rate limit resets in {until_reset:.0f} s, longer than "
                f"max_rate_limit_wait={self._max_rate_limit_wait:g} s; not waiting",
                endpoint=endpoint,
                status=429,
            )

    # -- errors ------------------------------------------------------------------------

    def _auth_error(
        self, endpoint: str, path: str, response: requests.Response, payload: Any
    ) -> XAuthError:
        return auth_error(self.connection_id, endpoint, path, response, payload, self._redact)

    def _drift(self, endpoint: str, what: str, payload: Any, path: str | None = None) -> XApiError:
        errors = error_list(payload)
        detail = f"; errors: {problem_text(payload)}" if errors else ""
        shape = sorted(payload) if isinstance(payload, dict) else type(payload).__name__
        return XApiError(
            self._redact(
                f"X API GET {path or endpoint}: HTTP 200 answer {what}, cannot use it"
                f" (keys: {shape}){detail}"
            ),
            endpoint=endpoint,
            status=200,
            errors=errors,
        )


# -- helpers -----------------------------------------------------------------------------


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _as_utc(value: datetime) -> datetime:
    # The pipeline carries naive datetimes that mean UTC (socialmetrics.window.RunWindow).
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _rfc3339(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")
