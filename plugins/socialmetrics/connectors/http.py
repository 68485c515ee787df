"""Shared HTTP plumbing for the platform connectors.

- :func:`build_session` gives a pooled :class:`requests.Session` whose every call has a
  timeout and whose adapter optionally retries transport failures and 5xx answers.
- :class:`ResponseRecord` and :func:`landing_hook` hand every answer, exactly as received
  and before anything else looks at it, to a landing callback (SPEC §5.3), with the query
  parameters as sent minus anything secret (SPEC §9).
- :func:`backoff_delay` is the exponential backoff with jitter used by connectors that run
  their own retry loop.
- :class:`RetryingClient` is that loop, shared by the platform clients: one GET per
  attempt, each answer landed before anything else, transport failures, 5xx and cut-off
  JSON retried with backoff; the platform's rules come in through a few hooks.
"""

from __future__ import annotations

import json
import logging
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum
from typing import Any, ClassVar, Self
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
    "RetryOutcome",
    "RetryingClient",
    "TimeoutSession",
    "Verdict",
    "answer_time",
    "backoff_delay",
    "build_session",
    "header_int",
    "landing_hook",
    "parse_json",
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
    parameters as sent (never a credential), ``fetched_at`` the UTC time of the answer (see
    :func:`answer_time`),
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
            fetched_at=answer_time(response.headers, now),
            status=response.status_code,
            body=response.text,
        )
        on_response(record)
        return response

    return hook


def answer_time(headers: Mapping[str, str], clock: Callable[[], datetime]) -> datetime:
    """When an answer was given: its HTTP ``Date`` header (UTC), else ``clock()``.

    What a platform reports (a follower count, a page of followers) is true at the moment
    the platform answered, and that moment dates it in the warehouse. The platform's own
    clock says it best: it does not drift with a worker's clock, and a recorded or
    simulated platform (the sandbox) dates its answers as it means them.
    """
    raw = headers.get("Date") if headers is not None else None
    if raw:
        try:
            stamped = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            stamped = None
        if stamped is not None and stamped.tzinfo is not None:
            return stamped.astimezone(UTC)
    return clock()


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


def parse_json(body: str) -> tuple[Any, str | None]:
    """``(value, None)`` for a JSON body, ``(None, reason)`` for one that is not JSON."""
    try:
        return json.loads(body), None
    except ValueError as exc:
        return None, str(exc)


class Verdict(Enum):
    """What a platform's rules make of one answer (see :meth:`RetryingClient._classify`)."""

    AUTH = "auth"  # the connection was refused as a whole (credentials, budget): raise at once
    RATE_LIMITED = "rate_limited"  # wait (RetryingClient._rate_limit_wait), then retry
    TRANSIENT = "transient"  # retry on the backoff schedule
    ERROR = "error"  # an error answer, whatever its status: raise


@dataclass(frozen=True)
class RetryOutcome:
    """Outcome of one attempt that is worth another try.

    ``verdict`` and ``error`` are set when an error answer caused it: what the platform said
    decides what the caller is told once the retries run out (:meth:`RetryingClient._given_up`).
    """

    reason: str
    wait: float | None = None  # None: use the backoff schedule
    verdict: Verdict | None = None
    error: Exception | None = None


class RetryingClient(ABC):
    """The request/retry loop shared by the platform clients (``XClient``,
    ``MetaGraphClient``).

    Every GET has a timeout, sends the token only in the ``Authorization`` header and
    follows no redirect. Timeouts, connection errors, 5xx answers and 200 answers that are
    not valid JSON are retried with :func:`backoff_delay`, at most ``max_retries`` times
    per request, then ``error_class`` is raised. Every answer, each retry included, goes
    to ``on_response`` (through :meth:`_land`) before anything else looks at it; every
    attempt counts in :attr:`calls`; every wait goes through the injected ``sleep``;
    messages never carry the token.

    A subclass sets ``API_NAME`` (``"X API"``), ``BASE_URL_HINT`` (ends the message about
    a redirect), ``error_class`` and ``log``, and supplies the platform's rules:
    :meth:`_classify` (auth error, rate limit, transient or error answer),
    :meth:`_rate_limit_wait`, :meth:`_auth_error`, :meth:`_answer_error` and
    :meth:`_shape_error`; optionally :meth:`_error_detail`, :meth:`_before_attempt`,
    :meth:`_note_answer`, :meth:`_note_success` and :meth:`_land`.
    """

    API_NAME: ClassVar[str]
    BASE_URL_HINT: ClassVar[str]
    error_class: ClassVar[Callable[..., Exception]]
    log: ClassVar[logging.Logger]

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        connection_id: str,
        on_response: ResponseCallback | None,
        timeout: float,
        max_retries: int,
        backoff_factor: float,
        max_rate_limit_wait: float,
        sleep: Callable[[float], None],
        session: requests.Session | None,
        seed: int | None,
    ) -> None:
        self.connection_id = connection_id
        self._base_url = base_url
        self._token = token
        self._on_response = on_response
        self._timeout = timeout
        self._max_retries = max_retries
        self._backoff_factor = backoff_factor
        self._max_rate_limit_wait = max_rate_limit_wait
        self._sleep = sleep
        self._rng = random.Random(seed)
        self._owns_session = session is None
        # The adapter must not retry by itself (retries=0): urllib3's Retry handles 5xx
        # inside the adapter, so a failed attempt would never reach on_response and would
        # be lost to the raw landing (SPEC §5.3), and its sleeps could not be observed or
        # bounded by the rate-limit rules. The loop in _request retries instead, still on a
        # pooled requests/urllib3 connection.
        self._session = session if session is not None else build_session(timeout=timeout)
        self._calls: dict[str, int] = {}

    @property
    def calls(self) -> dict[str, int]:
        """API calls made so far per endpoint template, retries included."""
        return dict(self._calls)

    def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- one request, with retries -----------------------------------------------------

    def _request(
        self, platform: str, endpoint: str, path: str, params: dict[str, str]
    ) -> dict[str, Any]:
        """GET ``path`` and return its JSON object, retrying what is worth retrying."""
        url = self._base_url + path
        hooks = None
        if self._on_response is not None:
            # Per-call hooks replace the session's own "response" hooks in requests, so
            # keep those after ours: the landing sees the answer first, the rest still run.
            own = list(self._session.hooks.get("response") or [])
            hooks = {"response": [landing_hook(platform, endpoint, self._land), *own]}
        retries = 0
        while True:
            self._before_attempt(endpoint, path, params)
            self._calls[endpoint] = self._calls.get(endpoint, 0) + 1
            outcome = self._attempt(endpoint, path, url, params, hooks, retries)
            if not isinstance(outcome, RetryOutcome):
                return outcome
            if retries >= self._max_retries:
                raise self._given_up(endpoint, path, retries + 1, outcome)
            delay = (
                outcome.wait
                if outcome.wait is not None
                else backoff_delay(retries, self._backoff_factor, self._rng)
            )
            retries += 1
            self.log.info(
                "%s GET %s: %s; retry %d/%d in %.1f s",
                self.API_NAME,
                path,
                self._redact(outcome.reason),
                retries,
                self._max_retries,
                delay,
            )
            self._sleep(delay)

    def _attempt(
        self,
        endpoint: str,
        path: str,
        url: str,
        params: dict[str, str],
        hooks: dict[str, list[Callable[..., Any]]] | None,
        retries: int,
    ) -> dict[str, Any] | RetryOutcome:
        try:
            response = self._session.get(
                url,
                params=params,
                headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
                timeout=self._timeout,
                hooks=hooks,
                # A redirect would be followed without the Authorization header (requests
                # strips it across hosts) and usually means a wrong base URL: report it.
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            return RetryOutcome(f"no answer within {self._timeout:g} s ({type(exc).__name__})")
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            return RetryOutcome(f"connection failed ({type(exc).__name__}: {exc})")
        except requests.exceptions.ContentDecodingError as exc:
            return RetryOutcome(f"answer could not be decoded ({exc})")
        except requests.RequestException as exc:
            raise self.error_class(
                self._redact(
                    f"{self.API_NAME} GET {path}: request could not be made "
                    f"({type(exc).__name__}: {exc}); check the host of Airflow connection "
                    f"{self.connection_id!r}"
                ),
                endpoint=endpoint,
            ) from None

        status = response.status_code
        body = response.text
        payload, parse_error = parse_json(body)
        self._note_answer(endpoint, response)
        verdict = self._classify(status, payload)
        detail = self._error_detail(payload)

        if verdict is Verdict.AUTH:
            raise self._auth_error(endpoint, path, response, payload)
        if verdict is Verdict.RATE_LIMITED:
            return RetryOutcome(
                f"rate limited (HTTP {status}{detail})",
                wait=self._rate_limit_wait(endpoint, path, response.headers, retries),
                verdict=verdict,
                error=self._answer_error(endpoint, path, response, payload),
            )
        if status in RETRYABLE_STATUSES or status >= 500:
            return RetryOutcome(f"HTTP {status} {response.reason}{detail}")
        if verdict is Verdict.TRANSIENT:
            return RetryOutcome(
                f"HTTP {status}{detail} (transient)",
                verdict=verdict,
                error=self._answer_error(endpoint, path, response, payload),
            )
        if 300 <= status < 400:
            raise self.error_class(
                f"{self.API_NAME} GET {path} answered HTTP {status}, redirecting to "
                f"{response.headers.get('Location')!r}; set the host of Airflow connection "
                f"{self.connection_id!r} to the API's base URL{self.BASE_URL_HINT}",
                endpoint=endpoint,
                status=status,
            )
        if verdict is Verdict.ERROR or not 200 <= status < 300:
            raise self._answer_error(endpoint, path, response, payload)
        if parse_error is not None:
            return RetryOutcome(
                f"HTTP {status} body is not valid JSON, cut off? ({len(body)} characters; "
                f"{parse_error})"
            )
        if not isinstance(payload, dict):
            raise self._shape_error(endpoint, path, payload)
        self._note_success(endpoint, response)
        return payload

    def _given_up(
        self, endpoint: str, path: str, attempts: int, outcome: RetryOutcome
    ) -> Exception:
        """The error raised once ``attempts`` attempts were all worth another try. A
        platform may say more than the message (e.g. a throttle), from ``outcome``."""
        return self.error_class(
            self._redact(
                f"{self.API_NAME} GET {path} failed after {attempts} attempts; "
                f"last: {outcome.reason}"
            ),
            endpoint=endpoint,
        )

    def _land(self, record: ResponseRecord) -> None:
        """Hand an answer to ``on_response`` (only called when there is one)."""
        assert self._on_response is not None
        self._on_response(record)

    def _redact(self, text: str) -> str:
        # Defence in depth: messages quote server text, which should never echo the token.
        return text.replace(self._token, "***")

    # -- platform hooks ----------------------------------------------------------------

    @abstractmethod
    def _classify(self, status: int, payload: Any) -> Verdict | None:
        """The platform's reading of an answer (``payload`` is ``None`` when not JSON);
        ``None`` leaves it to the generic rules (5xx retried, other non-2xx raised)."""

    @abstractmethod
    def _rate_limit_wait(self, endpoint: str, path: str, headers: Any, retries: int) -> float:
        """Seconds to wait before retrying a rate-limited answer, or raise ``error_class``
        when the wait would be too long."""

    @abstractmethod
    def _auth_error(
        self, endpoint: str, path: str, response: requests.Response, payload: Any
    ) -> Exception:
        """The error for refused credentials, naming the connection and what to do."""

    @abstractmethod
    def _answer_error(
        self, endpoint: str, path: str, response: requests.Response, payload: Any
    ) -> Exception:
        """The error for an answer that cannot be used and is not worth retrying."""

    @abstractmethod
    def _shape_error(self, endpoint: str, path: str, payload: Any) -> Exception:
        """The error for a 2xx JSON answer that is not a JSON object."""

    def _error_detail(self, payload: Any) -> str:
        """Text appended to the status in retry reasons (e.g. the platform's error code)."""
        return ""

    def _before_attempt(self, endpoint: str, path: str, params: dict[str, str]) -> None:
        """Called before every attempt, e.g. to wait for a rate-limit window."""
        return None  # nothing by default

    def _note_answer(self, endpoint: str, response: requests.Response) -> None:
        """Called for every answer once landed, before it is classified."""
        return None  # nothing by default

    def _note_success(self, endpoint: str, response: requests.Response) -> None:
        """Called for an answer about to be returned."""
        return None  # nothing by default
