"""X (Twitter) as the pipeline sees it: the X API v2, through the Airflow connection
``x_api``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

from socialmetrics.airflow_support import get_connection
from socialmetrics.payloads import Batch, ExtractSummary
from socialmetrics.plan import PlanState, api_batches
from socialmetrics.platforms.connector import Connector
from socialmetrics.platforms.x.extract import (
    X_CONN_ID,
    credentials_from_connection,
    extract_x_batch,
)
from socialmetrics.platforms.x.parse import parse_x_landing
from socialmetrics.registry import Registry
from socialmetrics.rows import Parsed
from socialmetrics.settings import Settings
from socialmetrics.window import RunWindow

# What X accepts as a username: 1 to 15 letters, digits or underscores.
USERNAME = re.compile(r"^[A-Za-z0-9_]{1,15}$")


class XConnector(Connector):
    name = "x"
    platforms = {"x": "X"}
    connection_id = X_CONN_ID

    def plan(
        self, registry: Registry, state: PlanState, window: RunWindow, settings: Settings
    ) -> list[Batch]:
        return api_batches(self.name, self.platforms, registry, state, window, settings)

    def extract(
        self, batch: Batch, window: RunWindow, settings: Settings, landing_path: Path
    ) -> ExtractSummary:
        credentials = credentials_from_connection(get_connection(X_CONN_ID))
        return extract_x_batch(
            batch,
            window,
            credentials,
            landing_path,
            follower_sample_size=settings.follower_sample_size,
            timeout=settings.http_timeout_seconds,
            max_rate_limit_wait=settings.max_rate_limit_wait_seconds,
        )

    def parse(self, records: Iterable[dict], window: RunWindow, summary: ExtractSummary) -> Parsed:
        return parse_x_landing(records, window, summary)

    def account_ref_problem(self, platform: str, ref: str) -> str | None:
        if ref.startswith("@"):
            return f"write the X username without @: {ref[1:]}"
        if not USERNAME.match(ref):
            return (
                f"{ref!r} is not an X username (1 to 15 letters, digits or underscores, as "
                "in the account's x.com address)"
            )
        return None

    def account_label(self, platform: str, ref: str) -> str | None:
        return f"@{ref}"

    def profile_url(self, platform: str, ref: str) -> str | None:
        return f"https://x.com/{quote(ref, safe='')}"


X = XConnector()
