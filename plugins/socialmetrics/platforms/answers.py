"""What is kept of each platform answer, exactly as received and before anything else reads
it: a :class:`ResponseRecord` handed to the landing by a requests response hook, with the
query parameters as sent minus anything secret, dated by the platform's own clock."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

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


def parse_json(body: str) -> tuple[Any, str | None]:
    """``(value, None)`` for a JSON body, ``(None, reason)`` for one that is not JSON."""
    try:
        return json.loads(body), None
    except ValueError as exc:
        return None, str(exc)
