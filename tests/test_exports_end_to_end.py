"""End to end (issue 10): an organisation whose accounts are all ``source=export``, with no
API connection at all, runs ``social_metrics_daily`` through Airflow (``airflow dags test``)
on the exports X Analytics and Meta Business Suite gave it (overlapping monthly files, in
the real layouts: tests/fixtures/exports/shire), on DuckDB and PostgreSQL; rerunning the day
with re-dropped copies and an older download dropped late changes nothing. The rerun runs
the same steps in this process (the DAG itself, harness.dag_run), which keeps the suite's time."""

import json
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from harness.dag_run import run_window
from harness.dag_runner import PipelineEnvironment, run_dag_test
from socialmetrics.warehouse.engine import warehouse_engine
from socialmetrics.window import RunWindow
from warehouse_fingerprints import table_fingerprints

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "exports"
DAY = date(2026, 10, 14)
ACCOUNTS = (
    "organisation,platform,account_ref,display_name,kind,area,owner_email,opened_on,"
    "closed_on,successor_ref,source\n"
    "Shire Police,x,ShirePolice,Shire Police,force,Shire,comms@shire.example,2020-01-01,,,"
    "export\n"
    "Shire Police,x,PCRobert,PC Robert,officer,Shire,robert@shire.example,2021-06-01,,,export\n"
    "Shire Police,facebook,100000000000001,Shire Police,force,Shire,comms@shire.example,"
    "2019-03-01,,,export\n"
    "Shire Police,instagram,17841400000000001,shirepolice,force,Shire,comms@shire.example,"
    "2022-02-01,,,export\n"
)


@pytest.fixture
def export_only_registry(tmp_path):
    folder = tmp_path / "registry"
    folder.mkdir()
    (folder / "accounts.csv").write_text(ACCOUNTS, encoding="utf-8")
    (folder / "organisations.csv").write_text(
        "organisation,comms_email,timezone\nShire Police,comms@shire.example,Europe/London\n",
        encoding="utf-8",
    )
    (folder / "gazetteer.csv").write_text("area,place\nShire,Shireton\n", encoding="utf-8")
    (folder / "consolidations.csv").write_text("organisation,event_date,description\n")
    return folder


def run_day(environment, log_path):
    finished = run_dag_test("social_metrics_daily", DAY, environment, log_path)
    assert finished.returncode == 0, log_path.read_text()[-5000:]


def rows(engine, sql, **params):
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(sa.text(sql), params).mappings()]


def activity(engine, day=DAY):
    found = rows(engine, "select * from marts.account_activity where day = :day", day=day)
    return {row["account_key"]: row for row in found}


def test_export_only_organisation_runs_without_api_connections_and_redrops_change_nothing(
    warehouse_url, export_only_registry, tmp_path, monkeypatch
):
    exports = tmp_path / "exports"
    shutil.copytree(FIXTURES / "shire", exports)
    environment = PipelineEnvironment(
        warehouse_url=warehouse_url,
        registry_dir=export_only_registry,
        landing_dir=tmp_path / "landing",
        extra={"AIRFLOW_VAR_SOCIALMETRICS_EXPORT_DIR": str(exports)},
    )
    assert not {"AIRFLOW_CONN_X_API", "AIRFLOW_CONN_META_GRAPH_API"} & set(environment.variables())
    run_day(environment, tmp_path / "first.log")
    engine = warehouse_engine(warehouse_url)
    try:
        assert_posts_engagement_dormancy_and_followers(engine)
        assert_the_unreadable_cell_is_quarantined_with_its_file_and_first_line(engine)
        assert rows(engine, "select * from ops.extract_issue") == []
        assert rows(engine, "select * from core.platform_user") == []
        before = table_fingerprints(engine)

        # A copy of a monthly file, an older download of an overlapping month dropped after
        # the newer one, and a month moved into a sub-folder: nothing changes.
        shutil.copytree(FIXTURES / "shire_redrop", exports, dirs_exist_ok=True)
        for name in ("AIRFLOW_CONN_X_API", "AIRFLOW_CONN_META_GRAPH_API"):
            monkeypatch.delenv(name, raising=False)
        for name, value in environment.variables().items():
            monkeypatch.setenv(name, value)
        start = datetime.combine(DAY, datetime.min.time())
        rerun = run_window(RunWindow.of("rerun", start, start + timedelta(days=1))).run_id
        assert table_fingerprints(engine) == before
        (landed,) = rows(
            engine,
            "select calls from ops.api_call_count where platform = 'csv_export' and run_id = :run",
            run=rerun,
        )
        assert landed == {"calls": 8 + 3}
    finally:
        engine.dispose()


def assert_posts_engagement_dormancy_and_followers(engine):
    posts = rows(engine, "select account_key, count(*) as n from core.post group by account_key")
    assert {row["account_key"]: row["n"] for row in posts} == {
        "x:shirepolice": 6,  # 7 posts in two overlapping months, one quarantined
        "x:pcrobert": 2,
        "facebook:100000000000001": 4,
        "instagram:17841400000000001": 3,
    }
    # The post in three files keeps the counts of the latest download.
    (road,) = rows(
        engine,
        "select published_at, published_on, likes, quotes, engagement, impressions "
        "from core.post where post_id = '1970000000000000004'",
    )
    assert road == {
        "published_at": None,
        "published_on": date(2026, 9, 28),
        "likes": 171,
        "quotes": None,
        "engagement": 171 + 22 + 44,
        "impressions": 9900,
    }
    # 00:30 in London on 28 September (summer time) is 23:30 UTC the day before.
    (checks,) = rows(
        engine,
        "select published_at, published_on, likes, impressions from core.post "
        "where post_id = '100000000000001_1200000000000004'",
    )
    assert checks == {
        "published_at": datetime(2026, 9, 27, 23, 30),
        "published_on": date(2026, 9, 27),
        "likes": 391,
        "impressions": 10_400,
    }

    today = activity(engine)
    shire = today["x:shirepolice"]
    assert (shire["last_post_on"], shire["last_post_at"], shire["status"]) == (
        date(2026, 10, 12),
        None,
        "active",
    )
    assert (shire["posts_last_30_days"], shire["engagement_last_30_days"]) == (
        5,
        56 + 121 + 237 + 127 + 100,
    )
    assert (shire["followers"], shire["followers_basis"]) == (5230, "snapshot")
    robert = today["x:pcrobert"]
    assert (robert["status"], robert["days_since_last_post"], robert["dormant_since"]) == (
        "dormant",
        55,
        date(2026, 9, 20),
    )
    assert (robert["followers"], robert["followers_basis"]) == (None, "unknown")
    assert today["instagram:17841400000000001"]["last_post_at"] == datetime(2026, 10, 13, 18, 30)
    assert today["facebook:100000000000001"]["engagement_last_30_days"] == 1291 + 444 + 161

    # The overview's follows and unfollows move the day's total back, day by day.
    day_before = activity(engine, date(2026, 10, 13))["x:shirepolice"]
    assert (day_before["followers"], day_before["followers_basis"]) == (5230 - (10 - 2), "derived")
    assert (day_before["new_follows"], day_before["unfollows"]) == (17, 3)

    (force,) = rows(
        engine,
        "select posts, engagement, accounts_open, accounts_open_with_followers "
        "from marts.engagement_daily where kind = 'force' and day = :day",
        day=date(2026, 10, 13),
    )
    assert force == {
        "posts": 1,
        "engagement": 2310 + 45 + 12,
        "accounts_open": 3,
        "accounts_open_with_followers": 1,
    }
    (dormant,) = rows(engine, "select account_key, last_post_on from marts.dormant_accounts")
    assert dormant == {"account_key": "x:pcrobert", "last_post_on": date(2026, 8, 20)}


def assert_the_unreadable_cell_is_quarantined_with_its_file_and_first_line(engine):
    (rejected,) = rows(
        engine, "select entity, record, expectation, reason from quarantine.rejected_row"
    )
    record = json.loads(rejected["record"])
    assert (record["file"], record["line"], record["Likes"]) == (
        "account_analytics_content_2026-09-15_2026-10-14.csv",
        3,
        "1.2K",
    )
    assert rejected["entity"] == "post"
    assert rejected["reason"] == "Likes '1.2K' is not a whole number"
