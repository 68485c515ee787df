"""A pooled requests session whose every call has a timeout and whose adapter may retry
transport failures and 5xx answers."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

DEFAULT_TIMEOUT = 10.0
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
USER_AGENT = "socialmetrics/0.1 (+https://github.com/socialmetrics)"


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
