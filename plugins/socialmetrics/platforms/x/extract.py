"""Extract one batch of X accounts into the raw landing.

Only answers are written here; parsing happens afterwards from the landing file, so a batch
can be re-processed without calling the API again. One account that X will not show
(protected, suspended, unknown) or whose answers stay broken never stops the others: it is
noted and the batch goes on. Only what stops every account (a refused token, a spent usage
cap or budget) stops the batch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from socialmetrics.errors import ConfigurationError
from socialmetrics.landing import LandingWriter
from socialmetrics.platforms.x.client import XClient
from socialmetrics.platforms.x.errors import XApiError, XConnectionError, XResourceError
from socialmetrics.window import RunWindow

log = logging.getLogger(__name__)

X_CONN_ID = "x_api"


@dataclass(frozen=True)
class XCredentials:
    """Base URL and bearer token of the X API (real or the sandbox)."""

    base_url: str
    bearer_token: str
    connection_id: str = X_CONN_ID


def credentials_from_connection(conn) -> XCredentials:
    """Read the base URL (host, with scheme) and bearer token (password) of an HTTP connection.

    Raises ConfigurationError naming the connection when either is missing.
    """
    host = (conn.host or "").rstrip("/")
    if host and "://" not in host:
        scheme = conn.schema or "https"
        host = f"{scheme}://{host}" + (f":{conn.port}" if conn.port else "")
    elif host and conn.port and host.count(":") < 2:
        host = f"{host}:{conn.port}"
    if not host:
        raise ConfigurationError(
            f"Airflow connection {conn.conn_id!r} has no host: set it to the API base URL, "
            "e.g. https://api.x.com (AIRFLOW_CONN_X_API)."
        )
    if not conn.password:
        raise ConfigurationError(
            f"Airflow connection {conn.conn_id!r} has no password: put the X API bearer token "
            "in the connection's password field."
        )
    return XCredentials(host, conn.password, conn.conn_id)


LOOKUP_ATTEMPTS = 3


def _lookup(
    client: XClient, landing: LandingWriter, accounts: list[dict], *, by_id: bool
) -> dict[str, dict]:
    """Look the accounts up (by stored user id, or by username); account_key -> user.

    An answer can leave an account out for a moment (a 200 with a partial ``errors``
    array) and a run must not lose that account for the day, so the missing ones are asked
    for again, up to LOOKUP_ATTEMPTS answers in all; what stays missing is recorded by
    staging, from the landed answers.
    """
    field = "user_id" if by_id else "account_ref"
    by_value = {str(account[field]).lower(): account for account in accounts}
    found: dict[str, dict] = {}
    missing = list(by_value)
    for _ in range(LOOKUP_ATTEMPTS):
        asked = [by_value[value] for value in missing]
        landing.context = {
            "kind": "lookup",
            "by": "ids" if by_id else "usernames",
            "accounts": {value: by_value[value]["account_key"] for value in missing},
            "refs": {a["account_key"]: a["account_ref"] for a in asked},
            "since": {a["account_key"]: a["since"] for a in asked},
        }
        values = [str(a[field]) for a in asked]
        answer = client.lookup_users_by_id(values) if by_id else client.lookup_users(values)
        for user in answer.users:
            value = str(user.get("id" if by_id else "username", "")).lower()
            if value in by_value and "id" in user:
                found.setdefault(by_value[value]["account_key"], user)
        missing = [v for v in missing if by_value[v]["account_key"] not in found]
        if not missing:
            break
    return found


def _read_account(
    client: XClient,
    landing: LandingWriter,
    account: dict,
    user: dict,
    window: RunWindow,
    follower_sample_size: int,
) -> None:
    """Read one found account's posts since its ``since`` and, when due, a follower sample."""
    key = account["account_key"]
    landing.context = {"kind": "posts", "account_key": key, "since": account["since"]}
    client.user_posts(user["id"], datetime.fromisoformat(account["since"]), window.end)
    if account["sample_followers"]:
        landing.context = {"kind": "followers", "account_key": key}
        client.followers(user["id"], limit=follower_sample_size)


def extract_x_batch(
    batch: dict,
    window: RunWindow,
    credentials: XCredentials,
    landing_path: Path,
    *,
    follower_sample_size: int,
    timeout: float = 10.0,
    max_rate_limit_wait: float = 900.0,
) -> dict:
    """Call the X API for every account of ``batch`` and land each answer in ``landing_path``.

    Known accounts (with a stored ``user_id``) are looked up by id, new ones by username,
    100 per call, asking again for any an answer left out; each found account's posts are
    read from its ``since`` to the end of the window, and a follower-location sample where
    due. An account X refuses (protected, suspended) is left to staging, which reads why
    from the landed answer; one whose answers stay unusable after the retries is listed in
    the summary's ``failures`` (account_key -> message) and the batch goes on. Returns a
    summary (batch, landing file, API calls per endpoint, failures). Raises
    XConnectionError when X refuses the connection as a whole (token, usage cap, credits);
    what was landed until then is kept (see LandingWriter).
    """
    accounts = batch["accounts"]
    failures: dict[str, str] = {}
    with LandingWriter(landing_path) as landing:
        client = XClient(
            credentials.base_url,
            credentials.bearer_token,
            connection_id=credentials.connection_id,
            on_response=landing,
            timeout=timeout,
            max_rate_limit_wait=max_rate_limit_wait,
        )
        known = [a for a in accounts if a.get("user_id")]
        new = [a for a in accounts if not a.get("user_id")]
        found = {}
        for group, by_id in ((known, True), (new, False)):
            if group:
                found |= _lookup(client, landing, group, by_id=by_id)
        for account in accounts:
            user = found.get(account["account_key"])
            if user is None:
                continue
            try:
                _read_account(client, landing, account, user, window, follower_sample_size)
            except XConnectionError:
                raise
            except XResourceError:
                continue  # X's refusal is landed; staging records it
            except XApiError as exc:
                failures[account["account_key"]] = str(exc)
                log.warning("%s: not read this run: %s", account["account_key"], exc)
        calls = dict(client.calls)
    return {
        "batch": batch["batch"],
        "connector": batch.get("connector", "x"),
        "landing_file": str(landing_path),
        "accounts": len(accounts),
        "calls": calls,
        "failures": failures,
    }
