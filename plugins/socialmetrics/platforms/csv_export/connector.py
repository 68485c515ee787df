"""The platforms' own analytics exports (X Analytics, Meta Business Suite) as the pipeline
sees them: files dropped in the folder of the Variable ``socialmetrics_export_dir``, read for
the registry's accounts with source ``export``; no connection needed."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from socialmetrics.payloads import Batch, ExtractSummary, PlannedAccount
from socialmetrics.plan import PlanState
from socialmetrics.platforms.connector import Connector
from socialmetrics.platforms.csv_export.extract import extract_csv_batch
from socialmetrics.platforms.csv_export.parse import parse_csv_landing
from socialmetrics.registry import Registry
from socialmetrics.rows import Parsed
from socialmetrics.settings import Settings
from socialmetrics.window import RunWindow


class CsvExportConnector(Connector):
    name = "csv_export"
    platforms: dict[str, str] = {}  # reads exports of the other platforms' accounts
    connection_id = None
    source = "export"

    def plan(
        self, registry: Registry, state: PlanState, window: RunWindow, settings: Settings
    ) -> list[Batch]:
        """One batch, whoever the exports are about: it names every registry account with
        its source and its organisation's time zone, for the parser to place each file."""
        organisations = registry.organisations
        zones = dict(zip(organisations["organisation"], organisations["timezone"], strict=True))
        accounts: list[PlannedAccount] = [
            {
                "account_key": a.account_key,
                "account_ref": a.account_ref,
                "platform": a.platform,
                "source": a.source,
                "timezone": zones[a.organisation],
            }
            for a in registry.accounts.sort_values("account_key").itertuples(index=False)
        ]
        return [{"batch": f"{self.name}-00", "connector": self.name, "accounts": accounts}]

    def extract(
        self, batch: Batch, window: RunWindow, settings: Settings, landing_path: Path
    ) -> ExtractSummary:
        return extract_csv_batch(batch, window, settings.export_dir, landing_path)

    def parse(self, records: Iterable[dict], window: RunWindow, summary: ExtractSummary) -> Parsed:
        return parse_csv_landing(records, window, summary.get("export_accounts") or [])


CSV_EXPORT = CsvExportConnector()
