"""Shared HTTP plumbing for the platform connectors.

- :func:`build_session` gives a pooled :class:`requests.Session` whose every call has a
  timeout and whose adapter optionally retries transport failures and 5xx answers.
- :class:`ResponseRecord` and :func:`landing_hook` hand every answer, exactly as received
  and before anything else looks at it, to a landing callback (SPEC §5.3), with the query
  parameters as sent minus anything secret (SPEC §9).
- :func:`backoff_delay` is the exponential backoff with jitter used by connectors that run
  their own retry loop.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

__all__ = [
    "DEFAULT_TIMEOUT",
    "RETRYABLE_STATUSES",
    "SECRET_PARAM_NAMES",
    "ResponseCallback",
    "ResponseRecord",
    "TimeoutSession",
    "backoff_delay",
    "build_session",
    "header_int",
    "landing_hook",
    "public_params",
    "transport_retry",
]

DEFAULT_TIMEOUT = 10.0
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
USER_AGENT = "socialmetrics/0.1 (+https://github.com/socialmetrics)"

# Query parameters that carry credentials on some platforms (the Graph API accepts the
# token as ``access_token``). They are dropped from anything that is stored or logged.
SECRET_PARAM_NAMES = frozenset(
    {"access_token", "appsecret_proof", "client_secret", "bearer_token", "token", "password"}
)


@dataclass(frozen=True)
class ResponseRecord:
    """One answer from a platform API, as received, for the raw landing.

    ``endpoint`` is the path template (``/2/users/:id/tweets``), ``params`` the query
    parameters as sent (never a credential), ``fetched_at`` the UTC time the answer arrived,
    ``status`` the HTTP status and ``body`` the body text exactly as received, even when it
    is not JSON (an error page, a cut-off answer).
    """

    platform: str
    endpoint: str
    params: dict[str, str] = field(hash=False)
    fetched_at: datetime
    status: int
    body: str


ResponseCallback = Callable[[ResponseRecord], None]


class TimeoutSession(requests.Session):
    """A :class:`requests.Session` that applies ``default_timeout`` to calls given none.

    requests waits forever by default; one forgotten ``timeout=`` would hang a worker.
    """

    def __init__(self, default_timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self.default_timeout = default_timeout

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(method, url, *args, **kwargs)


def transport_retry(
    total: int = 5, backoff_factor: float = 0.5, backoff_max: float = 60.0
) -> Retry:
    """An urllib3 retry policy for idempotent GETs: connect/read errors and 5xx answers.

    Retries happen inside the adapter, so the caller never sees the failed attempts; use
    it only where intermediate answers need not be landed. ``raise_on_status=False`` makes
    the last 5xx come back as a response (so it can be reported) instead of an exception.
    """
    return Retry(
        total=total,
        connect=total,
        read=total,
        status=total,
        other=0,
        redirect=3,
        backoff_factor=backoff_factor,
        backoff_max=backoff_max,
        status_forcelist=sorted(RETRYABLE_STATUSES),
        allowed_methods=frozenset({"GET", "HEAD"}),
        raise_on_status=False,
        respect_retry_after_header=True,
    )


def build_session(
    *,
    timeout: float = DEFAULT_TIMEOUT,
    retries: Retry | int = 0,
    pool_maxsize: int = 10,
    user_agent: str = USER_AGENT,
) -> TimeoutSession:
    """A pooled session with a default ``timeout`` on every call.

    ``retries`` goes to the :class:`~requests.adapters.HTTPAdapter`: ``0`` (the default)
    means the adapter never retries, for callers that run their own loop so that every
    attempt is seen (see ``XClient``); pass :func:`transport_retry` to let urllib3 retry.
    """
    session = TimeoutSession(default_timeout=timeout)
    if isinstance(retries, int):
        # Same as requests' own handling of an int: for 0, read=False raises a read timeout
        # as such (not wrapped in MaxRetryError), so callers can tell it from a refused
        # connection.
        retries = Retry(0, read=False) if retries == 0 else Retry.from_int(retries)
    adapter = HTTPAdapter(pool_connections=pool_maxsize, pool_maxsize=pool_maxsize)
    adapter.max_retries = retries
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = user_agent
    return session


def public_params(url: str | None) -> dict[str, str]:
    """The query parameters of ``url`` as sent, without any credential-bearing names."""
    if not url:
        return {}
    pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    return {k: v for k, v in pairs if k.lower() not in SECRET_PARAM_NAMES}


def landing_hook(
    platform: str,
    endpoint: str,
    on_response: ResponseCallback,
    *,
    clock: Callable[[], datetime] | None = None,
) -> Callable[..., requests.Response]:
    """A requests ``response`` hook that hands each answer to ``on_response``.

    Pass it per call (``session.get(..., hooks={"response": [hook]})``): requests runs it
    as soon as the answer is in, before redirects, status checks or JSON decoding, so error
    answers and unparseable bodies are landed too. Per-call hooks *replace* the session's
    ``response`` hooks, so append ``session.hooks["response"]`` after it to keep them. An
    exception from ``on_response`` propagates: if an answer cannot be landed, the call must
    not look successful. A request that gets no answer (timeout, refused connection, body
    cut off by the connection) produces no record: there is nothing received to keep.
    """
    now = clock or (lambda: datetime.now(UTC))

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        record = ResponseRecord(
            platform=platform,
            endpoint=endpoint,
            params=public_params(response.request.url if response.request else response.url),
            fetched_at=now(),
            status=response.status_code,
            body=response.text,
        )
        on_response(record)
        return response

    return hook


def backoff_delay(
    retry_number: int,
    backoff_factor: float,
    rng: random.Random,
    *,
    maximum: float = 60.0,
) -> float:
    """Seconds to wait before retry ``retry_number`` (0 for the first retry).

    ``backoff_factor * 2**retry_number`` capped at ``maximum``, plus up to 25 % jitter so
    that parallel tasks hitting the same outage do not retry in lockstep; ``rng`` is
    seeded by the caller, which keeps runs reproducible.
    """
    base = min(maximum, backoff_factor * (2**retry_number))
    return base + rng.uniform(0.0, base / 4)


def header_int(headers: Mapping[str, str], name: str) -> int | None:
    """An integer header value, or ``None`` when absent or malformed."""
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(value.strip()))
    except ValueError:
        return None
