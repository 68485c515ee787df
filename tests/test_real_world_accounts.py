"""A run over accounts that do what real ones do: a protected account, one that renames its
handle between two runs, one that only reposts, and a registry line with a malformed
username. Every other account loads; the marts tell silence from blindness; the renamed
account keeps its history. Through the pipeline's own steps against the sandbox, on DuckDB
and PostgreSQL."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from harness.dag_run import run_window
from sandbox.scenario.quirks import QUIRKS_ORGANISATION, RENAMED_ON
from socialmetrics.warehouse.engine import warehouse_engine
from socialmetrics.window import RunWindow

# One pytest-xdist worker runs every test here, so the module's runs (two per warehouse)
# are made once, not once on each worker that gets one of its tests.
pytestmark = pytest.mark.xdist_group("real-world-accounts")

BEFORE_RENAME = RENAMED_ON - timedelta(days=2)
AFTER_RENAME = RENAMED_ON + timedelta(days=9)
MALFORMED = "WaveneyVale-Bins"


def window_for(day: date) -> RunWindow:
    start = datetime.combine(day, datetime.min.time())
    return RunWindow.of(f"scheduled__{day}", start, start + timedelta(days=1))


@pytest.fixture(scope="module")
def quirks_registry(scenario, tmp_path_factory):
    """The scenario's registry of Waveney Vale alone, plus a line with a bad username."""
    full = tmp_path_factory.mktemp("registry-full")
    scenario.write_registry(full)
    folder = tmp_path_factory.mktemp("quirks-registry")
    for path in full.glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as source:
            rows = list(csv.DictReader(source))
            header = list(rows[0])
        if path.name == "gazetteer.csv":
            rows = [row for row in rows if row["area"] == "Waveney Vale"]
        else:
            rows = [row for row in rows if row["organisation"] == QUIRKS_ORGANISATION]
        if path.name == "accounts.csv":
            rows.append({**rows[0], "account_ref": MALFORMED, "display_name": "Bins"})
        with (folder / path.name).open("w", newline="", encoding="utf-8") as target:
            writer = csv.DictWriter(target, fieldnames=header, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return folder


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def two_runs(request, sandbox, quirks_registry, tmp_path_factory):
    """The day before the rename and a day after it, each run when it would be scheduled;
    once per warehouse engine for the whole module (the runs are what the tests read)."""
    folder = tmp_path_factory.mktemp(f"quirks-{request.param}")
    if request.param == "duckdb":
        url = f"duckdb:///{folder / 'warehouse.duckdb'}"
    else:
        url = request.getfixturevalue("postgres_database")(f"quirks_{folder.name}")
    environment = {
        "AIRFLOW_CONN_WAREHOUSE": url,
        "AIRFLOW_CONN_X_API": json.dumps(
            {"conn_type": "http", "host": sandbox.base_url, "password": sandbox.token}
        ),
        "AIRFLOW_VAR_SOCIALMETRICS_REGISTRY_DIR": str(quirks_registry),
        "AIRFLOW_VAR_SOCIALMETRICS_LANDING_DIR": str(folder / "landing"),
        "AIRFLOW_VAR_SOCIALMETRICS_OUTBOX_DIR": str(folder / "outbox"),
        "AIRFLOW_VAR_SOCIALMETRICS_ALERT_EMAILS": "data-team@example.org",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        try:
            for day in (BEFORE_RENAME, AFTER_RENAME):
                sandbox.clock.run_of(day)
                run_window(window_for(day))
        finally:
            sandbox.clock.set(sandbox.scenario.now)
    engine = warehouse_engine(url)
    engine.outbox = folder / "outbox"
    yield engine
    engine.dispose()


def status_on(engine, day: date) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "select account_ref, status, unreachable_reason, posts_last_30_days, "
                "reposts_last_30_days from marts.account_activity where day = :day"
            ),
            {"day": day},
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_a_malformed_username_is_left_out_naming_its_file_and_line(two_runs):
    with two_runs.connect() as conn:
        problems = conn.execute(
            sa.text("select distinct file, line, column_name, message from ops.registry_problem")
        ).all()
        accounts = conn.execute(sa.text("select account_ref from core.account")).scalars().all()
    assert [(p.file, p.line, p.column_name) for p in problems] == [
        ("accounts.csv", 6, "account_ref")
    ]
    assert MALFORMED in problems[0].message and "is not an X username" in problems[0].message
    assert MALFORMED not in accounts and len(accounts) == 4


def test_the_left_out_row_is_emailed_to_the_data_engineers_once(two_runs):
    notices = sorted(two_runs.outbox.glob("registry-*.eml"))
    assert len(notices) == 1, "two runs, one problem: one email"
    text = notices[0].read_text(encoding="utf-8")
    assert "data-team@example.org" in text and "accounts.csv line 6" in text


def test_a_protected_account_is_unreachable_never_dormant(two_runs):
    status, reason, *_ = status_on(two_runs, AFTER_RENAME)["WaveneyParking"]
    assert (status, reason) == ("unreachable", "protected")
    with two_runs.connect() as conn:
        detail = (
            conn.execute(
                sa.text(
                    "select detail from ops.extract_issue "
                    "where account_key = 'x:waveneyparking' and issue = 'protected'"
                )
            )
            .scalars()
            .first()
        )
        dormant = (
            conn.execute(sa.text("select account_ref from marts.dormant_accounts")).scalars().all()
        )
    assert "not authorized" in detail
    assert "WaveneyParking" not in dormant


def test_an_account_that_only_reposts_is_dormant(two_runs):
    status, reason, posts, reposts = status_on(two_runs, AFTER_RENAME)["WaveneyNews"]
    assert (status, reason, posts) == ("dormant", None, 0)
    assert reposts > 20


def test_a_renamed_account_keeps_its_history_and_the_rename_is_told(two_runs, scenario):
    status, *_ = status_on(two_runs, AFTER_RENAME)["BecclesEvents"]
    assert status == "active"
    account = scenario.account("WaveneyEvents")
    with two_runs.connect() as conn:
        issue = conn.execute(
            sa.text("select detail from ops.extract_issue where issue = 'renamed'")
        ).scalar_one()
        posts = conn.execute(
            sa.text(
                "select count(*), min(published_on), max(published_on) from core.post "
                "where account_key = 'x:becclesevents'"
            )
        ).one()
        keys = conn.execute(sa.text("select account_key, username from core.platform_user")).all()
    assert "@WaveneyEvents" in issue and "accounts.csv" in issue
    first_day = max(account.opened_on, scenario.start_date)
    assert posts[1] <= first_day + timedelta(days=7) and posts[2] >= RENAMED_ON
    assert ("x:becclesevents", "WaveneyEvents") in [tuple(k) for k in keys]


def test_the_weekly_digest_lists_the_unreachable_account_with_what_to_do(two_runs):
    digests = sorted(two_runs.outbox.glob("digest_*.eml"))
    text = digests[-1].read_text(encoding="utf-8")
    assert "@WaveneyParking" in text and "protected" in text
    assert "could not be seen" in text


def test_no_dormancy_alert_goes_to_an_account_nobody_could_see(two_runs):
    alerts = [p.name for p in two_runs.outbox.glob("dormancy_*.eml")]
    assert any("waveneynews" in name for name in alerts)
    assert not any("waveneyparking" in name for name in alerts)
