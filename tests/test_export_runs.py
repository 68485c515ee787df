"""Runs of export-only accounts in this process (the DAG itself, harness.dag_run), on DuckDB and
PostgreSQL: overlapping exports give the same core whatever the order they arrive in, and
exports never make an account "seen by the API"."""

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from harness.dag_run import run_window
from socialmetrics.warehouse.engine import warehouse_engine
from socialmetrics.window import RunWindow
from warehouse_fingerprints import table_fingerprints

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "exports"
NEWER = FIXTURES / "shire" / "account_analytics_content_2026-09-15_2026-10-14.csv"
OLDER = FIXTURES / "shire_redrop" / "account_analytics_content_2026-09-08_2026-10-07.csv"
FOLLOWERS = FIXTURES / "shire" / "x_ShirePolice_followers.csv"
ACCOUNTS = (
    "organisation,platform,account_ref,display_name,kind,area,owner_email,opened_on,"
    "closed_on,successor_ref,source\n"
    "Shire Police,x,ShirePolice,Shire Police,force,Shire,,2020-01-01,,,export\n"
)


@pytest.fixture
def exports_env(monkeypatch, tmp_path, warehouse_url):
    """An export-only registry, an empty export folder and no API connection; returns the
    export folder."""
    registry = tmp_path / "registry"
    registry.mkdir()
    (registry / "accounts.csv").write_text(ACCOUNTS, encoding="utf-8")
    (registry / "gazetteer.csv").write_text("area,place\nShire,Shireton\n", encoding="utf-8")
    exports = tmp_path / "exports"
    exports.mkdir()
    monkeypatch.delenv("AIRFLOW_CONN_X_API", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_META_GRAPH_API", raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE", warehouse_url)
    for name, value in {
        "REGISTRY_DIR": registry,
        "LANDING_DIR": tmp_path / "landing",
        "OUTBOX_DIR": tmp_path / "outbox",
        "EXPORT_DIR": exports,
    }.items():
        monkeypatch.setenv(f"AIRFLOW_VAR_SOCIALMETRICS_{name}", str(value))
    return exports


def run_on(day: date, exports: Path, *files: Path) -> None:
    """Run ``day`` with exactly ``files`` in the export folder."""
    for old in exports.iterdir():
        old.unlink()
    for file in files:
        shutil.copy(file, exports / file.name)
    start = datetime.combine(day, datetime.min.time())
    run_window(RunWindow.of(f"exports__{day}", start, start + timedelta(days=1)))


def drop_everything(engine) -> None:
    with engine.begin() as conn:
        for schema in ("raw", "staging", "quarantine", "core", "marts", "ops"):
            conn.exec_driver_sql(f"drop schema if exists {schema} cascade")


def test_an_older_download_arriving_after_a_newer_one_changes_no_counts(exports_env, warehouse_url):
    engine = warehouse_engine(warehouse_url)
    try:
        run_on(date(2026, 10, 14), exports_env, NEWER)
        run_on(date(2026, 10, 15), exports_env, OLDER)
        newer_first = table_fingerprints(engine, schemas=("core",))
        with engine.connect() as conn:
            likes = conn.execute(
                sa.text("select likes from core.post where post_id = '1970000000000000004'")
            ).scalar_one()
        assert likes == 171  # the newer download's count, not the older 160
        drop_everything(engine)
        run_on(date(2026, 10, 14), exports_env, OLDER)
        run_on(date(2026, 10, 15), exports_env, NEWER)
        assert table_fingerprints(engine, schemas=("core",)) == newer_first
    finally:
        engine.dispose()


def test_exports_never_make_an_account_seen_by_the_api(exports_env, warehouse_url):
    run_on(date(2026, 10, 14), exports_env, NEWER, FOLLOWERS)
    engine = warehouse_engine(warehouse_url)
    try:
        with engine.connect() as conn:
            users = conn.execute(sa.text("select count(*) from core.platform_user")).scalar_one()
            followers = conn.execute(
                sa.text("select followers_count from core.account_snapshot")
            ).scalar_one()
            posts = conn.execute(sa.text("select count(*) from core.post")).scalar_one()
    finally:
        engine.dispose()
    assert (users, followers, posts) == (0, 5230, 5)
