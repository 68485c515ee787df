"""Run ``social_metrics_daily`` itself, in this process, for one window (``dag.test``).

What the tests and the benchmark run is the DAG: its tasks, its order, its mapping, its
retries and callbacks, against the sandbox they serve in the same process. The window is
passed as the DAG's own ``interval_start``/``interval_end`` params, as a manual range run
would be. Connections and Variables come from the environment (AIRFLOW_CONN_*,
AIRFLOW_VAR_*); Airflow's metadata database is AIRFLOW_HOME's (``make`` migrates it).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

from socialmetrics.paths import PROJECT_DIR
from socialmetrics.window import RunWindow

DAG_ID = "social_metrics_daily"


class DagRunFailed(Exception):
    """A run did not succeed; the message has the failed tasks and their failure notices."""

    def __init__(self, run: DagRunResult, notices: list[str]):
        self.run = run
        self.notices = notices
        failed = ", ".join(f"{task} ({state})" for task, state in run.unsuccessful)
        super().__init__(f"run {run.run_id} {run.state}: {failed}\n" + "\n\n".join(notices))


@dataclass(frozen=True)
class DagRunResult:
    """What a run ended as: its id and state, and each task instance's state."""

    run_id: str
    state: str
    tasks: tuple[tuple[str, str], ...]  # (task_id or task_id[map_index], state)

    @property
    def unsuccessful(self) -> list[tuple[str, str]]:
        return [(task, state) for task, state in self.tasks if state != "success"]


@functools.cache
def _dag(dag_id: str):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(PROJECT_DIR / "dags")).dags[dag_id]


def run_window(window: RunWindow, *, dag_id: str = DAG_ID) -> DagRunResult:
    """Run the DAG over ``window`` (whole days) and return how it ended; raise DagRunFailed,
    with the failure notices the run emailed (to the outbox), when it did not succeed."""
    started = datetime.now(UTC)
    run = _dag(dag_id).test(
        logical_date=window.end.replace(tzinfo=UTC),
        run_conf={
            "interval_start": window.start.date().isoformat(),
            "interval_end": window.end.date().isoformat(),
        },
    )
    tasks = tuple(
        (ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]", str(ti.state))
        for ti in sorted(run.get_task_instances(), key=lambda ti: (ti.task_id, ti.map_index))
    )
    result = DagRunResult(run.run_id, str(run.state), tasks)
    if result.state != "success":
        raise DagRunFailed(result, _failure_notices(started))
    return result


def _failure_notices(since: datetime) -> list[str]:
    """The text of the failure notices written to the outbox since ``since``."""
    outbox = os.environ.get("AIRFLOW_VAR_SOCIALMETRICS_OUTBOX_DIR")
    if not outbox:
        return []
    notices = []
    for path in sorted(Path(outbox).glob("failure-*.eml")):
        if datetime.fromtimestamp(path.stat().st_mtime, UTC) < since:
            continue
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        notices.append(message.get_body(preferencelist=("plain",)).get_content())
    return notices
