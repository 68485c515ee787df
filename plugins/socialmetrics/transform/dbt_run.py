"""Run dbt on the project in ``transform/``, in this process, against a warehouse URL.

dbt runs through its programmatic entry point (``dbtRunner``), so a build costs one parse of
the project (partial parsing keeps the state in the target folder) and no interpreter start.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from socialmetrics.environment import environment
from socialmetrics.errors import SocialMetricsError
from socialmetrics.paths import TRANSFORM_DIR
from socialmetrics.transform.marts import STAT_MARTS_SOURCE
from socialmetrics.transform.profile import write_profiles
from socialmetrics.warehouse.engine import release_dbt_duckdb

log = logging.getLogger(__name__)

FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})


class ModelBuildError(SocialMetricsError):
    """A dbt model or test failed; the message names each failing node and its file."""


@dataclass(frozen=True)
class NodeResult:
    unique_id: str
    status: str
    message: str | None
    path: str | None
    failures: int | None


@contextmanager
def dbt_environment(url: str) -> Iterator[Path]:
    """A profiles folder for ``url`` and its environment variables, for one dbt invocation."""
    with tempfile.TemporaryDirectory(prefix="dbt-profile-") as profiles_dir:
        with environment(write_profiles(url, Path(profiles_dir))):
            yield Path(profiles_dir)


def target_dir() -> Path:
    """This process's dbt target folder: partial parsing state is kept per process, so that
    two processes (test workers, Airflow tasks) never write the same files."""
    return Path(tempfile.gettempdir()) / f"socialmetrics-dbt-{os.getpid()}"


def run_dbt(
    url: str,
    command: Sequence[str],
    *,
    dbt_vars: dict | None = None,
    target: Path | None = None,
) -> list[NodeResult]:
    """Run ``dbt <command>`` against ``url``; return each node's result.

    ``target`` is dbt's target folder (default: this process's, see ``target_dir``). Raises
    ModelBuildError naming every failing model or test (with its message and file)
    when dbt reports one, or dbt's own error when it could not run at all.
    """
    from dbt.cli.main import dbtRunner

    target = target or target_dir()
    options = ["--project-dir", str(TRANSFORM_DIR), "--target-path", str(target)]
    options += ["--log-path", str(target)]
    if dbt_vars:
        options += ["--vars", json.dumps(dbt_vars)]
    with dbt_environment(url) as profiles_dir:
        options += ["--profiles-dir", str(profiles_dir)]
        try:
            manifest = None if command[0] == "parse" else _parsed_manifest(url, options, dbt_vars)
            outcome = dbtRunner(manifest=manifest).invoke([*command, *options])
        finally:
            release_dbt_duckdb()
    results = [_node_result(r) for r in getattr(outcome.result, "results", None) or []]
    failed = [r for r in results if r.status in FAILED_STATUSES]
    if failed:
        raise ModelBuildError(_failure_message(command, failed))
    if not outcome.success:
        raise ModelBuildError(
            f"dbt {' '.join(command)} did not run: {outcome.exception or 'see the dbt log above'} "
            f"(project {TRANSFORM_DIR})."
        )
    return results


# Parsing the project takes seconds; the manifest depends on the project, the vars and the
# adapter, never on the data, so a process parses it once per vars and adapter and only
# renames the database its relations live in when it builds another warehouse.
_MANIFESTS: dict[tuple, object] = {}


def _parsed_manifest(url: str, options: list[str], dbt_vars: dict | None):
    from dbt.cli.main import dbtRunner
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    key = (parsed.get_backend_name(), parsed.host, parsed.port, json.dumps(dbt_vars))
    if key not in _MANIFESTS:
        outcome = dbtRunner().invoke(["parse", *options])
        if not outcome.success:
            reason = outcome.exception or "see the log above"
            raise ModelBuildError(f"The dbt project {TRANSFORM_DIR} does not parse: {reason}")
        _MANIFESTS[key] = outcome.result
    manifest = _MANIFESTS[key]
    database = (
        Path(parsed.database or "memory").stem
        if parsed.get_backend_name() == "duckdb"
        else parsed.database
    )
    _retarget(manifest, database)
    return manifest


def _retarget(manifest, database: str) -> None:
    """Name ``database`` in every relation of ``manifest`` (dbt fills it in at parse time)."""
    for node in (*manifest.nodes.values(), *manifest.sources.values()):
        old = getattr(node, "database", None)
        if old is None or old == database:
            continue
        node.database = database
        if getattr(node, "relation_name", None):
            node.relation_name = node.relation_name.replace(f'"{old}".', f'"{database}".', 1)


def _node_result(result) -> NodeResult:
    node = result.node
    return NodeResult(
        unique_id=node.unique_id,
        status=str(result.status),
        message=result.message,
        path=getattr(node, "original_file_path", None),
        failures=getattr(result, "failures", None),
    )


def _failure_message(command: Sequence[str], failed: Sequence[NodeResult]) -> str:
    lines = [f"dbt {' '.join(command)}: {len(failed)} model(s) or test(s) failed:"]
    for node in failed:
        where = f" ({Path('transform') / node.path})" if node.path else ""
        lines.append(f"- {node.unique_id}{where}: {node.message}")
    lines.append("The published marts are unchanged; fix the model or the data and rerun.")
    return "\n".join(lines)


def release_vars(release: str) -> dict[str, str]:
    """The dbt vars of a build into the release schema ``release``."""
    return {"marts_schema": release}


def engine_url(engine) -> str:
    """The URL of a SQLAlchemy engine, password included (dbt reads it from the environment)."""
    return engine.url.render_as_string(hide_password=False)


def build_models(engine, release: str) -> list[NodeResult]:
    """``dbt build`` every model and its data tests, the marts into ``release``. Unit tests
    are for development and CI, not for every build (``make test`` runs them)."""
    return run_dbt(
        engine_url(engine),
        [
            "build",
            "--exclude",
            f"source:{STAT_MARTS_SOURCE}",
            "--exclude-resource-type",
            "unit_test",
        ],
        dbt_vars=release_vars(release),
    )


def test_stat_marts(engine, release: str) -> list[NodeResult]:
    """``dbt test`` the statistical marts that Python wrote into ``release``."""
    return run_dbt(
        engine_url(engine),
        ["test", "--select", f"source:{STAT_MARTS_SOURCE}"],
        dbt_vars=release_vars(release),
    )
