"""Extract one batch of Facebook pages and Instagram accounts into the raw landing, through
the Airflow connection ``meta_graph_api``.

Only answers are written here; parsing happens afterwards from the landing file
(:mod:`socialmetrics.platforms.meta.parse`), so a batch can be re-processed without calling the API
again. Each answer carries the context it was asked in: ``{"kind": ..., "account_key": ...}``
with kinds ``page``, ``posts``, ``insights``, ``ig_user``, ``media`` and
``follower_cities``.

One account never sinks the others: a page Graph says does not exist, an optional edge it
refuses (insights, follower cities) and a throttle longer than the run may wait are noted
and the batch goes on; a throttled account is read again next run. Only a refused token
stops the batch.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from socialmetrics.airflow_support import connection_env_var
from socialmetrics.errors import ConfigurationError
from socialmetrics.landing import LandingWriter
from socialmetrics.platforms.meta import metrics as meta_metrics
from socialmetrics.platforms.meta.client import CONNECTION_ID, MetaGraphClient
from socialmetrics.platforms.meta.errors import (
    PERMISSION_CODES,
    MetaApiError,
    MetaAuthError,
    MetaThrottled,
)
from socialmetrics.window import RunWindow

log = logging.getLogger(__name__)

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
    env_var = connection_env_var(conn.conn_id)
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
    followers by city. Per Instagram account: its fields, its media over the same range
    and, when due, its followers by city.

    Returns a summary: batch, landing file, calls per endpoint, ``unavailable_metrics``,
    ``missing_accounts`` (Graph says they do not exist), ``failures`` (account_key ->
    message: answers that stayed unusable) and ``deferred`` (account_key -> why: throttled
    for longer than the client may wait; an App-wide throttle defers every account left).
    Raises MetaAuthError on a refused token; what was landed until then is kept.
    """
    accounts = batch["accounts"]
    as_of = (today or (lambda: datetime.now(UTC).date()))()
    until = _day_after(window.end)
    outcome = _BatchOutcome()
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
            for position, account in enumerate(accounts):
                if outcome.app_throttled:
                    for rest in accounts[position:]:
                        outcome.deferred[rest["account_key"]] = outcome.app_throttled
                    break
                outcome.extract(client, landing, account, window, until, as_of)
            calls = dict(client.calls)
    return {
        "batch": batch["batch"],
        "connector": batch.get("connector", "meta"),
        "landing_file": str(landing_path),
        "accounts": len(accounts),
        "calls": calls,
        "unavailable_metrics": outcome.unavailable,
        "missing_accounts": outcome.missing,
        "failures": outcome.failures,
        "deferred": outcome.deferred,
    }


class _BatchOutcome:
    """What happened to each account of a batch that is not its landed answers."""

    def __init__(self) -> None:
        self.unavailable: dict[str, list[str]] = {}
        self.missing: list[str] = []
        self.failures: dict[str, str] = {}
        self.deferred: dict[str, str] = {}
        self.app_throttled: str | None = None

    def extract(self, client, landing, account, window, until, as_of) -> None:
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
        except MetaAuthError:
            raise
        except MetaThrottled as exc:
            why = f"throttled by Graph ({exc}); read again next run"
            self.deferred[key] = why
            if exc.scope == "app":
                self.app_throttled = why
            log.warning("%s deferred: %s", key, exc)
            return
        except MetaApiError as exc:
            if exc.not_found:
                self.missing.append(key)  # landed; staging records it
            else:
                self.failures[key] = str(exc)
                log.warning("%s: not read this run: %s", key, exc)
            return
        if lost:
            self.unavailable[key] = lost


def _refuses_an_optional_edge(exc: MetaApiError) -> bool:
    """Whether Graph refused an optional call (insights, follower cities) for this account
    only: a permission the App lacks for this edge (#10) or a parameter it will not take for
    this account (#100/2108006, an account too small for demographics). A refused token, a
    throttle or a missing account is not that."""
    if isinstance(exc, MetaThrottled) or exc.not_found or exc.code is None:
        return False
    if isinstance(exc, MetaAuthError):
        return exc.code in PERMISSION_CODES
    return True


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
    landing.context = {"kind": "page", "account_key": key, "since": account["since"]}
    client.page(page_id)
    landing.context = {"kind": "posts", "account_key": key}
    client.page_posts(page_id, since, window.end)
    lost: list[str] = []
    metrics = meta_metrics.metrics_valid_on("facebook", as_of)
    first = max(since.date(), until - timedelta(days=INSIGHTS_HISTORY_DAYS))
    if metrics and first < until:
        landing.context = {"kind": "insights", "account_key": key}
        try:
            lost += client.page_insights(page_id, metrics, first, until).unavailable
        except MetaApiError as exc:
            if not _refuses_an_optional_edge(exc):
                raise
            lost.append("page insights")
    city_metric = meta_metrics.follower_city_metric("facebook", as_of)
    if account.get("sample_followers") and city_metric is not None:
        landing.context = {"kind": "follower_cities", "account_key": key}
        day, next_day = window.day, window.day + timedelta(days=1)
        try:
            lost += client.page_insights(page_id, [city_metric], day, next_day).unavailable
        except MetaApiError as exc:
            if not _refuses_an_optional_edge(exc):
                raise
            lost.append(city_metric)
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
    landing.context = {"kind": "ig_user", "account_key": key, "since": account["since"]}
    client.ig_user(ig_id)
    landing.context = {"kind": "media", "account_key": key}
    client.ig_media(ig_id, since, window.end)
    if not account.get("sample_followers"):
        return []
    if meta_metrics.follower_city_metric("instagram", as_of) is None:
        return ["follower_demographics"]
    landing.context = {"kind": "follower_cities", "account_key": key}
    try:
        client.ig_follower_cities(ig_id)
    except MetaApiError as exc:
        if not (exc.invalid_metric or _refuses_an_optional_edge(exc)):
            raise
        return ["follower_demographics"]
    return []
