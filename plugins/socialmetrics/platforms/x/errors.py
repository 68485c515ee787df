"""X API errors: the problem bodies X answers with, what each means for the run, and the
exceptions the client raises.

X answers an error with an RFC 7807 problem (``title``, ``detail``, ``type``,
sometimes ``reason``) or, with HTTP 200, with an ``errors`` array beside or instead of
``data``: a protected or suspended account, an unknown username. A refused token or a
spent budget stops the run naming the connection; a refused resource stops only its
account.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import requests

from socialmetrics.airflow_support import connection_env_var
from socialmetrics.platforms.connector import ConnectionUnusable

# X API v1.1's "Rate limit exceeded" code, still sent in some v2 error arrays
LEGACY_RATE_LIMIT_CODE = 88


class XApiError(Exception):
    """An X API answer that cannot be used and will not get better by retrying.

    The message names the endpoint, the HTTP status and what went wrong; ``endpoint``,
    ``status`` (``None`` when no answer came) and ``errors`` (the API's ``errors`` array,
    if any) are kept for callers that branch on them.
    """

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        status: int | None = None,
        errors: Sequence[dict[str, Any]] = (),
    ) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.status = status
        self.errors = list(errors)


class XConnectionError(XApiError, ConnectionUnusable):
    """The Airflow connection cannot be used at all now, for any account: the run must fail
    at once, naming the connection and what to do. Never retried."""

    def __init__(self, message: str, *, connection_id: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.connection_id = connection_id


class XAuthError(XConnectionError):
    """401/403: the credentials of the Airflow connection were refused."""


class XResourceError(XApiError):
    """An answer about one account that is not data: the account is protected, suspended,
    deleted or unknown (X answers HTTP 200 with only an ``errors`` array). Only that account
    is affected; ``reason`` is a short word for it (:func:`problem_reason`)."""

    @property
    def reason(self) -> str:
        return problem_reason(self.errors[0]) if self.errors else "refused"


def error_list(payload: Any) -> list[dict[str, Any]]:
    if not isinstance(payload, dict):
        return []
    errors = payload.get("errors")
    if not isinstance(errors, list):
        return []
    return [e if isinstance(e, dict) else {"message": str(e)} for e in errors]


def problem_reason(error: dict[str, Any]) -> str:
    """A short word for what one of X's ``errors`` says about an account: ``protected``,
    ``suspended``, ``not_found``, ``invalid`` or, for anything else, ``refused``."""
    kind = str(error.get("type") or "")
    words = f"{error.get('title', '')} {error.get('detail', '')} {error.get('message', '')}"
    if "suspended" in words.lower():
        return "suspended"
    if kind.endswith("not-authorized-for-resource"):
        return "protected"
    if kind.endswith("resource-not-found") or "could not find" in words.lower():
        return "not_found"
    if kind.endswith("invalid-request"):
        return "invalid"
    return "refused"


BUDGET_PROBLEMS = ("UsageCapExceeded", "CreditsDepleted")


def budget_problem(payload: Any) -> bool:
    """X's answer that the App's paid budget is spent (monthly cap, or no credits)."""
    if not isinstance(payload, dict):
        return False
    kind = str(payload.get("type") or "")
    return payload.get("title") in BUDGET_PROBLEMS or kind.endswith(("usage-capped", "/credits"))


def budget_message(cid: str, path: str, status: int, problem: dict, detail: str) -> str:
    title = problem.get("title") or "payment required"
    if title == "UsageCapExceeded" or str(problem.get("type", "")).endswith("usage-capped"):
        period = problem.get("period") or "current"
        scope = problem.get("scope") or "App"
        return (
            f"X API usage cap reached for Airflow connection {cid!r} on GET {path} (HTTP "
            f"{status} {title}: {detail}; period {period}, scope {scope}). No account can be "
            f"read until the {period.lower()} cap resets or the plan is raised in the X "
            "developer portal; rerun then. Waiting cannot help, so the run stops here."
        )
    return (
        f"X API has no credits left for Airflow connection {cid!r} on GET {path} (HTTP "
        f"{status} {title}: {detail}). Buy credits or change the plan in the X developer "
        "portal, then rerun."
    )


def invalid_values(exc: XApiError, parameter: str) -> list[str]:
    """The values of ``parameter`` that a 400 ``invalid-request`` answer names as invalid."""
    if exc.status != 400:
        return []
    named = []
    for error in exc.errors:
        values = (error.get("parameters") or {}).get(parameter)
        if isinstance(values, list):
            named += [str(v) for v in values]
    return named


def invalid_value_error(value: str, parameter: str, exc: XApiError) -> dict[str, Any]:
    return {
        "value": value,
        "parameter": parameter,
        "title": "Invalid Request",
        "detail": str(exc),
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }


def is_rate_limited(status: int, payload: Any) -> bool:
    if status == 429:
        return True
    if not isinstance(payload, dict) or "data" in payload:
        return False
    if payload.get("status") == 429:
        return True
    return any(e.get("code") == LEGACY_RATE_LIMIT_CODE for e in error_list(payload))


def problem_text(payload: Any) -> str:
    """A short human text from a problem body or an ``errors`` array."""
    if not isinstance(payload, dict):
        return ""
    parts = []
    if payload.get("detail"):
        parts.append(str(payload["detail"]))
    for error in error_list(payload)[:3]:
        text = error.get("detail") or error.get("message") or error.get("title")
        if text:
            parts.append(str(text))
    if not parts and payload.get("title"):
        parts.append(str(payload["title"]))
    return "; ".join(parts)


def auth_error(
    connection_id: str,
    endpoint: str,
    path: str,
    response: requests.Response,
    payload: Any,
    redact: Callable[[str], str],
) -> XAuthError:
    """The error for a refused token (401), a refused access level (403) or a spent budget
    (402, or a usage-cap problem): names the connection and says what to do."""
    status = response.status_code
    problem = payload if isinstance(payload, dict) else {}
    title = str(problem.get("title") or response.reason or "")
    detail = problem_text(payload) or response.reason or "no detail"
    env_var = connection_env_var(connection_id)
    cid = connection_id
    if status == 402 or budget_problem(payload):
        return XConnectionError(
            redact(budget_message(cid, path, status, problem, detail)),
            connection_id=cid,
            endpoint=endpoint,
            status=status,
            errors=error_list(payload),
        )
    if status == 401:
        message = (
            f"X API refused the credentials of Airflow connection {cid!r} on GET {path} "
            f"(HTTP 401 {title}: {detail}). Put a valid bearer token in the connection's "
            f"password field ({env_var}) and rerun."
        )
    else:
        reason = problem.get("reason")
        why = f", reason {reason}" if reason else ""
        if reason == "client-not-enrolled":
            where = problem.get("registration_url")
            advice = (
                "The bearer token must belong to an X developer App attached to a "
                "Project with X API v2 access"
                + (f" (see {where})" if where else "")
                + ". Put such an App's bearer token in the connection's password field "
                f"({env_var}) and rerun."
            )
        else:
            advice = (
                f"Check that the App behind the bearer token may use {endpoint} on its "
                f"X API access level, put a suitable token in the connection's password "
                f"field ({env_var}) and rerun."
            )
        message = (
            f"X API refused access for Airflow connection {cid!r} on GET {path} "
            f"(HTTP 403 {title}{why}: {detail}). {advice}"
        )
    return XAuthError(
        redact(message),
        connection_id=cid,
        endpoint=endpoint,
        status=status,
        errors=error_list(payload),
    )
