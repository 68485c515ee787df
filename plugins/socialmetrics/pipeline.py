"""The steps of ``social_metrics_daily``, each callable from one Airflow task.

The DAG file only wires these together. Each step reads what it needs itself (settings from
Variables, credentials from connections) so that nothing secret travels through XCom.
"""

from __future__ import annotations

import functools
import logging

from socialmetrics.errors import SocialMetricsError
from socialmetrics.window import RunWindow

log = logging.getLogger(__name__)


def fail_fast_on_user_errors(step):
    """Turn errors a user must fix (bad registry, connection, token) into a failure without
    retries, carrying only their message: retrying cannot help and a traceback hides it."""

    @functools.wraps(step)
    def run(*args, **kwargs):
        from socialmetrics.connectors.x_api import XAuthError

        try:
            return step(*args, **kwargs)
        except (SocialMetricsError, XAuthError) as exc:
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(str(exc)) from None

    return run


def window_from_context(context) -> RunWindow:
    """The RunWindow of the running task's DAG run."""
    return RunWindow.of(
        context["run_id"], context["data_interval_start"], context["data_interval_end"]
    )


@fail_fast_on_user_errors
def prepare_warehouse() -> dict:
    """Apply pending migrations and check the registry; fail with its problems listed."""
    from socialmetrics.registry import load_registry
    from socialmetrics.settings import load_settings
    from socialmetrics.warehouse.engine import engine_from_airflow
    from socialmetrics.warehouse.migrations import apply_migrations

    settings = load_settings()
    registry = load_registry(settings.registry_dir)
    engine = engine_from_airflow()
    try:
        applied = apply_migrations(engine)
    finally:
        engine.dispose()
    log.info(
        "registry %s: %d accounts; migrations applied: %s",
        settings.registry_dir,
        len(registry.accounts),
        applied or "none pending",
    )
    return {"accounts": len(registry.accounts), "migrations_applied": applied}


@fail_fast_on_user_errors
def plan(window: RunWindow) -> list[dict]:
    """The run's extract batches (a fixed number of them; see extract.plan)."""
    from socialmetrics.extract.plan import plan_batches
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
            "%s: %d accounts, %d first seen (full history), %d follower samples due",
            batch["batch"],
            len(accounts),
            sum(a["history"] for a in accounts),
            sum(a["sample_followers"] for a in accounts),
        )
    return batches


@fail_fast_on_user_errors
def extract(batch: dict, window: RunWindow) -> dict:
    """Extract one batch into the raw landing; returns the extract summary."""
    from socialmetrics.airflow_support import get_connection
    from socialmetrics.extract.x import X_CONN_ID, credentials_from_connection, extract_x_batch
    from socialmetrics.landing import run_folder
    from socialmetrics.settings import load_settings

    settings = load_settings()
    path = run_folder(settings.landing_dir, window.run_id) / f"{batch['batch']}.jsonl"
    if not batch["accounts"]:
        log.info("%s: no accounts in this batch", batch["batch"])
    credentials = credentials_from_connection(get_connection(X_CONN_ID))
    summary = extract_x_batch(
        batch, window, credentials, path, follower_sample_size=settings.follower_sample_size
    )
    log.info("%s: API calls %s, landed in %s", batch["batch"], summary["calls"], path)
    return summary


@fail_fast_on_user_errors
def validate(extracted: dict, window: RunWindow) -> dict:
    """Validate one landed batch with the GX suites; returns the validation summary."""
    from socialmetrics.validation.batch import validate_batch

    summary = validate_batch(extracted, window)
    for entity, counts in summary["counts"].items():
        log.info("%s %s: %s", extracted["batch"], entity, counts)
    failed = [r for r in summary["results"] if not r["success"]]
    for result in failed:
        log.warning("expectation failed: %s", result)
    return summary


@fail_fast_on_user_errors
def load(validated: list[dict], window: RunWindow) -> dict:
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
def build_marts() -> dict:
    """Rebuild the SQL models (core intermediates and marts) and run their checks."""
    from socialmetrics.warehouse.engine import engine_from_airflow
    from socialmetrics.warehouse.models import run_models

    engine = engine_from_airflow()
    try:
        counts = run_models(engine)
    finally:
        engine.dispose()
    for name, rows in counts.items():
        log.info("%s: %d rows", name, rows)
    return counts
