"""The steps of ``social_metrics_daily``, each callable from one Airflow task.

The DAG file only wires these together. Each step reads what it needs itself (settings from
Variables, credentials from connections) so that nothing secret travels through XCom.
"""

from __future__ import annotations

import functools
import logging

from socialmetrics.errors import ConfigurationError, SocialMetricsError
from socialmetrics.payloads import Batch, ExtractSummary, LoadCounts, ValidationSummary
from socialmetrics.window import FIRST_DAY, RunWindow

log = logging.getLogger(__name__)


def fail_fast_on_user_errors(step):
    """Turn errors a user must fix (bad registry, connection, token) into a failure without
    retries, carrying only their message: retrying cannot help and a traceback hides it."""

    @functools.wraps(step)
    def run(*args, **kwargs):
        from socialmetrics.platforms import ConnectionUnusable

        try:
            return step(*args, **kwargs)
        except (SocialMetricsError, ConnectionUnusable) as exc:
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(str(exc)) from None

    return run


@fail_fast_on_user_errors
def window_from_context(context) -> RunWindow:
    """The RunWindow of the running task's DAG run.

    A manual run may name its own interval with the params ``interval_start`` and
    ``interval_end`` (ISO dates or timestamps, UTC): one run then extracts the whole range,
    in as few API calls as the platforms allow, and reports on its last day.
    """
    window = _window_of(context)
    if window.day < FIRST_DAY:
        raise ConfigurationError(
            f"The run reports on {window.day}, before {FIRST_DAY}, the first day X (the "
            "oldest platform read) has data: there is nothing to extract. Run a day from "
            f"{FIRST_DAY} on (airflow dags test social_metrics_daily YYYY-MM-DD)."
        )
    return window


def _window_of(context) -> RunWindow:
    from datetime import datetime

    params = context.get("params") or {}
    start, end = params.get("interval_start"), params.get("interval_end")
    if start or end:
        if not (start and end):
            raise ConfigurationError(
                "Give both params interval_start and interval_end (ISO dates), or neither."
            )
        try:
            start, end = datetime.fromisoformat(start), datetime.fromisoformat(end)
        except ValueError:
            raise ConfigurationError(
                f"params interval_start={start!r} / interval_end={end!r} are not ISO dates "
                "(YYYY-MM-DD)."
            ) from None
        if end <= start:
            raise ConfigurationError("param interval_end must be after interval_start.")
        return RunWindow.of(context["run_id"], start, end)
    return RunWindow.of(
        context["run_id"], context["data_interval_start"], context["data_interval_end"]
    )


@fail_fast_on_user_errors
def prepare_warehouse(window: RunWindow) -> dict:
    """Apply pending migrations and check the registry.

    A registry file that cannot be used fails the run with its problems listed. Rows with a
    problem are left out of the run: each is logged here, recorded in ops by the load and
    emailed once to the data engineers (alerts.registry_notice).
    """
    from socialmetrics.alerts.registry_notice import notify_registry_problems
    from socialmetrics.registry import load_registry
    from socialmetrics.settings import load_settings
    from socialmetrics.warehouse.engine import engine_from_airflow
    from socialmetrics.warehouse.migrations import apply_migrations

    settings = load_settings()
    registry = load_registry(settings.registry_dir)
    for problem in registry.problems:
        log.warning("registry row left out of this run: %s", problem)
    engine = engine_from_airflow()
    try:
        applied = apply_migrations(engine)
        notify_registry_problems(
            engine, registry.problems, window.run_id, str(settings.registry_dir)
        )
    finally:
        engine.dispose()
    log.info(
        "registry %s: %d accounts (%d rows left out); migrations applied: %s",
        settings.registry_dir,
        len(registry.accounts),
        len(registry.problems),
        applied or "none pending",
    )
    return {
        "accounts": len(registry.accounts),
        "rows_left_out": len(registry.problems),
        "migrations_applied": applied,
    }


@fail_fast_on_user_errors
def plan(window: RunWindow) -> list[Batch]:
    """The run's extract batches (a fixed number of them; see socialmetrics.plan)."""
    from socialmetrics.plan import plan_batches
    from socialmetrics.registry import load_registry
    from socialmetrics.settings import load_settings
    from socialmetrics.warehouse.engine import engine_from_airflow

    settings = load_settings()
    engine = engine_from_airflow()
    try:
        batches = plan_batches(load_registry(settings.registry_dir), engine, window, settings)
    finally:
        engine.dispose()
    for batch in batches:
        accounts = batch["accounts"]
        log.info(
            "%s: %d accounts, %d first seen (full history), %d follower samples due, %d read "
            "from exports",
            batch["batch"],
            len(accounts),
            sum(bool(a.get("history")) for a in accounts),
            sum(bool(a.get("sample_followers")) for a in accounts),
            sum(a.get("source") == "export" for a in accounts),
        )
    return batches


@fail_fast_on_user_errors
def extract(batch: Batch, window: RunWindow) -> ExtractSummary:
    """Extract one batch into the raw landing through its connector; returns the summary.

    An empty batch lands an empty file and needs no connection, so an organisation without
    (say) Facebook pages needs no ``meta_graph_api`` connection.
    """
    from socialmetrics.landing import LandingWriter, run_folder
    from socialmetrics.platforms import connector_named
    from socialmetrics.settings import load_settings

    settings = load_settings()
    connector = connector_named(batch["connector"])
    path = run_folder(settings.landing_dir, window.run_id) / f"{batch['batch']}.jsonl"
    if not batch["accounts"] and connector.connection_id is not None:
        log.info("%s: no accounts in this batch", batch["batch"])
        with LandingWriter(path):
            pass
        return {
            "batch": batch["batch"],
            "connector": connector.name,
            "landing_file": str(path),
            "accounts": 0,
            "calls": {},
        }
    summary = connector.extract(batch, window, settings, path)
    log.info("%s: calls %s, landed in %s", batch["batch"], summary["calls"], path)
    for key, why in (summary.get("deferred") or {}).items():
        log.warning("%s deferred to the next run: %s", key, why)
    for key, why in (summary.get("failures") or {}).items():
        log.warning("%s not read this run: %s", key, why)
    return summary


@fail_fast_on_user_errors
def keep_failed_answers(window: RunWindow) -> dict:
    """Copy into ``raw`` the answers of the batches whose extract failed for good.

    Nothing received is ever lost: a failed extract keeps what it landed (see
    LandingWriter), and when its batch has no successful attempt the run's load never runs,
    so this step loads those answers (and only them) into ``raw.api_response``. A batch
    that succeeded in the end is left to the load, which keeps its failed attempts too.
    """
    from socialmetrics.landing import run_folder, stranded_attempts
    from socialmetrics.load import keep_raw_answers
    from socialmetrics.settings import load_settings
    from socialmetrics.warehouse.engine import engine_from_airflow

    settings = load_settings()
    stranded = stranded_attempts(run_folder(settings.landing_dir, window.run_id))
    if not stranded:
        return {"answers_kept": 0}
    engine = engine_from_airflow()
    try:
        kept = keep_raw_answers(engine, window, stranded)
    finally:
        engine.dispose()
    log.warning("kept %d answers of failed extracts in raw.api_response", kept)
    return {"answers_kept": kept}


@fail_fast_on_user_errors
def parse_and_validate(extracted: ExtractSummary, window: RunWindow) -> ValidationSummary:
    """Parse one landed batch into rows (its connector's parser) and check them with the GX
    suites; returns the validation summary."""
    from socialmetrics.validation.batch import validate_batch

    summary = validate_batch(extracted, window)
    for entity, counts in summary["counts"].items():
        log.info("%s %s: %s", extracted["batch"], entity, counts)
    failed = [r for r in summary["results"] if not r["success"]]
    for result in failed:
        log.warning("expectation failed: %s", result)
    # Each issue is named here as in ops.extract_issue (a file of the export folder that
    # could not be used, an account the platform would not show).
    for issue in summary["issues"]:
        log.warning("%s: %s: %s", issue["endpoint"], issue["issue"], issue["detail"])
    return summary


@fail_fast_on_user_errors
def load(validated: list[ValidationSummary], window: RunWindow) -> LoadCounts:
    """Load the run into the warehouse in one transaction; returns counts per entity/stage."""
    from socialmetrics.load import load_run
    from socialmetrics.registry import load_registry
    from socialmetrics.settings import load_settings
    from socialmetrics.warehouse.engine import engine_from_airflow

    settings = load_settings()
    engine = engine_from_airflow()
    try:
        return load_run(
            engine, window, load_registry(settings.registry_dir), settings, list(validated)
        )
    finally:
        engine.dispose()


@fail_fast_on_user_errors
def choose_release() -> str:
    """The release schema this run builds the marts into: the one ``marts`` does not show."""
    from socialmetrics.transform.publish import next_release_schema
    from socialmetrics.warehouse.engine import engine_from_airflow

    engine = engine_from_airflow()
    try:
        release = next_release_schema(engine)
    finally:
        engine.dispose()
    log.info("this run builds the marts into %s", release)
    return release


@fail_fast_on_user_errors
def build_models(release: str) -> int:
    """Build every dbt model and its tests into ``release`` in one ``dbt build``, in this
    process: what the DAG's Cosmos producer task does, for callers outside Airflow.
    Returns the number of models and tests dbt ran."""
    from socialmetrics.transform.dbt_run import build_models as build
    from socialmetrics.warehouse.engine import engine_from_airflow

    engine = engine_from_airflow()
    try:
        return len(build(engine, release))
    finally:
        engine.dispose()


@fail_fast_on_user_errors
def build_stat_marts(release: str) -> dict:
    """Write the statistical marts (consolidation impact, pooled effect, accounts vs
    engagement) into ``release`` and run their dbt tests. Windows, settling period and
    resamples come from the Variables (socialmetrics.settings)."""
    from socialmetrics.settings import load_settings
    from socialmetrics.warehouse.engine import engine_from_airflow
    from socialmetrics.warehouse.stat_marts import build_stat_marts as build

    settings = load_settings()
    engine = engine_from_airflow()
    try:
        counts = build(
            engine,
            release,
            window_days=settings.impact_window_days,
            settling_days=settings.impact_settling_days,
            period_days=settings.national_period_days,
            n_resamples=settings.stat_resamples,
        )
    finally:
        engine.dispose()
    return counts


@fail_fast_on_user_errors
def publish_marts(release: str, run_id: str | None = None) -> dict:
    """Point every view of ``marts`` at ``release`` in one transaction; rows per mart."""
    from socialmetrics.transform.publish import publish_release
    from socialmetrics.warehouse.engine import engine_from_airflow

    engine = engine_from_airflow()
    try:
        counts = publish_release(engine, release, run_id=run_id)
    finally:
        engine.dispose()
    for name, rows in counts.items():
        log.info("%s: %d rows", name, rows)
    return counts


@fail_fast_on_user_errors
def send_alerts(window: RunWindow) -> dict:
    """Email newly dormant accounts and, on the latest loaded day, the week's digests.

    A rerun or retry sends nothing twice (``ops.alert_log``). A run for an older day (a
    backfill) sends no digest: the digest describes the accounts as they are now.
    """
    import sqlalchemy as sa

    from socialmetrics.alerts import (
        delivery_from_airflow,
        send_dormancy_alerts,
        send_weekly_digests,
    )
    from socialmetrics.warehouse.engine import engine_from_airflow

    engine = engine_from_airflow()
    try:
        delivery = delivery_from_airflow()
        alerts = send_dormancy_alerts(engine, delivery)
        with engine.connect() as conn:
            latest = conn.execute(sa.text("select max(day) from core.loaded_day")).scalar()
        digests = send_weekly_digests(engine, delivery, window.day) if window.day == latest else []
    finally:
        engine.dispose()
    log.info("dormancy alerts: %d; weekly digests: %d", len(alerts), len(digests))
    return {"dormancy_alerts": len(alerts), "digests": len(digests)}


def notify_failure(context) -> None:
    """``on_failure_callback``: tell the data engineers (see socialmetrics.alerts.failure)."""
    from socialmetrics.alerts.failure import notify_failure as notify

    notify(context)
