"""The dbt models as Airflow tasks (astronomer-cosmos, watcher execution mode): one task runs
``dbt build`` over the whole project once (``dbt_producer_watcher``), and one task per model
reports that model's build and tests from it, so the grid shows which model failed and its
log says why, at the cost of one dbt start-up per run instead of one per model. A failed
model task that is cleared in the UI builds its model on its own. The project is read from
the manifest ``make`` builds at install time (``transform/target/manifest.json``), so
parsing the DAG never runs dbt."""

from __future__ import annotations

from cosmos import (
    DbtTaskGroup,
    ExecutionConfig,
    ProfileConfig,
    ProjectConfig,
    RenderConfig,
)
from cosmos.constants import (
    PRODUCER_WATCHER_TASK_ID,
    ExecutionMode,
    InvocationMode,
    LoadMode,
    TestBehavior,
)

from socialmetrics.airflow_support import WAREHOUSE_WRITER_POOL
from socialmetrics.paths import TRANSFORM_DIR
from socialmetrics.transform.cosmos_profile import WarehouseProfileMapping
from socialmetrics.transform.marts import STAT_MARTS_SOURCE
from socialmetrics.transform.profile import PROFILE_NAME, TARGET_NAME
from socialmetrics.warehouse.engine import WAREHOUSE_CONN_ID

MANIFEST_PATH = TRANSFORM_DIR / "target" / "manifest.json"


def dbt_models(group_id: str, release_task_id: str) -> DbtTaskGroup:
    """The task group that builds every dbt model into the release schema the task
    ``release_task_id`` returned."""
    group = DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=TRANSFORM_DIR,
            manifest_path=MANIFEST_PATH,
            project_name="socialmetrics",
        ),
        profile_config=ProfileConfig(
            profile_name=PROFILE_NAME,
            target_name=TARGET_NAME,
            profile_mapping=WarehouseProfileMapping(conn_id=WAREHOUSE_CONN_ID),
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER,
            invocation_mode=InvocationMode.DBT_RUNNER,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.AFTER_EACH,
            exclude=[f"source:{STAT_MARTS_SOURCE}"],
            emit_datasets=False,
        ),
        operator_args={
            "vars": {"marts_schema": f"{{{{ ti.xcom_pull(task_ids='{release_task_id}') }}}}"},
            "pool": WAREHOUSE_WRITER_POOL,
            # Unit tests are for development and CI (make test), not for every daily build.
            "dbt_cmd_flags": ["--exclude-resource-type", "unit_test"],
            "install_deps": False,
            # A model or test that fails on the data fails again on a retry; the producer
            # skips its retries and each model task's would rebuild its model alone.
            "retries": 0,
        },
    )
    _after_the_build(group)
    return group


def _after_the_build(group: DbtTaskGroup) -> None:
    """Start the model tasks once the producer's ``dbt build`` has finished, passed or
    failed: each then reads its model's result at once instead of waiting on a trigger.
    Cosmos starts them beside the producer, which ``dag.test`` (one task at a time, in no set
    order) cannot run, and which the build, seconds long, does not need. When the producer
    never ran (an upstream task failed), they are skipped: there is no result to wait for."""
    tasks = list(group.iter_tasks())
    producer = next(task for task in tasks if task.task_id.endswith(f".{PRODUCER_WATCHER_TASK_ID}"))
    in_group = {task.task_id for task in tasks}
    for task in tasks:
        if hasattr(task, "producer_task_id") and not set(task.upstream_task_ids) & in_group:
            producer >> task
            task.trigger_rule = "one_done"
