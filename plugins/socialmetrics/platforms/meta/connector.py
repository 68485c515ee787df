"""Facebook pages and Instagram professional accounts as the pipeline sees them: the Meta
Graph API, through the Airflow connection ``meta_graph_api``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

from socialmetrics.airflow_support import get_connection
from socialmetrics.payloads import Batch, ExtractSummary
from socialmetrics.plan import PlanState, api_batches
from socialmetrics.platforms.connector import Connector
from socialmetrics.platforms.meta.extract import (
    META_CONN_ID,
    credentials_from_connection,
    extract_meta_batch,
)
from socialmetrics.platforms.meta.parse import parse_meta_landing
from socialmetrics.registry import Registry
from socialmetrics.rows import Parsed
from socialmetrics.settings import Settings
from socialmetrics.window import RunWindow

# Page ids and Instagram user ids are numbers.
GRAPH_ID = re.compile(r"^[0-9]{1,25}$")


class MetaConnector(Connector):
    name = "meta"
    platforms = {"facebook": "Facebook", "instagram": "Instagram"}
    connection_id = META_CONN_ID

    def plan(
        self, registry: Registry, state: PlanState, window: RunWindow, settings: Settings
    ) -> list[Batch]:
        return api_batches(self.name, self.platforms, registry, state, window, settings)

    def extract(
        self, batch: Batch, window: RunWindow, settings: Settings, landing_path: Path
    ) -> ExtractSummary:
        credentials = credentials_from_connection(get_connection(META_CONN_ID))
        return extract_meta_batch(
            batch,
            window,
            credentials,
            landing_path,
            timeout=settings.http_timeout_seconds,
            client_options={"max_rate_limit_wait": settings.max_rate_limit_wait_seconds},
        )

    def parse(self, records: Iterable[dict], window: RunWindow, summary: ExtractSummary) -> Parsed:
        return parse_meta_landing(records, window, summary)

    def account_ref_problem(self, platform: str, ref: str) -> str | None:
        if GRAPH_ID.match(ref):
            return None
        what = "a Facebook page id" if platform == "facebook" else "an Instagram user id"
        return f"{ref!r} is not {what}: write the account's numeric id, not its name"

    def profile_url(self, platform: str, ref: str) -> str | None:
        if platform == "facebook":
            return f"https://www.facebook.com/{quote(ref, safe='')}"
        return None


META = MetaConnector()
