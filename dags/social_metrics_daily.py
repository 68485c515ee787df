"""
### Social metrics daily

Tells which of the organisation's social-media accounts have gone quiet and where their
audiences live, for the run's data interval:

1. **prepare_warehouse** applies pending schema migrations and checks the registry files
   (Variable `socialmetrics_registry_dir`): a file that cannot be used fails the run; a bad
   row is left out, logged, and emailed once to `socialmetrics_alert_emails`.
2. **plan** splits the registry's accounts into a fixed number of batches
   (`socialmetrics_extract_batches`): new accounts get their whole reachable history,
   known ones the interval plus the look-back window (`socialmetrics_lookback_days`).
3. **extract** (one mapped task per batch) calls the X API (`x_api`) and the Meta Graph API
   (`meta_graph_api`) for the accounts with source `api`, and lands every answer as received;
   one more batch lands the analytics exports of `socialmetrics_export_dir` (accounts with
   source `export`, no connection needed). An account the platform refuses (protected,
   suspended, unknown) or throttles is noted and the others go on; only a refused token or
   a spent X budget fails the run. **keep_failed_answers** copies what a failed extract
   received into `raw`.
4. **parse_and_validate** (per batch) parses the landing into rows (the connector's parser)
   and checks them with Great Expectations; failing rows are quarantined with their reason.
5. **load** writes raw, staging, quarantine, core and `ops` counts in one transaction
   (connection `warehouse`).
6. **build_marts** (a task group): **choose_release** picks the release schema this run
   writes (`marts_blue` or `marts_green`, the one `marts` does not show); **dbt_models**
   builds every dbt model of `transform/` into it with its tests in one `dbt build`
   (astronomer-cosmos, watcher mode), with a task per model and per model's tests that
   shows how each went; **build_stat_marts** adds the statistical marts and their tests;
   **publish_marts** then points every view of `marts` at the new release in one
   transaction. A failing model or test stops the run before the publish: BI keeps the
   previous marts, whole.
7. **send_alerts** emails each newly dormant account's owner and comms lead once per
   dormancy spell, and a weekly digest per organisation (connection `smtp_default`, else
   `.eml` files in `socialmetrics_outbox_dir`). Task failures email the data engineers
   (`socialmetrics_alert_emails`).

A manual run can cover a whole range in one run (params `interval_start`, `interval_end`):
each account's posts over the range are read in as few API calls as paging allows.

Rerunning a day changes nothing in `core` or `marts`. Row counts per stage are in
`ops.stage_count`; expectation results in `ops.validation_result`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import (
    Asset,
    CronDataIntervalTimetable,
    Param,
    TriggerRule,
    dag,
    get_current_context,
    task,
    task_group,
)

from socialmetrics import pipeline
from socialmetrics.airflow_support import WAREHOUSE_WRITER_POOL
from socialmetrics.transform.airflow_group import dbt_models

MARTS = Asset("warehouse://marts")


@task
def choose_release(loaded: dict) -> str:
    return pipeline.choose_release()


@task(pool=WAREHOUSE_WRITER_POOL)
def build_stat_marts(release: str) -> dict:
    return pipeline.build_stat_marts(release)


@task(outlets=[MARTS], pool=WAREHOUSE_WRITER_POOL)
def publish_marts(release: str, stats: dict) -> dict:
    return pipeline.publish_marts(release, get_current_context()["run_id"])


@task_group
def build_marts(loaded: dict):
    """The marts: dbt models into a release schema, the statistics, then one publish."""
    release = choose_release(loaded)
    models = dbt_models("dbt_models", release_task_id="build_marts.choose_release")
    stats = build_stat_marts(release)
    release >> models >> stats
    return publish_marts(release, stats)


@dag(
    dag_id="social_metrics_daily",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    # Airflow runs no task for a day before start_date and calls the run a success: so it is
    # the epoch, and the first task refuses days before the platforms existed, in words.
    # catchup stays off, so a new deployment starts from today.
    start_date=datetime(1970, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={
        "retries": 2,
        "retry_delay": timedelta(seconds=30),
        # A task that hangs (a platform that never answers, a lock never released) fails
        # instead of holding its worker slot and the run forever.
        "execution_timeout": timedelta(hours=1),
        "on_failure_callback": pipeline.notify_failure,
    },
    tags=["socialmetrics"],
    doc_md=__doc__,
    params={
        "interval_start": Param(
            None,
            type=["null", "string"],
            format="date",
            description="Manual runs only: first day of a range to extract in one run.",
        ),
        "interval_end": Param(
            None,
            type=["null", "string"],
            format="date",
            description="Manual runs only: the day after the range (exclusive).",
        ),
    },
)
def social_metrics_daily():
    @task
    def prepare_warehouse() -> dict:
        return pipeline.prepare_warehouse(pipeline.window_from_context(get_current_context()))

    @task
    def plan(ready: dict) -> list[dict]:
        return pipeline.plan(pipeline.window_from_context(get_current_context()))

    # One rate-limit wait may last 15 minutes (socialmetrics_max_rate_limit_wait_seconds),
    # and a first run reads each new account's whole history.
    @task(execution_timeout=timedelta(hours=3))
    def extract(batch: dict) -> dict:
        return pipeline.extract(batch, pipeline.window_from_context(get_current_context()))

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def keep_failed_answers() -> dict:
        return pipeline.keep_failed_answers(pipeline.window_from_context(get_current_context()))

    @task
    def parse_and_validate(extracted: dict) -> dict:
        window = pipeline.window_from_context(get_current_context())
        return pipeline.parse_and_validate(extracted, window)

    @task
    def load(validated: list[dict]) -> dict:
        return pipeline.load(validated, pipeline.window_from_context(get_current_context()))

    @task
    def send_alerts(marts: dict) -> dict:
        return pipeline.send_alerts(pipeline.window_from_context(get_current_context()))

    ready = prepare_warehouse()
    batches = plan(ready)
    raw = extract.expand(batch=batches)
    raw >> keep_failed_answers()
    checked = parse_and_validate.expand(extracted=raw)
    loaded = load(checked)
    marts = build_marts(loaded)
    send_alerts(marts)


social_metrics_daily()
