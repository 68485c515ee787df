"""The retry loop shared by the platform clients.

The session comes from :mod:`socialmetrics.platforms.session`, and what is kept of each
answer from :mod:`socialmetrics.platforms.answers`.

- :func:`backoff_delay` is the exponential backoff with jitter used by connectors that run
  their own retry loop.
- :class:`RetryingClient` is that loop, shared by the platform clients: one GET per
  attempt, each answer landed before anything else, transport failures, 5xx and cut-off
  JSON retried with backoff; the platform's rules come in through a few hooks.
"""

from __future__ import annotations

import logging
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, Self

import requests

from socialmetrics.platforms.answers import (
    ResponseCallback,
    ResponseRecord,
    landing_hook,
    parse_json,
)
from socialmetrics.platforms.session import RETRYABLE_STATUSES, build_session

__all__ = [
    "RetryOutcome",
    "RetryingClient",
    "Verdict",
    "backoff_delay",
    "header_int",
]


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
        # be lost to the raw landing (docs/decisions/0006-land-every-answer-first.md), and
        # its sleeps could not be observed or bounded by the rate-limit rules. The loop in
        # _request retries instead, still on a pooled requests/urllib3 connection.
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
