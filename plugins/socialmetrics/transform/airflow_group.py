"""The dbt models as Airflow tasks (astronomer-cosmos): one task per model, which builds it
and runs its tests (``dbt build --select <model>``), so the grid shows which model failed
and its log says why. The project is read from the manifest ``make`` builds at install time
(``transform/target/manifest.json``), so parsing the DAG never runs dbt."""

from __future__ import annotations

from cosmos import (
    DbtTaskGroup,
    ExecutionConfig,
    ProfileConfig,
    ProjectConfig,
    RenderConfig,
)
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

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
    return DbtTaskGroup(
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
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.BUILD,
            exclude=[f"source:{STAT_MARTS_SOURCE}"],
            emit_datasets=False,
        ),
        operator_args={
            "vars": {"marts_schema": f"{{{{ ti.xcom_pull(task_ids='{release_task_id}') }}}}"},
            "pool": WAREHOUSE_WRITER_POOL,
            # Unit tests are for development and CI (make test), not for every daily build.
            "dbt_cmd_flags": ["--exclude-resource-type", "unit_test"],
            "install_deps": False,
        },
    )
