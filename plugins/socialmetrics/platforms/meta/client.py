"""Meta Graph API client: Facebook pages and Instagram professional accounts.

The same code talks to https://graph.facebook.com/v24.0 and to the project's sandbox; base
URL (with the API version) and the access token come from the Airflow connection
``meta_graph_api`` (host, password). The token is sent only in the ``Authorization`` header,
never in a URL. Graph writes the token into the ``paging.next`` links of its answers: the
client follows those links without it, and removes it from each answer's body before the
answer is landed (the one change made to a landed body, docs/design.md#4-schemas).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import requests

from socialmetrics.airflow_support import connection_env_var
from socialmetrics.platforms.answers import SECRET_PARAM_NAMES, ResponseCallback, ResponseRecord
from socialmetrics.platforms.http import RetryingClient, RetryOutcome, Verdict, backoff_delay
from socialmetrics.platforms.meta.errors import (
    ACCOUNT_THROTTLE_CODES,
    MetaApiError,
    MetaAuthError,
    MetaThrottled,
    answer_error,
    auth_error,
    error_text,
    graph_error,
    redact_secrets,
    verdict_of,
)
from socialmetrics.platforms.meta.insights import (
    INSIGHTS_MAX_DAYS,
    Insights,
    city_breakdown,
    day_windows,
)
from socialmetrics.platforms.meta.usage import (
    USAGE_HEADERS,
    json_header,
    max_percent,
    regain_minutes,
)
from socialmetrics.platforms.session import DEFAULT_TIMEOUT

__all__ = [
    "CONNECTION_ID",
    "IG_INSIGHTS",
    "IG_MEDIA",
    "IG_USER",
    "PAGE",
    "PAGE_INSIGHTS",
    "PAGE_POSTS",
    "MetaGraphClient",
]

log = logging.getLogger(__name__)

CONNECTION_ID = "meta_graph_api"
PAGE = "/{page-id}"
PAGE_POSTS = "/{page-id}/posts"
PAGE_INSIGHTS = "/{page-id}/insights"
IG_USER = "/{ig-user-id}"
IG_MEDIA = "/{ig-user-id}/media"
IG_INSIGHTS = "/{ig-user-id}/insights"

PAGE_FIELDS = ("name", "followers_count", "fan_count")
POST_FIELDS = (
    "id",
    "created_time",
    "message",
    "shares",
    "reactions.summary(true).limit(0)",
    "comments.summary(true).limit(0)",
)
IG_USER_FIELDS = ("username", "name", "followers_count", "follows_count", "media_count")
MEDIA_FIELDS = ("id", "caption", "media_type", "timestamp", "like_count", "comments_count")
PAGE_SIZE = 100  # `limit` on posts and media edges (the API maximum)

_VERSION = re.compile(r"/v\d+\.\d+$")


class MetaGraphClient(RetryingClient):
    """Client for the Graph API endpoints the pipeline uses.

    Every call has a timeout. 5xx answers, Graph errors 1 and 2 (or ``is_transient``),
    connection errors, timeouts and 200 answers that are not valid JSON are retried with
    exponential backoff, at most ``max_retries`` times per request, then
    :class:`MetaApiError`. Rate-limit errors (codes 4, 17, 32, 341, 613 and the business
    use case codes 80001-80014) wait ``estimated_time_to_regain_access`` from the
    ``X-Business-Use-Case-Usage`` header (or, without one, the backoff schedule) and
    resume, on the same budget; a wait longer than ``max_rate_limit_wait`` seconds raises
    :class:`MetaApiError` instead. Token errors (190 expired or invalid, 102, 104) and
    permission errors (10, 200-299) raise :class:`MetaAuthError` at once, naming the
    Airflow connection and what to do.

    ``on_response`` receives a :class:`~socialmetrics.platforms.answers.ResponseRecord` for
    every answer, error answers and each retry included, before the client looks at it;
    its parameters never include the token (paging links that carry an ``access_token``
    are followed without it). ``sleep`` is called for every wait (tests pass a recorder);
    ``session`` may be shared (then left open on :meth:`close`); ``seed`` seeds the backoff
    jitter. Not thread-safe: use one per task or thread.
    """

    API_NAME = "Graph API"
    BASE_URL_HINT = " with its version (e.g. https://graph.facebook.com/v24.0)"
    error_class = MetaApiError
    log = log

    def __init__(
        self,
        base_url: str,
        access_token: str,
        *,
        connection_id: str = CONNECTION_ID,
        on_response: ResponseCallback | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = 5,
        backoff_factor: float = 0.5,
        rate_limit_backoff: float = 2.0,
        max_rate_limit_wait: float = 900.0,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
        seed: int | None = None,
    ) -> None:
        base = (base_url or "").rstrip("/")
        if not base.startswith(("http://", "https://")) or not _VERSION.search(base):
            raise ValueError(
                f"Graph API base URL {base_url!r} must start with https:// or http:// and end "
                f"with the API version (the host of Airflow connection {connection_id!r}, "
                "e.g. https://graph.facebook.com/v24.0)"
            )
        if not access_token:
            raise MetaAuthError(
                f"Airflow connection {connection_id!r} has no access token. Put a Page access "
                f"token in the connection's password field ({connection_env_var(connection_id)}) "
                "and rerun.",
                connection_id=connection_id,
            )
        super().__init__(
            base,
            access_token,
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
        parts = urlsplit(base)
        self._origin = (parts.scheme, parts.netloc)
        self._rate_limit_backoff = rate_limit_backoff
        self._pause = 0.0  # seconds to wait before the next call (usage at 100 %)

    # -- public API --------------------------------------------------------------------

    def page(self, page_id: str, fields: Sequence[str] = PAGE_FIELDS) -> dict[str, Any]:
        """A page's fields (``GET /{page-id}?fields=``); the answer always has ``id``."""
        params = {"fields": ",".join(fields)}
        return self._request("facebook", PAGE, _node(page_id), params)

    def page_posts(
        self,
        page_id: str,
        since: datetime,
        until: datetime,
        fields: Sequence[str] = POST_FIELDS,
    ) -> list[dict[str, Any]]:
        """A page's posts created in [since, until), newest first, with reaction, comment and
        share counts; follows ``paging.next`` until it is absent."""
        params = {
            "fields": ",".join(fields),
            "since": str(_unix(since)),
            "until": str(_unix(until)),
            "limit": str(PAGE_SIZE),
        }
        return self._paged("facebook", PAGE_POSTS, f"{_node(page_id)}/posts", params)

    def page_insights(
        self,
        page_id: str,
        metrics: Sequence[str],
        since: date,
        until: date,
        *,
        period: str = "day",
    ) -> Insights:
        """Page insights for the days ``since`` .. ``until - 1``, in windows of at most 90
        days (``GET /{page-id}/insights?metric=&period=&since=&until=``).

        When a call asking for several metrics fails with error #100 ("must be a valid
        insights metric"), each metric of that window is asked for alone, so one retired
        metric cannot sink the others; a metric refused alone is unavailable and not asked
        for again. Insights paging links are not followed: the windows cover the range.
        """
        if isinstance(metrics, str):
            raise TypeError("metrics must be a sequence of metric names, not one string")
        wanted = list(dict.fromkeys(metrics))
        values: dict[str, list[dict[str, Any]]] = {}
        unavailable: list[str] = []
        path = f"{_node(page_id)}/insights"
        for first, stop in day_windows(_as_date(since), _as_date(until), INSIGHTS_MAX_DAYS):
            active = [m for m in wanted if m not in unavailable]
            if not active:
                break
            try:
                self._insights_window(path, active, first, stop, period, values)
                continue
            except MetaApiError as exc:
                if not exc.invalid_metric:
                    raise
                if len(active) == 1:
                    unavailable.append(active[0])
                    self._log_unavailable(page_id, active[0], exc)
                    continue
            for name in active:  # one metric at a time: only the invalid one is lost
                try:
                    self._insights_window(path, [name], first, stop, period, values)
                except MetaApiError as exc:
                    if not exc.invalid_metric:
                        raise
                    unavailable.append(name)
                    self._log_unavailable(page_id, name, exc)
        ordered = {m: values[m] for m in wanted if m in values}
        return Insights(ordered, [m for m in wanted if m in unavailable])

    def ig_user(self, ig_id: str, fields: Sequence[str] = IG_USER_FIELDS) -> dict[str, Any]:
        """An Instagram professional account's fields (``GET /{ig-user-id}?fields=``)."""
        params = {"fields": ",".join(fields)}
        return self._request("instagram", IG_USER, _node(ig_id), params)

    def ig_media(
        self,
        ig_id: str,
        since: datetime | None = None,
        until: datetime | None = None,
        fields: Sequence[str] = MEDIA_FIELDS,
    ) -> list[dict[str, Any]]:
        """An Instagram account's media published in [since, until), newest first; follows
        ``paging.next`` until it is absent."""
        params = {"fields": ",".join(fields), "limit": str(PAGE_SIZE)}
        if since is not None:
            params["since"] = str(_unix(since))
        if until is not None:
            params["until"] = str(_unix(until))
        return self._paged("instagram", IG_MEDIA, f"{_node(ig_id)}/media", params)

    def ig_follower_cities(self, ig_id: str) -> dict[str, int]:
        """Followers by city (``follower_demographics``, breakdown ``city``): the top 45 cities
        only, as named by Instagram (``Norwich, England``) -> followers. The remainder is
        not listed: compare the sum with ``followers_count``."""
        params = {
            "metric": "follower_demographics",
            "period": "lifetime",
            "metric_type": "total_value",
            "breakdown": "city",
        }
        payload = self._request("instagram", IG_INSIGHTS, f"{_node(ig_id)}/insights", params)
        cities = city_breakdown(payload)
        if cities is None:
            raise self._drift(IG_INSIGHTS, "has no total_value.breakdowns results", payload)
        return cities

    # -- insights ------------------------------------------------------------------------

    def _insights_window(
        self,
        path: str,
        metrics: list[str],
        first: date,
        stop: date,
        period: str,
        values: dict[str, list[dict[str, Any]]],
    ) -> None:
        params = {
            "metric": ",".join(metrics),
            "period": period,
            "since": first.isoformat(),
            "until": stop.isoformat(),
        }
        payload = self._request("facebook", PAGE_INSIGHTS, path, params)
        data = payload.get("data")
        if not isinstance(data, list):
            raise self._drift(PAGE_INSIGHTS, "has no `data` list", payload)
        for item in data:
            if not isinstance(item, dict) or not isinstance(item.get("values"), list):
                raise self._drift(PAGE_INSIGHTS, "has a metric without a `values` list", payload)
            values.setdefault(str(item.get("name")), []).extend(item["values"])

    @staticmethod
    def _log_unavailable(page_id: str, name: str, exc: MetaApiError) -> None:
        log.warning(
            "Graph API: insights metric %s is unavailable for page %s (%s); recorded and "
            "skipped. Update socialmetrics.platforms.meta.metrics if it was retired.",
            name,
            page_id,
            exc,
        )

    # -- paging --------------------------------------------------------------------------

    def _paged(
        self, platform: str, endpoint: str, path: str, params: dict[str, str]
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        while True:
            payload = self._request(platform, endpoint, path, params)
            data = payload.get("data")
            if not isinstance(data, list):
                raise self._drift(endpoint, "has no `data` list", payload)
            items.extend(data)
            paging = payload.get("paging") if isinstance(payload.get("paging"), dict) else {}
            following = paging.get("next")
            if not following:  # stop when `next` is absent, not when a page is short
                return items
            path, params = self._follow(endpoint, str(following))
            key = json.dumps([path, sorted(params.items())])
            if key in seen:
                raise MetaApiError(
                    f"Graph API GET {path}: paging.next repeated an earlier link; stopping "
                    "instead of paging in a loop",
                    endpoint=endpoint,
                    status=200,
                )
            seen.add(key)

    def _follow(self, endpoint: str, link: str) -> tuple[str, dict[str, str]]:
        """Path (below the base URL) and parameters of a ``paging.next`` link, minus any
        credential it carries. A link to another host is refused: the token would go there."""
        parts = urlsplit(link)
        base_path = urlsplit(self._base_url).path
        if (parts.scheme, parts.netloc) != self._origin or not parts.path.startswith(base_path):
            raise MetaApiError(
                f"Graph API paging.next points outside {self._base_url} ({parts.netloc}); "
                "not following it",
                endpoint=endpoint,
                status=200,
            )
        params = {
            k: v
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k.lower() not in SECRET_PARAM_NAMES
        }
        return parts.path[len(base_path) :], params

    # -- one request, with retries (RetryingClient): Graph's rules for it ---------------

    def _before_attempt(self, endpoint: str, path: str, params: dict[str, str]) -> None:
        if self._pause > 0:
            pause, self._pause = self._pause, 0.0
            log.info("Graph API usage at 100 %%: waiting %.0f s before GET %s", pause, path)
            self._sleep(pause)

    def _classify(self, status: int, payload: Any) -> Verdict | None:
        return verdict_of(status, payload)

    def _error_detail(self, payload: Any) -> str:
        return error_text(graph_error(payload))

    def _answer_error(
        self, endpoint: str, path: str, response: requests.Response, payload: Any
    ) -> MetaApiError:
        return answer_error(endpoint, path, response, payload, self._redact)

    def _shape_error(self, endpoint: str, path: str, payload: Any) -> MetaApiError:
        return self._drift(endpoint, "is not a JSON object", payload)

    def _note_success(self, endpoint: str, response: requests.Response) -> None:
        self._note_usage(response.headers)

    def _land(self, record: ResponseRecord) -> None:
        """Hand an answer to the landing with any credential removed from its body."""
        assert self._on_response is not None
        self._on_response(replace(record, body=redact_secrets(record.body, self._token)))

    # -- rate limits -----------------------------------------------------------------------

    def _rate_limit_wait(self, endpoint: str, path: str, headers: Any, retries: int) -> float:
        minutes = regain_minutes(headers)
        if minutes:
            wait = minutes * 60.0
            if wait > self._max_rate_limit_wait:
                raise MetaThrottled(
                    f"Graph API GET {path}: rate limited and access returns in about "
                    f"{minutes:g} min (estimated_time_to_regain_access), longer than "
                    f"the {self._max_rate_limit_wait:g} s this run may wait "
                    "(socialmetrics_max_rate_limit_wait_seconds)",
                    scope="account",  # the Business Use Case header is per Page or account
                    wait_seconds=wait,
                    endpoint=endpoint,
                )
            return wait
        return min(
            self._max_rate_limit_wait,
            backoff_delay(retries, self._rate_limit_backoff, self._rng, maximum=300.0),
        )

    def _given_up(
        self, endpoint: str, path: str, attempts: int, outcome: RetryOutcome
    ) -> Exception:
        error = outcome.error
        if outcome.verdict is Verdict.RATE_LIMITED:
            code = error.code if isinstance(error, MetaApiError) else None
            return MetaThrottled(
                self._redact(
                    f"Graph API GET {path} still rate limited after {attempts} attempts; "
                    f"last: {outcome.reason}"
                ),
                scope="account" if code in ACCOUNT_THROTTLE_CODES else "app",
                wait_seconds=None,
                endpoint=endpoint,
                code=code,
            )
        if isinstance(error, MetaApiError) and error.not_found:
            return error  # still "does not exist" after the retries: believe it now
        return super()._given_up(endpoint, path, attempts, outcome)

    def _note_usage(self, headers: Any) -> None:
        """At 100 % of a usage limit, the next call would be throttled: wait first."""
        minutes = regain_minutes(headers)
        if minutes:
            self._pause = min(self._max_rate_limit_wait, minutes * 60.0)
            return
        for name in USAGE_HEADERS:
            usage = json_header(headers, name)
            if isinstance(usage, dict) and max_percent(usage) >= 100:
                self._pause = backoff_delay(0, self._rate_limit_backoff, self._rng)
                return

    # -- errors --------------------------------------------------------------------------

    def _auth_error(
        self, endpoint: str, path: str, response: requests.Response, payload: Any
    ) -> MetaAuthError:
        return auth_error(self.connection_id, endpoint, path, response, payload, self._redact)

    def _drift(self, endpoint: str, what: str, payload: Any) -> MetaApiError:
        shape = sorted(payload) if isinstance(payload, dict) else type(payload).__name__
        return MetaApiError(
            self._redact(
                f"Graph API {endpoint}: HTTP 200 answer {what}, cannot use it (keys: {shape})"
            ),
            endpoint=endpoint,
            status=200,
        )


# -- helpers --------------------------------------------------------------------------------


def _node(node_id: str) -> str:
    node = str(node_id)
    if not node or "/" in node:
        raise ValueError(f"not a Graph node id: {node_id!r}")
    return "/" + quote(node, safe="")


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _unix(value: datetime) -> int:
    return int(_as_utc(value).timestamp())


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
