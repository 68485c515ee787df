"""``national_e2e_seconds``: sandbox to marts on DuckDB for N accounts over D days.

The sandbox serves ``national_scenario(accounts, days, posts_per_day)`` from a
``SandboxServer`` in a child process (as a remote API would be: its CPU is not the
pipeline's, but it shares the machine's cores), with its rate limit out of reach. The DAG
``social_metrics_daily`` itself runs in this process (``harness.dag_run``, ``dag.test``)
for one manual run over the scenario's whole history (its ``interval_start``/
``interval_end`` params): every account is new, so each gets its whole reachable history,
a snapshot and a follower sample, into a fresh DuckDB warehouse.

The value is the wall time from the start of the run to the end of ``build_marts``;
``send_alerts``, which runs after the marts, is reported beside it. The libraries the steps
import on first use are imported before (reported, not counted). Each step is timed by
wrapping the ``socialmetrics.pipeline`` functions the DAG's tasks call, and rows per second
per stage come from the run's ``ops.stage_count``.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import resource
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bench import Result, result
from harness.dag_run import run_window
from sandbox.scenario import national_scenario
from socialmetrics import pipeline
from socialmetrics.environment import environment
from socialmetrics.warehouse.engine import warehouse_engine
from socialmetrics.window import RunWindow

STEPS = (
    "prepare_warehouse",
    "plan",
    "extract",
    "parse_and_validate",
    "load",
    "choose_release",
    "build_stat_marts",
    "publish_marts",
    "send_alerts",
)
TOKEN = "bench-sandbox-token"
SANDBOX_START_TIMEOUT = 300


# -- the sandbox in a child process -------------------------------------------------------


def _serve(accounts: int, days: int, posts_per_day: float, seed: int, conn) -> None:
    from sandbox.server import SandboxServer

    scenario = national_scenario(accounts, days, posts_per_day, seed)
    with SandboxServer(scenario, token=TOKEN, rate_limit=10**9) as server:
        conn.send(server.base_url)
        conn.recv()  # until told to stop
        conn.send(dict(server.requests_served))


@contextmanager
def sandbox_process(
    accounts: int, days: int, posts_per_day: float, seed: int
) -> Iterator[tuple[str, dict]]:
    """Serve the national scenario from a child process; yields (base URL, a dict that holds
    the requests served per endpoint once the block ends)."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(
        target=_serve,
        args=(accounts, days, posts_per_day, seed, theirs),
        name="socialmetrics-bench-sandbox",
        daemon=True,
    )
    child.start()
    served: dict = {}
    try:
        deadline = time.monotonic() + SANDBOX_START_TIMEOUT
        while not ours.poll(0.5):
            if not child.is_alive():
                raise RuntimeError(f"the sandbox process exited (code {child.exitcode})")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox did not start in {SANDBOX_START_TIMEOUT} s")
        yield ours.recv(), served
        ours.send("stop")
        if ours.poll(30):
            served.update(ours.recv())
    finally:
        child.join(timeout=30)
        if child.is_alive():
            child.terminate()
            child.join()


# -- the run ------------------------------------------------------------------------------


def _peak_rss_gib() -> float:
    """Peak resident memory of this process so far (ru_maxrss is KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)


@contextmanager
def timed_steps() -> Iterator[tuple[dict[str, list[tuple[float, float]]], dict[str, float], dict]]:
    """Record (start, end) of every call of the pipeline steps the DAG's tasks make, the
    process's peak RSS after each step's last call (the step that raised the peak is the
    first whose figure is the final one) and each step's last return value."""
    spans: dict[str, list[tuple[float, float]]] = {step: [] for step in STEPS}
    peaks: dict[str, float] = {}
    returned: dict[str, object] = {}
    originals = {step: getattr(pipeline, step) for step in STEPS}

    def timed(step, function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                returned[step] = function(*args, **kwargs)
                return returned[step]
            finally:
                spans[step].append((started, time.perf_counter()))
                peaks[step] = _peak_rss_gib()

        return run

    for step, function in originals.items():
        setattr(pipeline, step, timed(step, function))
    try:
        yield spans, peaks, returned
    finally:
        for step, function in originals.items():
            setattr(pipeline, step, function)


def warm_imports() -> float:
    """Import what the steps import on first use (Airflow's SDK, GX and its context, the
    connectors, the model runner); returns the seconds it took. Done before the timed run so
    that its figure does not depend on what this process ran before (a scheduler's task
    processes pay this once each; it is reported, not counted)."""
    started = time.perf_counter()
    from airflow.sdk import BaseHook, Variable  # noqa: F401

    import socialmetrics.alerts  # noqa: F401
    import socialmetrics.load  # noqa: F401
    import socialmetrics.platforms.x.extract  # noqa: F401
    import socialmetrics.transform.dbt_run  # noqa: F401
    import socialmetrics.validation.batch  # noqa: F401
    from socialmetrics.validation.validate import _context

    _context()
    return time.perf_counter() - started


def _stage_counts(url: str, run_id: str) -> dict[str, dict[str, int]]:
    engine = warehouse_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "select entity, stage, row_count from ops.stage_count where run_id = :run_id"
                ),
                {"run_id": run_id},
            ).all()
            calls = conn.execute(
                sa.text("select sum(calls) from ops.api_call_count where run_id = :run_id"),
                {"run_id": run_id},
            ).scalar()
    finally:
        engine.dispose()
    counts: dict[str, dict[str, int]] = {}
    for entity, stage, value in rows:
        counts.setdefault(entity, {})[stage] = int(value)
    counts.setdefault("api_call", {})["made"] = int(calls or 0)
    return counts


def _per_second(rows: int, seconds: float) -> float | None:
    return round(rows / seconds) if seconds > 0 else None


def measure_e2e(
    accounts: int,
    days: int,
    posts_per_day: float = 2.0,
    seed: int = 42,
    workdir: Path | None = None,
    keep: bool = False,
    duckdb_settings: dict[str, str] | None = None,
) -> dict[str, Result]:
    """Run the pipeline once for ``accounts`` x ``days``; returns ``national_e2e_seconds``.

    ``workdir`` (default: a temporary folder) holds the registry, landing, outbox and the
    DuckDB warehouse; it is deleted afterwards unless ``keep``. ``duckdb_settings`` go into
    the warehouse connection (``memory_limit``, ``threads``...), as a user would set them.
    """
    warmup_seconds = warm_imports()
    scenario = national_scenario(accounts, days, posts_per_day, seed)
    folder = Path(tempfile.mkdtemp(prefix="sm-bench-e2e-", dir=workdir))
    try:
        scenario.write_registry(folder / "registry")
        url = sa.URL.create(
            "duckdb", database=str(folder / "warehouse.duckdb"), query=duckdb_settings or {}
        ).render_as_string()
        start = datetime.combine(scenario.start_date, datetime.min.time())
        end = datetime.combine(scenario.end_date + timedelta(days=1), datetime.min.time())
        window = RunWindow.of(f"bench__e2e_{accounts}x{days}", start, end)
        with sandbox_process(accounts, days, posts_per_day, seed) as (base_url, served):
            connection = {"conn_type": "http", "host": base_url, "password": TOKEN}
            env = {
                "AIRFLOW_CONN_WAREHOUSE": url,
                "AIRFLOW_CONN_X_API": json.dumps(connection),
                "AIRFLOW_VAR_SOCIALMETRICS_REGISTRY_DIR": str(folder / "registry"),
                "AIRFLOW_VAR_SOCIALMETRICS_LANDING_DIR": str(folder / "landing"),
                "AIRFLOW_VAR_SOCIALMETRICS_OUTBOX_DIR": str(folder / "outbox"),
            }
            with environment(env), timed_steps() as (spans, peaks, returned):
                started = time.perf_counter()
                run_id = run_window(window).run_id
                finished = time.perf_counter()
        marts = returned["publish_marts"]
        counts = _stage_counts(url, run_id)
        landing_bytes = sum(p.stat().st_size for p in (folder / "landing").rglob("*.jsonl"))
        warehouse_bytes = (folder / "warehouse.duckdb").stat().st_size
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)

    step_seconds = {
        step: round(max(e for _, e in spans[step]) - min(s for s, _ in spans[step]), 3)
        for step in STEPS
        if spans[step]
    }
    # The marts are built from the release choice (then the dbt tasks, which are not
    # pipeline steps) to the publish.
    marts_started = min(s for s, _ in spans["choose_release"])
    marts_finished = max(e for _, e in spans["publish_marts"])
    step_seconds["build_marts"] = round(marts_finished - marts_started, 3)
    to_marts = marts_finished - started
    entities = {k: v for k, v in counts.items() if k not in ("api_answer", "api_call")}
    extracted = sum(v.get("extracted", 0) for v in entities.values())
    written = sum(v.get("loaded", 0) + v.get("quarantined", 0) for v in entities.values())
    answers = counts.get("api_answer", {}).get("landed", 0)
    mart_rows = sum(marts.values())
    rows_per_second = {
        "extract": _per_second(extracted, step_seconds["extract"]),
        "extract_answers": _per_second(answers, step_seconds["extract"]),
        "parse_and_validate": _per_second(extracted, step_seconds["parse_and_validate"]),
        "load": _per_second(written + answers, step_seconds["load"]),
        "build_marts": _per_second(mart_rows, step_seconds["build_marts"]),
        "end_to_end": _per_second(extracted, to_marts),
    }
    posts = entities.get("post", {}).get("extracted", 0)
    return {
        "national_e2e_seconds": result(
            "national_e2e_seconds",
            round(to_marts, 2),
            {
                "accounts": accounts,
                "days": days,
                "posts_per_day": posts_per_day,
                "posts": posts,
                "warehouse": "duckdb",
                "duckdb_settings": duckdb_settings or "defaults",
                "run": "one manual run over the whole history (interval_start..interval_end)",
                "seconds_with_alerts": round(finished - started, 2),
                "warmup_import_seconds": round(warmup_seconds, 2),
                "warmup_excluded": True,
                "step_seconds": step_seconds,
                "extract_batch_seconds": [round(e - s, 3) for s, e in spans["extract"]],
                "validate_batch_seconds": [round(e - s, 3) for s, e in spans["parse_and_validate"]],
                "rows_per_second": rows_per_second,
                "rows_per_second_means": {
                    "extract, parse_and_validate": "rows extracted (all entities) / step seconds",
                    "extract_answers": "API answers landed / extract seconds",
                    "load": "rows written (loaded + quarantined + raw answers) / load seconds",
                    "build_marts": "rows in the published marts / seconds from choose_release "
                    "to the end of publish_marts (the dbt tasks between them)",
                    "end_to_end": "rows extracted / value",
                },
                "stage_count": counts,
                "mart_rows": marts,
                "sandbox_requests": served,
                # The peak of this process, earlier measurements of the bench run too.
                "peak_rss_gib": _peak_rss_gib(),
                "peak_rss_gib_after_step": peaks,
                "landing_bytes": landing_bytes,
                "warehouse_bytes": warehouse_bytes,
            },
        )
    }
