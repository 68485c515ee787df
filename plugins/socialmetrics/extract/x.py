"""Extract one batch of X accounts into the raw landing (SPEC §5.2, §5.3).

Only answers are written here; parsing happens afterwards from the landing file, so a batch
can be re-processed without calling the API again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from socialmetrics.connectors.x_api import XClient
from socialmetrics.errors import ConfigurationError
from socialmetrics.landing import LandingWriter
from socialmetrics.window import RunWindow

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


def _lookup(client: XClient, landing: LandingWriter, by_username: dict[str, dict]) -> list[dict]:
    """Look the batch's users up; ask again for the ones an answer left out.

    An answer can leave a username out for a moment (a 200 with a partial ``errors`` array)
    and a run must not lose that account for the day, so the missing ones are asked for
    again, up to LOOKUP_ATTEMPTS answers in all; what stays missing is recorded by staging.
    """
    found: dict[str, dict] = {}
    missing = list(by_username)
    for _ in range(LOOKUP_ATTEMPTS):
        landing.context = {
            "kind": "lookup",
            "accounts": {name: by_username[name]["account_key"] for name in missing},
        }
        answer = client.lookup_users([by_username[name]["account_ref"] for name in missing])
        for user in answer.users:
            name = str(user.get("username", "")).lower()
            if name in by_username and "id" in user:
                found.setdefault(name, user)
        missing = [name for name in missing if name not in found]
        if not missing:
            break
    return [found[name] for name in by_username if name in found]


def extract_x_batch(
    batch: dict,
    window: RunWindow,
    credentials: XCredentials,
    landing_path: Path,
    *,
    follower_sample_size: int,
    timeout: float = 10.0,
) -> dict:
    """Call the X API for every account of ``batch`` and land each answer in ``landing_path``.

    Looks the accounts up (100 per call, asking again for any an answer left out), reads
    each found account's posts from its ``since`` to the end of the window, and a
    follower-location sample where due. Returns a summary
    (batch name, landing file, API calls per endpoint). Raises XAuthError on a refused token
    (the landing file is then not written) and XApiError when an answer stays unusable after
    the retries.
    """
    accounts = batch["accounts"]
    with LandingWriter(landing_path) as landing:
        client = XClient(
            credentials.base_url,
            credentials.bearer_token,
            connection_id=credentials.connection_id,
            on_response=landing,
            timeout=timeout,
        )
        if accounts:
            by_username = {account["account_ref"].lower(): account for account in accounts}
            for user in _lookup(client, landing, by_username):
                account = by_username[str(user["username"]).lower()]
                landing.context = {"kind": "posts", "account_key": account["account_key"]}
                client.user_posts(user["id"], datetime.fromisoformat(account["since"]), window.end)
                if account["sample_followers"]:
                    landing.context = {"kind": "followers", "account_key": account["account_key"]}
                    client.followers(user["id"], limit=follower_sample_size)
        calls = dict(client.calls)
    return {
        "batch": batch["batch"],
        "platform": "x",
        "landing_file": str(landing_path),
        "accounts": len(accounts),
        "calls": calls,
    }
