"""The SQL model runner: rebuilds the tables of ``sql/models`` in dependency order.

One model per ``.sql`` file; its folder is its schema (``sql/models/marts/x.sql`` builds
``marts.x``). A model file holds one ``select`` (import CTEs, then CTEs named for what they
hold, then ``select * from <last cte>``) and a description file ``x.yml`` beside it (see
``model_checks``). Models outside ``marts`` must be named ``int_*`` so that no model can ever
replace a table the pipeline loads (``core.account``, ``core.post``...).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from socialmetrics.paths import MODELS_DIR
from socialmetrics.warehouse.model_checks import (
    CheckResult,
    ModelCheckError,
    ModelDefinitionError,
    ModelDescription,
    execute_literal_sql,
    load_description,
    record_results,
    run_checks,
    sql_literal,
    table_columns,
)

__all__ = [
    "Model",
    "ModelCheckError",
    "ModelDefinitionError",
    "comment_table",
    "describe_and_check",
    "load_models",
    "model_order",
    "replace_table",
    "run_models",
]

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# String literals, quoted identifiers and comments, so that neither a ';' nor a 'schema.table'
# inside them is taken for SQL.
_LEXEME = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.DOTALL)
_QUALIFIED = re.compile(r"\b([a-z_][a-z0-9_]*)\s*\.\s*([a-z_][a-z0-9_]*)\b")
_PUBLIC_SCHEMA = "marts"
_INTERMEDIATE_PREFIX = "int_"


@dataclass(frozen=True)
class Model:
    """One model: where it comes from, its select, its description and the models it reads."""

    schema: str
    name: str
    path: Path
    select_sql: str
    description: ModelDescription
    depends_on: frozenset[str]

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"


def load_models(models_dir: Path = MODELS_DIR) -> dict[str, Model]:
    """Read every ``<schema>/<name>.sql`` under ``models_dir`` with its ``<name>.yml``.

    Returns the models by qualified name. A model depends on another when its SQL names it as
    ``schema.name``. Raises ModelDefinitionError for a malformed file, a missing or mismatched
    description, or a non-``marts`` model not named ``int_*``.
    """
    found: dict[str, tuple[str, str, Path, str, ModelDescription]] = {}
    for path in sorted(Path(models_dir).glob("*/*.sql")):
        schema, name = path.parent.name, path.stem
        if not _NAME.match(schema) or not _NAME.match(name):
            raise ModelDefinitionError(f"{path}: model folders and files are lower_snake_case")
        if schema != _PUBLIC_SCHEMA and not name.startswith(_INTERMEDIATE_PREFIX):
            raise ModelDefinitionError(
                f"{path}: models outside {_PUBLIC_SCHEMA}/ must be named "
                f"{_INTERMEDIATE_PREFIX}<name>.sql so they never replace a loaded table"
            )
        select_sql = _select_of(path)
        description = load_description(path.with_suffix(".yml"))
        if description.name != name:
            raise ModelDefinitionError(
                f"{path.with_suffix('.yml')}: name is {description.name!r}, expected {name!r}"
            )
        found[f"{schema}.{name}"] = (schema, name, path, select_sql, description)
    models = {}
    for qualified, (schema, name, path, select_sql, description) in found.items():
        depends_on = frozenset(_references(select_sql) & (set(found) - {qualified}))
        models[qualified] = Model(schema, name, path, select_sql, description, depends_on)
    return models


def _select_of(path: Path) -> str:
    """The model's select without comments or a trailing semicolon."""
    code, bare = _strip(path.read_text(encoding="utf-8"))
    bare = bare.strip().rstrip(";").strip()
    if ";" in bare:
        raise ModelDefinitionError(f"{path}: a model file holds exactly one select statement")
    first_word = bare.split(None, 1)[0].lower() if bare else ""
    if first_word not in ("with", "select"):
        raise ModelDefinitionError(f"{path}: a model is a single select (with ... select ...)")
    return code.strip().rstrip(";").strip()


def _strip(sql: str) -> tuple[str, str]:
    """Return ``sql`` without comments, and also without the contents of string literals."""
    code, bare = [], []
    position = 0
    for match in _LEXEME.finditer(sql):
        code.append(sql[position : match.start()])
        bare.append(sql[position : match.start()])
        lexeme = match.group(0)
        if lexeme.startswith(("--", "/*")):
            code.append(" ")
            bare.append(" ")
        else:
            code.append(lexeme)
            bare.append("''" if lexeme.startswith("'") else lexeme)
        position = match.end()
    code.append(sql[position:])
    bare.append(sql[position:])
    return "".join(code), "".join(bare)


def _references(select_sql: str) -> set[str]:
    _, bare = _strip(select_sql)
    return {f"{schema}.{table}" for schema, table in _QUALIFIED.findall(bare.lower())}


def model_order(models: dict[str, Model]) -> list[Model]:
    """The models in an order where each comes after every model it reads.

    Ties are broken by qualified name so the order is the same on every run. Raises
    ModelDefinitionError naming the models of a dependency cycle.
    """
    sorter = TopologicalSorter({name: model.depends_on for name, model in models.items()})
    try:
        sorter.prepare()
    except CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise ModelDefinitionError(f"the models read each other in a cycle: {cycle}") from None
    ordered = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        ordered.extend(models[name] for name in ready)
        sorter.done(*ready)
    return ordered


def run_models(
    engine: Engine, models_dir: Path = MODELS_DIR, *, run_id: str | None = None
) -> dict[str, int]:
    """Rebuild every model of ``models_dir`` in dependency order; return rows per model.

    Each model is one transaction: ``drop table if exists`` + ``create table ... as <select>``,
    table and column comments from its description file, then its checks, whose results are
    written to ops.model_check_result under ``run_id`` (default: a fresh ``models-<hex>``).
    A model whose checks fail is rolled back, so it keeps its previous contents, and the
    models that read it are skipped; the others are still built. At the end ModelCheckError
    lists every failing check with its count. SQL errors propagate with the model's file
    named in a note.
    """
    models = load_models(models_dir)
    run_id = run_id or f"models-{uuid.uuid4().hex[:12]}"
    row_counts: dict[str, int] = {}
    failures: list[CheckResult] = []
    not_built: set[str] = set()
    skipped: list[str] = []
    with engine.connect() as conn:
        for model in model_order(models):
            name = model.qualified_name
            if model.depends_on & not_built:
                not_built.add(name)
                skipped.append(name)
                log.warning("%s not built: a model it reads failed its checks", name)
                continue
            checked_at = datetime.now(UTC).replace(tzinfo=None)
            try:
                with conn.begin():
                    rows = _build(conn, model)
                    results = run_checks(conn, model.schema, model.name, model.description)
                    failed = [result for result in results if not result.success]
                    if failed:
                        raise _ChecksFailed(results, failed)
                    record_results(conn, run_id, name, results, checked_at)
            except _ChecksFailed as exc:
                with conn.begin():
                    record_results(conn, run_id, name, exc.results, checked_at)
                failures.extend(exc.failed)
                not_built.add(name)
                log.error("%s failed %d check(s)", name, len(exc.failed))
                continue
            except sa.exc.DBAPIError as exc:
                exc.add_note(f"while building {name} from {model.path}")
                raise
            row_counts[name] = rows
            log.info("built %s: %d rows", name, rows)
    if failures:
        raise ModelCheckError(failures, skipped=skipped, row_counts=row_counts)
    return row_counts


class _ChecksFailed(Exception):
    def __init__(self, results: list[CheckResult], failed: list[CheckResult]):
        self.results = results
        self.failed = failed


def _build(conn: Connection, model: Model) -> int:
    name = model.qualified_name
    conn.exec_driver_sql(f"drop table if exists {name}")
    execute_literal_sql(conn, f"create table {name} as\n{model.select_sql}")
    _comment(conn, model)
    return conn.exec_driver_sql(f"select count(*) from {name}").scalar_one()


def _comment(conn: Connection, model: Model) -> None:
    comment_table(conn, model.schema, model.name, model.description)


def comment_table(conn: Connection, schema: str, name: str, description: ModelDescription) -> None:
    """Set the table and column comments of ``schema.name`` from its description."""
    qualified = f"{schema}.{name}"
    execute_literal_sql(
        conn, f"comment on table {qualified} is {sql_literal(description.table_comment)}"
    )
    present = set(table_columns(conn, schema, name))
    for column in description.columns:
        # A described column the table lacks is reported by the columns_described check.
        if column.name in present:
            execute_literal_sql(
                conn,
                f'comment on column {qualified}."{column.name}" is '
                f"{sql_literal(column.description)}",
            )


def describe_and_check(
    conn: Connection, schema: str, name: str, description: ModelDescription
) -> list[CheckResult]:
    """Comment an already-built table from its description and run its checks.

    Returns every CheckResult (passing ones included); recording and rolling back are the
    caller's (see replace_table).
    """
    comment_table(conn, schema, name, description)
    return run_checks(conn, schema, name, description)


def replace_table(
    engine: Engine,
    schema: str,
    name: str,
    description: ModelDescription,
    build: Callable[[Connection], object],
    *,
    run_id: str | None = None,
) -> int:
    """Replace ``schema.name`` with a table built in Python, as run_models does for SQL.

    One transaction: ``drop table if exists``, then ``build(conn)`` creates and fills the
    table, then comments and checks from ``description``. The check results go to
    ops.model_check_result under ``run_id`` (default: a fresh ``models-<hex>``). When a check
    fails the transaction is rolled back, so the table keeps its previous contents, and
    ModelCheckError is raised. Returns the table's row count.
    """
    run_id = run_id or f"models-{uuid.uuid4().hex[:12]}"
    qualified = f"{schema}.{name}"
    checked_at = datetime.now(UTC).replace(tzinfo=None)
    with engine.connect() as conn:
        try:
            with conn.begin():
                conn.exec_driver_sql(f"drop table if exists {qualified}")
                build(conn)
                results = describe_and_check(conn, schema, name, description)
                failed = [result for result in results if not result.success]
                if failed:
                    raise _ChecksFailed(results, failed)
                record_results(conn, run_id, qualified, results, checked_at)
                rows = conn.exec_driver_sql(f"select count(*) from {qualified}").scalar_one()
        except _ChecksFailed as exc:
            with conn.begin():
                record_results(conn, run_id, qualified, exc.results, checked_at)
            log.error("%s failed %d check(s)", qualified, len(exc.failed))
            raise ModelCheckError(exc.failed) from None
    log.info("built %s: %d rows", qualified, rows)
    return rows
