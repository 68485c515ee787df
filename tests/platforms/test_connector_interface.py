"""A platform is one Connector registered in one place: a toy platform, written here against
the interface alone and added to ``platforms.CONNECTORS``, is planned, extracted, parsed,
validated, loaded and reported with no other change to the pipeline
(docs/how-to/add-a-platform.md)."""

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from socialmetrics import pipeline, platforms
from socialmetrics.landing import LandingWriter
from socialmetrics.payloads import Batch, ExtractSummary
from socialmetrics.plan import PlanState, api_batches
from socialmetrics.platforms.answers import ResponseRecord
from socialmetrics.platforms.connector import Connector
from socialmetrics.registry import Registry, RegistryError, load_registry
from socialmetrics.rows import (
    READ,
    RECEIVED_POST_COLUMNS,
    SNAPSHOT_COLUMNS,
    AccountRead,
    Parsed,
    account_read_frame,
    fetched_day,
    with_derived_post_columns,
)
from socialmetrics.settings import Settings
from socialmetrics.values import counts, parse_json, utc_timestamps
from socialmetrics.warehouse.engine import warehouse_engine
from socialmetrics.window import RunWindow

DAY = datetime(2026, 3, 10)
TOY_ACCOUNTS = (
    "organisation,platform,account_ref,display_name,kind,area,owner_email,opened_on,closed_on,"
    "successor_ref\n"
    "Shire Police,toyspace,shire.police,Shire Police,force,Shire,comms@shire.example,"
    "2026-03-01,,\n"
    "Shire Police,toyspace,pc.quiet,PC Quiet,officer,Shire,quiet@shire.example,2025-01-01,,\n"
)
# What the toy platform knows: each account's follower count and its posts (day, likes).
TOY_WORLD = {
    "shire.police": {"followers": 1200, "posts": [(DAY - timedelta(days=1), 7), (DAY, 3)]},
    "pc.quiet": {"followers": 40, "posts": [(DAY - timedelta(days=200), 1)]},
}


class ToyConnector(Connector):
    """A platform written against the interface only: accounts by handle, one answer each."""

    name = "toy"
    platforms = {"toyspace": "Toyspace"}

    def plan(
        self, registry: Registry, state: PlanState, window: RunWindow, settings: Settings
    ) -> list[Batch]:
        return api_batches(self.name, self.platforms, registry, state, window, settings)

    def extract(
        self, batch: Batch, window: RunWindow, settings: Settings, landing_path: Path
    ) -> ExtractSummary:
        with LandingWriter(landing_path) as landing:
            for account in batch["accounts"]:
                handle = account["account_ref"]
                known = TOY_WORLD[handle]
                body = {
                    "handle": handle,
                    "followers": known["followers"],
                    "posts": [
                        {
                            "id": f"{handle}-{n}",
                            "at": at.replace(tzinfo=UTC).isoformat(),
                            "likes": k,
                        }
                        for n, (at, k) in enumerate(known["posts"])
                        if at >= datetime.fromisoformat(account["since"])
                    ],
                }
                landing.context = {"account_key": account["account_key"]}
                landing(
                    ResponseRecord(
                        platform=self.name,
                        endpoint="/profile",
                        params={"handle": handle},
                        fetched_at=window.end.replace(tzinfo=UTC),
                        status=200,
                        body=json.dumps(body),
                    )
                )
        return {
            "batch": batch["batch"],
            "connector": self.name,
            "landing_file": str(landing_path),
            "accounts": len(batch["accounts"]),
            "calls": {"/profile": len(batch["accounts"])},
        }

    def parse(self, records: Iterable[dict], window: RunWindow, summary: ExtractSummary) -> Parsed:
        snapshots, posts, reads = [], [], []
        for record in records:
            body, key = parse_json(record["body"]), record["context"]["account_key"]
            snapshots.append(
                dict.fromkeys(SNAPSHOT_COLUMNS)
                | {
                    "account_key": key,
                    "snapshot_date": fetched_day(record),
                    "platform_user_id": body["handle"],
                    "username": body["handle"],
                    "followers_count": body["followers"],
                    "_record": record["body"],
                }
            )
            posts += [
                {"account_key": key, "post_id": post["id"], "published_at": post["at"]}
                | {"post_kind": "original", "likes": post["likes"], "replies": 0, "reposts": 0}
                | {"quotes": 0, "_record": json.dumps(post)}
                for post in body["posts"]
            ]
            reads.append(AccountRead(key, window.day, window.day - timedelta(days=400), READ))
        snapshot = pd.DataFrame(snapshots, columns=SNAPSHOT_COLUMNS, dtype=object)
        counts(snapshot, ["followers_count", "following_count", "post_count", "listed_count"])
        snapshot["created_at"] = utc_timestamps(snapshot["created_at"])
        snapshot["snapshot_date"] = pd.to_datetime(snapshot["snapshot_date"]).dt.date
        post = pd.DataFrame(posts, columns=RECEIVED_POST_COLUMNS, dtype=object)
        counts(post, ["likes", "replies", "reposts", "quotes", "bookmarks", "impressions"])
        post["published_at"] = utc_timestamps(post["published_at"])
        return Parsed(
            frames={
                "account_snapshot": snapshot,
                "post": with_derived_post_columns(post),
                "account_read": account_read_frame(reads),
            },
            answers=len(snapshots),
        )


TOY = ToyConnector()


@pytest.fixture
def toy_registered(monkeypatch):
    """The one line a new platform adds: its connector in platforms.CONNECTORS."""
    monkeypatch.setattr(platforms, "CONNECTORS", (*platforms.CONNECTORS, TOY))


@pytest.fixture
def toy_registry(tmp_path):
    folder = tmp_path / "toy-registry"
    folder.mkdir()
    (folder / "accounts.csv").write_text(TOY_ACCOUNTS, encoding="utf-8")
    (folder / "gazetteer.csv").write_text("area,place\nShire,Shireton\n")
    (folder / "consolidations.csv").write_text("organisation,event_date,description\n")
    return folder


def _run_day(window: RunWindow) -> None:
    """The DAG's steps, in its order, as its tasks call them."""
    pipeline.prepare_warehouse(window)
    extracted = [pipeline.extract(batch, window) for batch in pipeline.plan(window)]
    validated = [pipeline.parse_and_validate(summary, window) for summary in extracted]
    pipeline.load(validated, window)
    release = pipeline.choose_release()
    pipeline.build_models(release)
    pipeline.build_stat_marts(release)
    pipeline.publish_marts(release)


def test_a_registered_connector_makes_its_platform_a_valid_registry_value(
    toy_registered, toy_registry
):
    registry = load_registry(toy_registry)
    assert registry.problems == []
    assert set(registry.accounts["platform"]) == {"toyspace"}
    assert platforms.platform_name("toyspace") == "Toyspace"


def test_without_its_connector_the_platform_is_refused_naming_line_and_known_platforms(
    toy_registry,
):
    with pytest.raises(RegistryError) as refused:
        load_registry(toy_registry)
    message = str(refused.value)
    assert "accounts.csv line 2, column platform: unknown platform 'toyspace'" in message
    assert "use one of x, facebook, instagram" in message


def test_the_plan_gives_a_registered_connector_its_own_batches(
    toy_registered, toy_registry, warehouse_url, pipeline_env
):
    pipeline_env(warehouse_url, "http://127.0.0.1:9", "unused", toy_registry)
    window = RunWindow.of("toy-plan", DAY, DAY + timedelta(days=1))
    pipeline.prepare_warehouse(window)
    toy_batches = [b for b in pipeline.plan(window) if b["connector"] == "toy"]
    assert len(toy_batches) == 2  # socialmetrics_extract_batches, as for every API connector
    planned = sorted(a["account_ref"] for b in toy_batches for a in b["accounts"])
    assert planned == ["pc.quiet", "shire.police"]


def test_a_registered_connector_runs_from_extract_to_marts_unchanged(
    toy_registered, toy_registry, warehouse_url, pipeline_env
):
    pipeline_env(warehouse_url, "http://127.0.0.1:9", "unused", toy_registry)
    _run_day(RunWindow.of("toy-day", DAY, DAY + timedelta(days=1)))
    engine = warehouse_engine(warehouse_url)
    with engine.connect() as conn:
        posts = conn.execute(
            sa.text(
                "select account.account_ref, count(*) from core.post as post "
                "inner join core.account as account on account.account_key = post.account_key "
                "group by account.account_ref order by account.account_ref"
            )
        ).all()
        dormant = conn.execute(
            sa.text("select account_ref, platform from marts.dormant_accounts")
        ).all()
        quarantined = conn.execute(sa.text("select count(*) from quarantine.rejected_row"))
        quarantined = quarantined.scalar_one()
    engine.dispose()
    assert [tuple(row) for row in posts] == [("pc.quiet", 1), ("shire.police", 2)]
    assert [tuple(row) for row in dormant] == [("pc.quiet", "toyspace")]
    assert quarantined == 0
