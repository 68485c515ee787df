"""Extract one batch of Facebook pages and Instagram accounts into the raw landing (SPEC §5.2,
§5.3), through the Airflow connection ``meta_graph_api``.

Only answers are written here; parsing happens afterwards from the landing file
(:mod:`socialmetrics.staging.meta`), so a batch can be re-processed without calling the API
again. Each answer carries the context it was asked in: ``{"kind": ..., "account_key": ...}``
with kinds ``page``, ``posts``, ``insights``, ``ig_user``, ``media`` and
``follower_cities``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from socialmetrics.connectors import meta_metrics
from socialmetrics.connectors.meta_graph import CONNECTION_ID, MetaApiError, MetaGraphClient
from socialmetrics.errors import ConfigurationError
from socialmetrics.landing import LandingWriter
from socialmetrics.window import RunWindow

META_CONN_ID = CONNECTION_ID
INSIGHTS_HISTORY_DAYS = 730  # the Graph API keeps two years of insights
_VERSION = re.compile(r"^v\d+\.\d+$")


@dataclass(frozen=True)
class MetaCredentials:
    """Base URL (with the API version) and access token of the Graph API (real or sandbox)."""

    base_url: str
    access_token: str
    connection_id: str = META_CONN_ID


def credentials_from_connection(conn) -> MetaCredentials:
    """Read the base URL and access token (password) of the ``meta_graph_api`` connection.

    The host holds the base URL including the version (``https://graph.facebook.com/v24.0``).
    A connection given as a URI (``http://127.0.0.1:8765/v24.0``) arrives split: scheme in
    ``conn_type``, version in ``schema``, and the port apart; an HTTP connection may keep the
    scheme in ``schema``. All are understood; a bare host means https. Raises
    ConfigurationError naming the connection when the host, version or token is missing.
    """
    host = (conn.host or "").rstrip("/")
    schema = (conn.schema or "").strip("/")
    env_var = f"AIRFLOW_CONN_{conn.conn_id.upper()}"
    if host and "://" not in host:
        kind = (getattr(conn, "conn_type", None) or "").lower()
        scheme = schema if schema in ("http", "https") else kind if kind == "http" else "https"
        host = f"{scheme}://{host}"
    if host and conn.port:
        parts = urlsplit(host)
        if parts.port is None:
            host = urlunsplit(parts._replace(netloc=f"{parts.netloc}:{conn.port}"))
    if host and _VERSION.match(schema) and not re.search(r"/v\d+\.\d+$", host):
        host = f"{host}/{schema}"
    if not host:
        raise ConfigurationError(
            f"Airflow connection {conn.conn_id!r} has no host: set it to the Graph API base "
            f"URL with its version, e.g. https://graph.facebook.com/v24.0 ({env_var})."
        )
    if not re.search(r"/v\d+\.\d+$", host):
        raise ConfigurationError(
            f"Airflow connection {conn.conn_id!r} has host {host!r} without the API version: "
            f"set it to e.g. https://graph.facebook.com/v24.0 ({env_var})."
        )
    if not conn.password:
        raise ConfigurationError(
            f"Airflow connection {conn.conn_id!r} has no password: put the Page access token "
            f"in the connection's password field ({env_var})."
        )
    return MetaCredentials(host, conn.password, conn.conn_id)


def _day_after(moment: datetime) -> date:
    """The first day not covered by an interval ending at ``moment`` (exclusive)."""
    return (moment - timedelta(microseconds=1)).date() + timedelta(days=1)


def extract_meta_batch(
    batch: dict,
    window: RunWindow,
    credentials: MetaCredentials,
    landing_path: Path,
    *,
    timeout: float = 10.0,
    today: Callable[[], date] | None = None,
    client_options: dict | None = None,
) -> dict:
    """Call the Graph API for every account of ``batch`` and land each answer in
    ``landing_path``.

    ``batch["accounts"]`` entries have ``account_key``, ``account_ref`` (page id or Instagram
    user id), ``platform`` (``facebook`` or ``instagram``), ``since`` (ISO), ``history`` and
    ``sample_followers``. Per Facebook page: its fields, its posts from ``since`` to the end
    of the window, its daily insights over the same days (at most the last two years) for
    the metrics the registry says are valid ``today``, and, when ``sample_followers``, its
    followers by city for the window's day. Per Instagram account: its fields, its media
    over the same range and, when due, its followers by city.

    A page or account the API says does not exist (error #100/33) is skipped and left to
    staging to record; a retired metric is skipped by the client. Returns a summary (batch,
    landing file, calls per endpoint, unavailable metrics and missing accounts). Raises
    MetaAuthError on a refused token (the landing file is then not written) and MetaApiError
    when an answer stays unusable after the retries.
    """
    accounts = batch["accounts"]
    as_of = (today or (lambda: datetime.now(UTC).date()))()
    until = _day_after(window.end)
    unavailable: dict[str, list[str]] = {}
    missing: list[str] = []
    with LandingWriter(landing_path) as landing:
        client = MetaGraphClient(
            credentials.base_url,
            credentials.access_token,
            connection_id=credentials.connection_id,
            on_response=landing,
            timeout=timeout,
            **(client_options or {}),
        )
        with client:
            for account in accounts:
                key = account["account_key"]
                since = datetime.fromisoformat(account["since"])
                try:
                    if account["platform"] == "facebook":
                        lost = _extract_page(client, landing, account, since, window, until, as_of)
                    elif account["platform"] == "instagram":
                        lost = _extract_ig(client, landing, account, since, window, as_of)
                    else:
                        raise ConfigurationError(
                            f"account {key}: platform {account['platform']!r} is not a Meta "
                            "platform (facebook or instagram)"
                        )
                except MetaApiError as exc:
                    if not exc.not_found:
                        raise
                    missing.append(key)  # landed; staging records it
                    continue
                if lost:
                    unavailable[key] = lost
            calls = dict(client.calls)
    return {
        "batch": batch["batch"],
        "platform": batch.get("platform", "meta"),
        "landing_file": str(landing_path),
        "accounts": len(accounts),
        "calls": calls,
        "unavailable_metrics": unavailable,
        "missing_accounts": missing,
    }


def _extract_page(
    client: MetaGraphClient,
    landing: LandingWriter,
    account: dict,
    since: datetime,
    window: RunWindow,
    until: date,
    as_of: date,
) -> list[str]:
    key, page_id = account["account_key"], str(account["account_ref"])
    landing.context = {"kind": "page", "account_key": key}
    client.page(page_id)
    landing.context = {"kind": "posts", "account_key": key}
    client.page_posts(page_id, since, window.end)
    lost: list[str] = []
    metrics = meta_metrics.metrics_valid_on("facebook", as_of)
    first = max(since.date(), until - timedelta(days=INSIGHTS_HISTORY_DAYS))
    if metrics and first < until:
        landing.context = {"kind": "insights", "account_key": key}
        lost += client.page_insights(page_id, metrics, first, until).unavailable
    if account.get("sample_followers"):
        city_metric = meta_metrics.follower_city_metric("facebook", as_of)
        if city_metric is not None:
            landing.context = {"kind": "follower_cities", "account_key": key}
            day = window.day
            result = client.page_insights(page_id, [city_metric], day, day + timedelta(days=1))
            lost += result.unavailable
    return lost


def _extract_ig(
    client: MetaGraphClient,
    landing: LandingWriter,
    account: dict,
    since: datetime,
    window: RunWindow,
    as_of: date,
) -> list[str]:
    key, ig_id = account["account_key"], str(account["account_ref"])
    landing.context = {"kind": "ig_user", "account_key": key}
    client.ig_user(ig_id)
    landing.context = {"kind": "media", "account_key": key}
    client.ig_media(ig_id, since, window.end)
    if account.get("sample_followers"):
        if meta_metrics.follower_city_metric("instagram", as_of) is None:
            return ["follower_demographics"]
        landing.context = {"kind": "follower_cities", "account_key": key}
        try:
            client.ig_follower_cities(ig_id)
        except MetaApiError as exc:
            if not exc.invalid_metric:
                raise
            return ["follower_demographics"]
    return []
