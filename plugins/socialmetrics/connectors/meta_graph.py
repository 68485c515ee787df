"""Meta Graph API client: Facebook pages and Instagram professional accounts (SPEC §5.2).

The same code talks to https://graph.facebook.com/v24.0 and to the project's sandbox; base
URL (with the API version) and the access token come from the Airflow connection
``meta_graph_api`` (host, password). The token is sent only in the ``Authorization`` header,
never in a URL. Graph writes the token into the ``paging.next`` links of its answers: the
client follows those links without it, and removes it from each answer's body before the
answer is landed (the one change made to a landed body, SPEC §9).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, quote, urlsplit

import requests

from socialmetrics.connectors.http import (
    DEFAULT_TIMEOUT,
    SECRET_PARAM_NAMES,
    ResponseCallback,
    ResponseRecord,
    RetryingClient,
    RetryOutcome,
    Verdict,
    backoff_delay,
)

__all__ = [
    "CONNECTION_ID",
    "IG_INSIGHTS",
    "IG_MEDIA",
    "IG_USER",
    "INSIGHTS_MAX_DAYS",
    "PAGE",
    "PAGE_INSIGHTS",
    "PAGE_POSTS",
    "PERMISSION_CODES",
    "RATE_LIMIT_CODES",
    "Insights",
    "MetaApiError",
    "MetaAuthError",
    "MetaThrottled",
    "MetaGraphClient",
    "redact_secrets",
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
INSIGHTS_MAX_DAYS = 90  # days between since and until in one insights call

# Graph error codes. Rate limits: back off and resume. Auth: fail at once, naming the
# connection. Transient: retry with backoff like a 5xx.
ACCOUNT_THROTTLE_CODES = frozenset({32, *range(80001, 80015)})
RATE_LIMIT_CODES = frozenset({4, 17, 341, 613, *ACCOUNT_THROTTLE_CODES})
TOKEN_CODES = frozenset({102, 104, 190})
PERMISSION_CODES = frozenset({3, 10, *range(200, 300)})
TRANSIENT_CODES = frozenset({1, 2})
INVALID_PARAMETER = 100
NOT_FOUND_SUBCODE = 33
RATE_LIMIT_HEADERS = ("X-Business-Use-Case-Usage", "X-Ad-Account-Usage")
USAGE_HEADERS = ("X-App-Usage", "X-Page-Usage")
_VERSION = re.compile(r"/v\d+\.\d+$")
_SECRET_NAMES = "|".join(sorted(SECRET_PARAM_NAMES))
# a credential parameter of a URL (after ?, & or JSON's \u0026), up to the next delimiter
_SECRET_IN_URL = re.compile(rf"((?:[?&]|\\u0026)(?:{_SECRET_NAMES})=)[^&\"'\s\\]+", re.IGNORECASE)
REDACTED = "REDACTED"


class MetaApiError(Exception):
    """A Graph API answer that cannot be used and will not get better by retrying.

    ``code``, ``subcode`` and ``fbtrace_id`` come from the Graph error body when there was
    one; ``endpoint`` is the path template and ``status`` the HTTP status (``None`` when no
    answer came).
    """

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        status: int | None = None,
        code: int | None = None,
        subcode: int | None = None,
        fbtrace_id: str | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.status = status
        self.code = code
        self.subcode = subcode
        self.fbtrace_id = fbtrace_id
        self.error = dict(error or {})

    @property
    def invalid_metric(self) -> bool:
        """Error #100 refusing an insights metric (retired or unknown): "The value must be a
        valid insights metric" (pages) or "metric[0] must be one of ..." (Instagram)."""
        message = str(self.error.get("message", "")).lower()
        refused = "valid insights metric" in message or re.search(r"metric\[\d+\]", message)
        return self.code == INVALID_PARAMETER and bool(refused)

    @property
    def not_found(self) -> bool:
        """Error #100 subcode 33: the page or account does not exist or is not reachable."""
        return self.code == INVALID_PARAMETER and self.subcode == 33


class MetaThrottled(MetaApiError):
    """Graph keeps refusing for longer than the client may wait: a throttle of one Page or
    Instagram account (``scope`` ``account``: codes 32 and 80001-80014) or of the whole App
    (``scope`` ``app``: 4, 17, 341, 613). ``wait_seconds`` is Graph's estimate of when
    access returns, when it gave one. Not a failure: the accounts it stops are read next
    run."""

    def __init__(self, message: str, *, scope: str, wait_seconds: float | None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.scope = scope
        self.wait_seconds = wait_seconds


class MetaAuthError(MetaApiError):
    """The access token of the Airflow connection was refused (expired, invalid, or lacking a
    permission). Never retried."""

    def __init__(self, message: str, *, connection_id: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.connection_id = connection_id


class Insights(NamedTuple):
    """Result of :meth:`MetaGraphClient.page_insights`: unpacks as ``values, unavailable``.

    ``values`` maps each metric that answered to its ``values`` entries (``{"value",
    "end_time"}``) over all the windows, oldest first; ``unavailable`` lists the metrics the
    API refused with error #100 (retired or unknown), in the order asked.
    """

    values: dict[str, list[dict[str, Any]]]
    unavailable: list[str]


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

    ``on_response`` receives a :class:`~socialmetrics.connectors.http.ResponseRecord` for
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
                f"token in the connection's password field ({_conn_env_var(connection_id)}) "
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
        for first, stop in _windows(_as_date(since), _as_date(until), INSIGHTS_MAX_DAYS):
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
        cities = _breakdown_results(payload)
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
            "skipped. Update socialmetrics.connectors.meta_metrics if it was retired.",
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
        error = _graph_error(payload)
        code = _int(error.get("code")) if error else None
        if code in TOKEN_CODES or code in PERMISSION_CODES or (status == 401 and code is None):
            return Verdict.AUTH
        if code in RATE_LIMIT_CODES:
            return Verdict.RATE_LIMITED
        if error and (code in TRANSIENT_CODES or error.get("is_transient") is True):
            return Verdict.TRANSIENT
        # Graph answers #100/33 ("does not exist") for live nodes too while it throttles: ask
        # again before believing it.
        if code == INVALID_PARAMETER and _int(error.get("error_subcode")) == NOT_FOUND_SUBCODE:
            return Verdict.TRANSIENT
        return Verdict.ERROR if error else None

    def _error_detail(self, payload: Any) -> str:
        return _error_text(_graph_error(payload))

    def _answer_error(
        self, endpoint: str, path: str, response: requests.Response, payload: Any
    ) -> MetaApiError:
        status = response.status_code
        error = _graph_error(payload) or {}
        return MetaApiError(
            self._redact(
                f"Graph API GET {path} answered HTTP {status}"
                f"{_error_text(error) or ': ' + response.text[:200]}"
            ),
            endpoint=endpoint,
            status=status,
            code=_int(error.get("code")),
            subcode=_int(error.get("error_subcode")),
            fbtrace_id=str(error["fbtrace_id"]) if error.get("fbtrace_id") else None,
            error=error,
        )

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
        minutes = _regain_minutes(headers)
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
        minutes = _regain_minutes(headers)
        if minutes:
            self._pause = min(self._max_rate_limit_wait, minutes * 60.0)
            return
        for name in USAGE_HEADERS:
            usage = _json_header(headers, name)
            if isinstance(usage, dict) and _max_percent(usage) >= 100:
                self._pause = backoff_delay(0, self._rate_limit_backoff, self._rng)
                return

    # -- errors --------------------------------------------------------------------------

    def _auth_error(
        self, endpoint: str, path: str, response: requests.Response, payload: Any
    ) -> MetaAuthError:
        status = response.status_code
        error = _graph_error(payload) or {}
        code = _int(error.get("code"))
        subcode = _int(error.get("error_subcode"))
        detail = str(error.get("message") or "no detail")
        cid = self.connection_id
        env_var = _conn_env_var(cid)
        what = f"HTTP {status}, error {code}" + (f"/{subcode}" if subcode else "")
        if code in PERMISSION_CODES:
            message = (
                f"Graph API refused access for Airflow connection {cid!r} on GET {path} "
                f"({what}: {detail}). The token lacks a permission: use a Page access token "
                "with pages_read_engagement and read_insights (Facebook) or "
                "instagram_basic and instagram_manage_insights (Instagram), put it in the "
                f"connection's password field ({env_var}) and rerun."
            )
        else:
            expired = subcode == 463 or "expired" in detail.lower()
            why = "has expired" if expired else "is not valid"
            message = (
                f"Graph API refused the access token of Airflow connection {cid!r} on GET "
                f"{path} ({what}: {detail}). The token {why}: put a new long-lived Page "
                f"access token in the connection's password field ({env_var}) and rerun."
            )
        return MetaAuthError(
            self._redact(message),
            connection_id=cid,
            endpoint=endpoint,
            status=status,
            code=code,
            subcode=subcode,
            fbtrace_id=str(error.get("fbtrace_id")) if error.get("fbtrace_id") else None,
            error=error,
        )

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


def redact_secrets(text: str, token: str) -> str:
    """``text`` without ``token`` (as is or URL-encoded) and without the value of any
    credential parameter in a URL (``access_token=...``)."""
    if token:
        text = text.replace(token, REDACTED).replace(quote(token, safe=""), REDACTED)
    return _SECRET_IN_URL.sub(lambda m: m.group(1) + REDACTED, text)


def _conn_env_var(connection_id: str) -> str:
    return f"AIRFLOW_CONN_{connection_id.upper()}"


def _node(node_id: str) -> str:
    node = str(node_id)
    if not node or "/" in node:
        raise ValueError(f"not a Graph node id: {node_id!r}")
    return "/" + quote(node, safe="")


def _graph_error(payload: Any) -> dict[str, Any] | None:
    """The ``error`` object of a Graph answer, if it has one."""
    error = payload.get("error") if isinstance(payload, dict) else None
    return error if isinstance(error, dict) else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _error_text(error: dict[str, Any] | None) -> str:
    if not error:
        return ""
    code = error.get("code")
    sub = error.get("error_subcode")
    where = f"error {code}" + (f"/{sub}" if sub else "")
    trace = f", fbtrace_id {error['fbtrace_id']}" if error.get("fbtrace_id") else ""
    return f" ({where}{trace}): {error.get('message', '')}"


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _unix(value: datetime) -> int:
    return int(_as_utc(value).timestamp())


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _windows(first: date, stop: date, size: int) -> list[tuple[date, date]]:
    """[first, stop) cut into consecutive windows of at most ``size`` days."""
    windows = []
    while first < stop:
        end = min(stop, first + timedelta(days=size))
        windows.append((first, end))
        first = end
    return windows


def _json_header(headers: Any, name: str) -> Any:
    raw = headers.get(name) if headers is not None else None
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _max_percent(usage: dict[str, Any]) -> float:
    values = [v for k, v in usage.items() if k != "estimated_time_to_regain_access"]
    return max((float(v) for v in values if isinstance(v, int | float)), default=0.0)


def _regain_minutes(headers: Any) -> float:
    """The longest ``estimated_time_to_regain_access`` (minutes) in the usage headers."""
    longest = 0.0
    for name in RATE_LIMIT_HEADERS:
        usage = _json_header(headers, name)
        entries: list[Any] = []
        if isinstance(usage, dict):
            for value in usage.values():
                entries += value if isinstance(value, list) else [value]
        for entry in entries:
            if isinstance(entry, dict):
                minutes = entry.get("estimated_time_to_regain_access")
                if isinstance(minutes, int | float) and not isinstance(minutes, bool):
                    longest = max(longest, float(minutes))
    return longest


def _breakdown_results(payload: dict[str, Any]) -> dict[str, int] | None:
    data = payload.get("data")
    if not isinstance(data, list) or not data or not isinstance(data[0], dict):
        return None
    breakdowns = (data[0].get("total_value") or {}).get("breakdowns")
    if not isinstance(breakdowns, list) or not breakdowns or not isinstance(breakdowns[0], dict):
        return None
    results = breakdowns[0].get("results")
    if not isinstance(results, list):
        return None
    cities: dict[str, int] = {}
    for result in results:
        if not isinstance(result, dict):
            continue
        keys = result.get("dimension_values")
        value = result.get("value")
        if isinstance(keys, list) and keys and isinstance(value, int):
            cities[str(keys[0])] = value
    return cities
