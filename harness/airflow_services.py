"""Run Airflow's own services (api-server, scheduler, dag-processor) as local subprocesses.

What a data engineer starts on one machine, for tests that go through the real scheduler:
each service runs in a process group of its own with its output in a log file, and is stopped
(terminate, then kill, the whole group) when done. :class:`AirflowClient` is a small client of
the REST API (``/api/v2``) for what such a test needs: health, DAGs, runs, task instances and
their logs.

Airflow 3 notes this module relies on:

* Task processes started by the LocalExecutor talk to the api-server's *execution* API
  (``[core] execution_api_server_url``, ``http://HOST:PORT/execution/``), so the api-server
  must be up for any task to run, and every component must share ``[api_auth] jwt_secret``.
* With ``[core] simple_auth_manager_all_admins`` the simple auth manager adds an admin token
  to every request (local use only): the client sends no credentials.
* ``[scheduler] use_job_schedule = False`` keeps the scheduler from creating the timetable's
  own runs; runs triggered through the API still run.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import requests

from harness.dag_runner import PipelineEnvironment
from socialmetrics.airflow_support import WAREHOUSE_WRITER_POOL
from socialmetrics.paths import PROJECT_DIR

AIRFLOW = Path(sys.executable).with_name("airflow")
SERVICES = ("api-server", "scheduler", "dag-processor")
LOG_TAIL_CHARS = 6000


class AirflowServiceError(RuntimeError):
    """A service did not start, died, or did not answer in time."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def metadata_database_url(url: str, asynchronous: bool = False) -> str:
    """``url`` with the SQLAlchemy driver Airflow should use for its metadata: psycopg 3,
    its async flavour for ``[database] sql_alchemy_conn_async``."""
    scheme, sep, rest = url.partition("://")
    if scheme.split("+")[0] in ("postgresql", "postgres"):
        scheme = "postgresql+psycopg_async" if asynchronous else "postgresql+psycopg"
    return f"{scheme}{sep}{rest}"


def service_environment(
    home: Path,
    metadata_url: str,
    port: int,
    pipeline: PipelineEnvironment,
    config: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The process environment of every service: a private ``AIRFLOW_HOME``, metadata in
    ``metadata_url``, the LocalExecutor, the api-server on ``127.0.0.1:port``, this project's
    DAGs and plugins, and the pipeline's connections and Variables.

    ``AIRFLOW*`` variables of the calling process are dropped so nothing leaks in from a
    developer's shell or from ``make``; ``config`` adds or overrides settings
    (``{"AIRFLOW__SECTION__KEY": value}``).
    """
    base_url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_database_url(metadata_url),
            # Airflow derives the async URL as postgresql+asyncpg, which is not installed.
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": metadata_database_url(
                metadata_url, asynchronous=True
            ),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_DIR / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_DIR / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
            "AIRFLOW__CORE__FERNET_KEY": _fernet_key(),
            "AIRFLOW__API__BASE_URL": base_url,
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            # The scheduler serves task logs on this port (default 8793): keep it private too.
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            "GX_ANALYTICS_ENABLED": "false",
            "NO_PROXY": "*",
            "no_proxy": "*",
            "PYTHONPATH": str(PROJECT_DIR / "plugins"),
            "SOCIALMETRICS_PROJECT_DIR": str(PROJECT_DIR),
        }
    )
    env.update(pipeline.variables())
    env.update(config or {})
    return env


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def _tail(path: Path, chars: int = LOG_TAIL_CHARS) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return text if len(text) <= chars else "..." + text[-chars:]


@dataclass
class Service:
    """One Airflow command running in a process group of its own, output to ``log_path``."""

    name: str
    args: list[str]
    log_path: Path
    process: subprocess.Popen | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self, env: Mapping[str, str], cwd: Path) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(AIRFLOW), *self.args],
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def tail(self, chars: int = LOG_TAIL_CHARS) -> str:
        return _tail(self.log_path, chars)

    def stop(self, grace_seconds: float = 15) -> None:
        """SIGTERM to the service's process group and its descendants, SIGKILL after
        ``grace_seconds`` to whatever is left."""
        import psutil

        process = self.process
        if process is None:
            return
        try:
            descendants = psutil.Process(process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            descendants = []
        _signal_group(process.pid, signal.SIGTERM)
        for child in descendants:
            _quietly(child.terminate)
        deadline = time.monotonic() + grace_seconds
        try:
            process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            pass
        _, alive = psutil.wait_procs(descendants, timeout=max(0.0, deadline - time.monotonic()))
        _signal_group(process.pid, signal.SIGKILL)
        for child in alive:
            _quietly(child.kill)
        process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _quietly(action: Callable[[], Any]) -> None:
    import psutil

    try:
        action()
    except psutil.Error:
        pass


class AirflowClient:
    """A small client of Airflow's REST API (``/api/v2``)."""

    def __init__(self, base_url: str, timeout: float = 30):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False  # never through a proxy: the server is local
        self.session.headers["Accept"] = "application/json"

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(
            method, f"{self.base_url}/api/v2{path}", timeout=self.timeout, **kwargs
        )
        if response.status_code >= 400:
            raise requests.HTTPError(
                f"{method} {path} -> {response.status_code}: {response.text[:2000]}",
                response=response,
            )
        return response.json() if response.content else None

    def health(self) -> dict:
        return self.request("GET", "/monitor/health")

    def dag(self, dag_id: str) -> dict:
        return self.request("GET", f"/dags/{dag_id}")

    def tasks(self, dag_id: str) -> list[dict]:
        return self.request("GET", f"/dags/{dag_id}/tasks")["tasks"]

    def import_errors(self) -> list[dict]:
        return self.request("GET", "/importErrors")["import_errors"]

    def set_paused(self, dag_id: str, paused: bool) -> dict:
        return self.request(
            "PATCH",
            f"/dags/{dag_id}",
            params={"update_mask": "is_paused"},
            json={"is_paused": paused},
        )

    def trigger_dag_run(
        self,
        dag_id: str,
        logical_date: datetime,
        run_id: str | None = None,
        conf: dict | None = None,
    ) -> dict:
        """Create a manual run at ``logical_date`` (timezone-aware). For a data-interval
        timetable Airflow infers the interval: the last whole period before the date."""
        body: dict[str, Any] = {"logical_date": logical_date.isoformat(), "conf": conf or {}}
        if run_id:
            body["dag_run_id"] = run_id
        return self.request("POST", f"/dags/{dag_id}/dagRuns", json=body)

    def dag_run(self, dag_id: str, run_id: str) -> dict:
        return self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        instances: list[dict] = []
        while True:
            page = self.request(
                "GET",
                f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                params={"limit": 100, "offset": len(instances)},
            )
            instances += page["task_instances"]
            if not page["task_instances"] or len(instances) >= page["total_entries"]:
                return instances

    def xcom(
        self, dag_id: str, run_id: str, task_id: str, key: str = "return_value", map_index: int = -1
    ) -> Any:
        """The value of one XCom entry (e.g. what a task returned), decoded from JSON."""
        entry = self.request(
            "GET",
            f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}",
            params={"map_index": map_index},
        )
        value = entry["value"]
        return json.loads(value) if isinstance(value, str) else value

    def task_log(
        self, dag_id: str, run_id: str, task_id: str, try_number: int, map_index: int = -1
    ) -> str:
        """The whole log of one try of a task instance, one line per record."""
        answer = self.request(
            "GET",
            f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}",
            params={"map_index": map_index, "full_content": "true"},
        )
        content = answer.get("content") if isinstance(answer, dict) else answer
        if isinstance(content, str):
            return content
        return "\n".join(_log_line(record) for record in content or [])


# Keys of a structured task log record that every line repeats: left out of the text.
_LOG_CONTEXT_KEYS = {
    "dag_id",
    "task_id",
    "run_id",
    "map_index",
    "try_number",
    "ti_id",
    "filename",
    "lineno",
    "loc",
    "sources",
}


def _log_line(record: Any) -> str:
    if not isinstance(record, dict):
        return str(record)
    head = " ".join(str(record[key]) for key in ("timestamp", "level", "event") if record.get(key))
    rest = {
        key: value
        for key, value in record.items()
        if key not in _LOG_CONTEXT_KEYS and key not in ("timestamp", "level", "event")
    }
    return f"{head} {json.dumps(rest, default=str)}" if rest else head


class AirflowServices:
    """Airflow's api-server, scheduler and dag-processor for one ``AIRFLOW_HOME``.

    Use as a context manager: the services are stopped on exit, whatever happened.
    """

    def __init__(self, env: Mapping[str, str], port: int, log_dir: Path | None = None):
        self.env = dict(env)
        self.port = port
        self.home = Path(self.env["AIRFLOW_HOME"])
        self.log_dir = log_dir or self.home / "service-logs"
        self.client = AirflowClient(f"http://127.0.0.1:{port}")
        self.services: list[Service] = []

    def __enter__(self) -> AirflowServices:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def migrate(self, timeout: float = 300) -> None:
        """``airflow db migrate``: create or upgrade the metadata database; then the pools."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._airflow(["db", "migrate"], "db-migrate.log", timeout)
        self.create_pools(timeout)

    def create_pools(self, timeout: float = 120) -> None:
        """The pools the DAG's tasks name: warehouse_writer, one slot for a DuckDB warehouse
        (one writer per file), four for PostgreSQL."""
        url = self.env.get("AIRFLOW_CONN_WAREHOUSE", "")
        slots = "1" if url.startswith("duckdb") or '"duckdb"' in url else "4"
        command = ["pools", "set", WAREHOUSE_WRITER_POOL, slots, "writes the warehouse"]
        self._airflow(command, "pools.log", timeout)

    def _airflow(self, args: list[str], log_name: str, timeout: float) -> None:
        """Run ``airflow <args>`` to completion, its output in ``log_name``; raise with the
        log's end when it fails."""
        log_path = self.log_dir / log_name
        with log_path.open("wb") as log:
            finished = subprocess.run(
                [str(AIRFLOW), *args],
                env=self.env,
                cwd=PROJECT_DIR,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        if finished.returncode != 0:
            raise AirflowServiceError(f"airflow {' '.join(args)} failed:\n{_tail(log_path)}")

    def start(self, names: Iterable[str] = SERVICES) -> None:
        for name in names:
            args = [name]
            if name == "api-server":
                args += ["--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"]
            service = Service(name, args, self.log_dir / f"{name}.log")
            service.start(self.env, PROJECT_DIR)
            self.services.append(service)

    def stop(self) -> None:
        """Stop the services, the scheduler (and the tasks it runs) first."""
        order = {"scheduler": 0, "dag-processor": 1, "api-server": 2}
        for service in sorted(self.services, key=lambda s: order.get(s.name, 3)):
            service.stop()
        self.services = []

    def check_running(self) -> None:
        """Raise, with its log, if a service has exited."""
        for service in self.services:
            if service.exit_code is not None:
                raise AirflowServiceError(
                    f"airflow {service.name} exited with code {service.exit_code}:\n"
                    f"{service.tail()}"
                )

    def logs(self, chars: int = LOG_TAIL_CHARS) -> str:
        """The end of every service's log, for failure messages."""
        return "\n".join(
            f"----- {service.name} ({service.log_path}) -----\n{service.tail(chars)}"
            for service in self.services
        )

    def wait(
        self, what: str, probe: Callable[[], Any], timeout: float, interval: float = 1.0
    ) -> Any:
        """Call ``probe`` until it returns something truthy; fail with the services' logs
        if a service dies or ``timeout`` seconds pass. Exceptions of ``probe`` mean 'not yet'."""
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while True:
            self.check_running()
            try:
                result = probe()
            except (requests.RequestException, ValueError, KeyError) as exc:
                result, last_error = None, exc
            if result:
                return result
            if time.monotonic() > deadline:
                raise AirflowServiceError(
                    f"timed out after {timeout:.0f}s waiting for {what} "
                    f"(last error: {last_error!r})\n{self.logs()}"
                )
            time.sleep(interval)

    def wait_until_healthy(self, timeout: float = 180) -> dict:
        """Wait until the api-server answers and reports the metadata database, the
        scheduler and the dag-processor healthy."""

        def healthy() -> dict | None:
            health = self.client.health()
            components = ("metadatabase", "scheduler", "dag_processor")
            if all((health.get(c) or {}).get("status") == "healthy" for c in components):
                return health
            return None

        return self.wait("the api-server to report the services healthy", healthy, timeout)

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> dict:
        """Wait until the dag-processor has parsed ``dag_id`` (import errors are shown)."""

        def parsed() -> dict | None:
            try:
                return self.client.dag(dag_id)
            except requests.HTTPError as exc:
                if exc.response is not None and exc.response.status_code == 404:
                    errors = self.client.import_errors()
                    if errors:
                        raise AirflowServiceError(
                            f"DAG import errors: {json.dumps(errors, indent=1)}"
                        ) from None
                    return None
                raise

        return self.wait(f"DAG {dag_id} to be parsed", parsed, timeout)

    def wait_for_dag_run(
        self, dag_id: str, run_id: str, timeout: float = 480, interval: float = 2.0
    ) -> dict:
        """Wait until the run is finished (``success`` or ``failed``); returns the run."""

        def finished() -> dict | None:
            run = self.client.dag_run(dag_id, run_id)
            return run if run["state"] in ("success", "failed") else None

        return self.wait(f"DAG run {dag_id}/{run_id} to finish", finished, timeout, interval)

    def failure_report(self, dag_id: str, run_id: str, chars: int = LOG_TAIL_CHARS) -> str:
        """The states of a run's task instances, the logs of those that did not succeed,
        and the end of the services' logs."""
        lines: list[str] = []
        try:
            instances = self.client.task_instances(dag_id, run_id)
        except requests.RequestException as exc:
            instances, lines = [], [f"cannot list task instances: {exc}"]
        for ti in sorted(instances, key=lambda t: (t["task_id"], t["map_index"])):
            lines.append(f"{ti['task_id']}[{ti['map_index']}]: {ti['state']}")
        for ti in instances:
            if ti["state"] == "success":
                continue
            for try_number in range(1, (ti.get("try_number") or 0) + 1):
                try:
                    text = self.client.task_log(
                        dag_id, run_id, ti["task_id"], try_number, ti["map_index"]
                    )
                except requests.RequestException as exc:
                    text = f"(cannot read the log: {exc})"
                if len(text) > chars:
                    text = "..." + text[-chars:]
                lines.append(
                    f"----- log of {ti['task_id']}[{ti['map_index']}] try {try_number} -----"
                )
                lines.append(text)
        lines.append(self.logs(chars // 2))
        return "\n".join(lines)
