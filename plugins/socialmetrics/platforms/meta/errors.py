"""Graph API errors: the codes, what each means for the run, and the client's exceptions.

Graph answers an error with a JSON body ``{"error": {"message", "type", "code", "error_subcode",
"fbtrace_id"}}``; the codes decide whether the client backs off (rate limits and throttles),
fails at once naming the connection (token and permission), or retries like a 5xx
(transient). The client also scrubs access tokens from anything it lands or logs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import requests

from socialmetrics.airflow_support import connection_env_var
from socialmetrics.platforms.answers import SECRET_PARAM_NAMES
from socialmetrics.platforms.connector import ConnectionUnusable
from socialmetrics.platforms.http import Verdict

__all__ = [
    "PERMISSION_CODES",
    "RATE_LIMIT_CODES",
    "MetaApiError",
    "MetaAuthError",
    "MetaThrottled",
    "error_text",
    "graph_error",
    "redact_secrets",
]

# Graph error codes. Rate limits: back off and resume. Auth: fail at once, naming the
# connection. Transient: retry with backoff like a 5xx.
ACCOUNT_THROTTLE_CODES = frozenset({32, *range(80001, 80015)})
RATE_LIMIT_CODES = frozenset({4, 17, 341, 613, *ACCOUNT_THROTTLE_CODES})
TOKEN_CODES = frozenset({102, 104, 190})
PERMISSION_CODES = frozenset({3, 10, *range(200, 300)})
TRANSIENT_CODES = frozenset({1, 2})
INVALID_PARAMETER = 100
NOT_FOUND_SUBCODE = 33
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


class MetaAuthError(MetaApiError, ConnectionUnusable):
    """The access token of the Airflow connection was refused (expired, invalid, or lacking a
    permission). Never retried."""

    def __init__(self, message: str, *, connection_id: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.connection_id = connection_id


def redact_secrets(text: str, token: str) -> str:
    """``text`` without ``token`` (as is or URL-encoded) and without the value of any
    credential parameter in a URL (``access_token=...``)."""
    if token:
        text = text.replace(token, REDACTED).replace(quote(token, safe=""), REDACTED)
    return _SECRET_IN_URL.sub(lambda m: m.group(1) + REDACTED, text)


def graph_error(payload: Any) -> dict[str, Any] | None:
    """The ``error`` object of a Graph answer, if it has one."""
    error = payload.get("error") if isinstance(payload, dict) else None
    return error if isinstance(error, dict) else None


def error_text(error: dict[str, Any] | None) -> str:
    if not error:
        return ""
    code = error.get("code")
    sub = error.get("error_subcode")
    where = f"error {code}" + (f"/{sub}" if sub else "")
    trace = f", fbtrace_id {error['fbtrace_id']}" if error.get("fbtrace_id") else ""
    return f" ({where}{trace}): {error.get('message', '')}"


def auth_error(
    connection_id: str,
    endpoint: str,
    path: str,
    response: requests.Response,
    payload: Any,
    redact: Callable[[str], str],
) -> MetaAuthError:
    """The error for a refused token (expired or invalid) or a missing permission: names
    the connection and the permissions a Page token needs, and says what to do."""
    status = response.status_code
    error = graph_error(payload) or {}
    code = as_int(error.get("code"))
    subcode = as_int(error.get("error_subcode"))
    detail = str(error.get("message") or "no detail")
    cid = connection_id
    env_var = connection_env_var(cid)
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
        redact(message),
        connection_id=cid,
        endpoint=endpoint,
        status=status,
        code=code,
        subcode=subcode,
        fbtrace_id=str(error.get("fbtrace_id")) if error.get("fbtrace_id") else None,
        error=error,
    )


def as_int(value: Any) -> int | None:
    """An error code as Graph sent it (number or numeric string), else ``None``."""
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def verdict_of(status: int, payload: Any) -> Verdict | None:
    """What the retry loop does with an answer: its Graph error code decides."""
    error = graph_error(payload)
    code = as_int(error.get("code")) if error else None
    if code in TOKEN_CODES or code in PERMISSION_CODES or (status == 401 and code is None):
        return Verdict.AUTH
    if code in RATE_LIMIT_CODES:
        return Verdict.RATE_LIMITED
    if error and (code in TRANSIENT_CODES or error.get("is_transient") is True):
        return Verdict.TRANSIENT
    # Graph answers #100/33 ("does not exist") for live nodes too while it throttles: ask
    # again before believing it.
    if code == INVALID_PARAMETER and as_int(error.get("error_subcode")) == NOT_FOUND_SUBCODE:
        return Verdict.TRANSIENT
    return Verdict.ERROR if error else None


def answer_error(
    endpoint: str,
    path: str,
    response: requests.Response,
    payload: Any,
    redact: Callable[[str], str],
) -> MetaApiError:
    """The error for an answer that cannot be used, with Graph's code, subcode and trace id."""
    status = response.status_code
    error = graph_error(payload) or {}
    return MetaApiError(
        redact(
            f"Graph API GET {path} answered HTTP {status}"
            f"{error_text(error) or ': ' + response.text[:200]}"
        ),
        endpoint=endpoint,
        status=status,
        code=as_int(error.get("code")),
        subcode=as_int(error.get("error_subcode")),
        fbtrace_id=str(error["fbtrace_id"]) if error.get("fbtrace_id") else None,
        error=error,
    )
