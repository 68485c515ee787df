"""Descriptions and checks of SQL models, read from the YAML file beside each model.

The description file is the single source of a model's table and column comments, of the
data dictionary and of its checks::

    name: account_activity
    grain: one row per account per day
    description: ...
    columns:
      - name: status
        description: ...
        checks: [not_null, {accepted_values: [active, dormant, closed]}]
    checks:
      - unique: [account_key, day]
      - expression_is_true: "posts_last_30_days >= 0"

Column checks: ``not_null``, ``unique``, ``non_negative`` and ``{accepted_values: [...]}``.
Table checks: ``{unique: [columns]}`` and ``{expression_is_true: <SQL condition>}`` (a row fails
when the condition is false; NULL passes, as in dbt). Every model also gets the check
``columns_described``: the columns of the built table and of the file must be the same.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Connection

from socialmetrics.errors import SocialMetricsError

CHECK_RESULT_TABLE = "ops.model_check_result"
COLUMNS_DESCRIBED = "columns_described"

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_COLUMN_CHECKS = ("not_null", "unique", "non_negative", "accepted_values")
_TABLE_CHECKS = ("unique", "expression_is_true")


class ModelDefinitionError(SocialMetricsError):
    """A model file or its description file is malformed; the message names the file."""


@dataclass(frozen=True)
class Check:
    """One check of a model; ``name`` is unique within the model, e.g. ``not_null(day)``."""

    name: str
    kind: str
    columns: tuple[str, ...] = ()
    values: tuple[object, ...] = ()
    expression: str | None = None


@dataclass(frozen=True)
class ColumnDescription:
    name: str
    description: str
    checks: tuple[Check, ...] = ()


@dataclass(frozen=True)
class ModelDescription:
    """The parsed description file of one model."""

    name: str
    grain: str
    description: str
    columns: tuple[ColumnDescription, ...]
    checks: tuple[Check, ...] = ()
    path: Path | None = field(default=None, compare=False)

    @property
    def table_comment(self) -> str:
        """The table comment: the description followed by the grain."""
        return f"{self.description.strip()} Grain: {self.grain.strip()}."

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def all_checks(self) -> list[Check]:
        """Column checks in column order, then table checks."""
        return [check for column in self.columns for check in column.checks] + list(self.checks)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: ``failing_rows`` is 0 when it passed.

    For ``columns_described`` it counts the columns missing from or extra in the file.
    """

    model: str
    check: str
    failing_rows: int
    detail: str | None = None

    @property
    def success(self) -> bool:
        return self.failing_rows == 0

    def describe(self) -> str:
        text = f"{self.model}: {self.check}: {self.failing_rows} failing"
        text += " column(s)" if self.check == COLUMNS_DESCRIBED else " row(s)"
        return f"{text} ({self.detail})" if self.detail else text


class ModelCheckError(SocialMetricsError):
    """Checks of one or more models failed; every failing check is listed with its count.

    ``failures`` holds the failing CheckResults, ``skipped`` the models not built because a
    model they depend on failed, ``row_counts`` the models that were built.
    """

    def __init__(
        self,
        failures: Sequence[CheckResult],
        skipped: Sequence[str] = (),
        row_counts: dict[str, int] | None = None,
    ):
        self.failures = list(failures)
        self.skipped = list(skipped)
        self.row_counts = dict(row_counts or {})
        models = sorted({failure.model for failure in self.failures})
        lines = [
            f"{len(self.failures)} model check(s) failed in {', '.join(models)}; the failing "
            "models kept their previous contents:"
        ]
        lines += [f"  {failure.describe()}" for failure in self.failures]
        if self.skipped:
            lines.append(f"  not built because a model they read failed: {', '.join(skipped)}")
        super().__init__("\n".join(lines))


def load_description(path: Path) -> ModelDescription:
    """Parse and validate a description file; raise ModelDefinitionError naming what is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelDefinitionError(
            f"{path} is missing: every model needs a description file beside it with its "
            "name, grain, description and every column."
        ) from None
    except yaml.YAMLError as exc:
        raise ModelDefinitionError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ModelDefinitionError(f"{path}: expected a mapping with name, grain, description")
    for key in ("name", "grain", "description", "columns"):
        if not data.get(key):
            raise ModelDefinitionError(f"{path}: '{key}' is required")
    unknown = set(data) - {"name", "grain", "description", "columns", "checks"}
    if unknown:
        raise ModelDefinitionError(f"{path}: unknown keys {sorted(unknown)}")
    columns = []
    for entry in data["columns"]:
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("description"):
            raise ModelDefinitionError(f"{path}: every column needs a name and a description")
        name = _identifier(path, entry["name"])
        checks = tuple(_column_check(path, name, spec) for spec in entry.get("checks") or [])
        columns.append(ColumnDescription(name, str(entry["description"]).strip(), checks))
    names = [column.name for column in columns]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ModelDefinitionError(f"{path}: columns described twice: {', '.join(duplicates)}")
    table_checks = tuple(_table_check(path, spec) for spec in data.get("checks") or [])
    description = ModelDescription(
        name=str(data["name"]),
        grain=str(data["grain"]),
        description=str(data["description"]),
        columns=tuple(columns),
        checks=table_checks,
        path=path,
    )
    check_names = [check.name for check in description.all_checks()]
    repeated = sorted({name for name in check_names if check_names.count(name) > 1})
    if repeated:
        raise ModelDefinitionError(f"{path}: checks listed twice: {', '.join(repeated)}")
    return description


def _identifier(path: Path, value: object) -> str:
    text = str(value)
    if not _IDENTIFIER.match(text):
        raise ModelDefinitionError(f"{path}: {text!r} is not a lower-case column name")
    return text


def _column_check(path: Path, column: str, spec: object) -> Check:
    if isinstance(spec, str) and spec in ("not_null", "unique", "non_negative"):
        return Check(f"{spec}({column})", spec, (column,))
    if isinstance(spec, dict) and list(spec) == ["accepted_values"]:
        values = spec["accepted_values"]
        if not isinstance(values, list) or not values:
            raise ModelDefinitionError(f"{path}: accepted_values of {column} needs a list")
        return Check(f"accepted_values({column})", "accepted_values", (column,), tuple(values))
    raise ModelDefinitionError(
        f"{path}: unknown check {spec!r} on column {column}; column checks are "
        f"{', '.join(_COLUMN_CHECKS)}"
    )


def _table_check(path: Path, spec: object) -> Check:
    if isinstance(spec, dict) and list(spec) == ["unique"]:
        columns = spec["unique"]
        if not isinstance(columns, list) or not columns:
            raise ModelDefinitionError(f"{path}: table check unique needs a list of columns")
        names = tuple(_identifier(path, column) for column in columns)
        return Check(f"unique({', '.join(names)})", "unique", names)
    if isinstance(spec, dict) and list(spec) == ["expression_is_true"]:
        expression = str(spec["expression_is_true"]).strip()
        return Check(f"expression_is_true({expression})", "expression_is_true", (), (), expression)
    raise ModelDefinitionError(
        f"{path}: unknown table check {spec!r}; table checks are {', '.join(_TABLE_CHECKS)}"
    )


def sql_literal(value: object) -> str:
    """Render a string or number as a SQL literal that reads the same on DuckDB and PostgreSQL."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"no portable literal for {value!r}")
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def execute_literal_sql(conn: Connection, sql: str):
    """Execute SQL that carries literals but no parameters on either warehouse.

    psycopg reads ``%`` as a placeholder even without parameters, so it is doubled there;
    DuckDB leaves text inside literals alone.
    """
    if conn.dialect.paramstyle in ("format", "pyformat"):
        sql = sql.replace("%", "%%")
    return conn.exec_driver_sql(sql)


def table_columns(conn: Connection, schema: str, table: str) -> list[str]:
    """The column names of ``schema.table`` in table order."""
    rows = conn.execute(
        sa.text(
            "select column_name from information_schema.columns "
            "where table_schema = :schema and table_name = :table order by ordinal_position"
        ),
        {"schema": schema, "table": table},
    )
    return [row[0] for row in rows]


def run_checks(
    conn: Connection, schema: str, table: str, description: ModelDescription
) -> list[CheckResult]:
    """Run ``columns_described`` and every check of ``description`` on ``schema.table``.

    Returns one CheckResult per check, passing ones included. Checks of columns the table does
    not have are not run: ``columns_described`` already fails for them.
    """
    qualified = f"{schema}.{table}"
    present = table_columns(conn, schema, table)
    results = [_columns_described(qualified, present, description.column_names)]
    runnable = [
        check
        for check in description.all_checks()
        if all(column in present for column in check.columns)
    ]
    if runnable:
        # One round trip: each check is a scalar subquery counting its failing rows.
        counts = ",\n".join(f"({_failing_rows_sql(qualified, check)})" for check in runnable)
        row = execute_literal_sql(conn, f"select\n{counts}").one()
        results += [
            CheckResult(qualified, check.name, int(failing or 0))
            for check, failing in zip(runnable, row, strict=True)
        ]
    return results


def _columns_described(model: str, present: list[str], described: list[str]) -> CheckResult:
    missing = [name for name in present if name not in described]
    extra = [name for name in described if name not in present]
    parts = []
    if missing:
        parts.append(f"not described in the yml: {', '.join(missing)}")
    if extra:
        parts.append(f"described but not in the table: {', '.join(extra)}")
    return CheckResult(
        model, COLUMNS_DESCRIBED, len(missing) + len(extra), "; ".join(parts) or None
    )


def _failing_rows_sql(qualified: str, check: Check) -> str:
    columns = [f'"{column}"' for column in check.columns]
    if check.kind == "not_null":
        return f"select count(*) from {qualified} where {columns[0]} is null"
    if check.kind == "non_negative":
        return f"select count(*) from {qualified} where {columns[0]} < 0"
    if check.kind == "accepted_values":
        values = ", ".join(sql_literal(value) for value in check.values)
        return (
            f"select count(*) from {qualified} "
            f"where {columns[0]} is not null and {columns[0]} not in ({values})"
        )
    if check.kind == "unique":
        keys = ", ".join(columns)
        # Counts every row that shares its key with another row.
        return (
            "select coalesce(sum(rows_with_key), 0) from ("
            f"select count(*) as rows_with_key from {qualified} group by {keys} "
            "having count(*) > 1) as duplicated_keys"
        )
    if check.kind == "expression_is_true":
        return f"select count(*) from {qualified} where not ({check.expression})"
    raise ValueError(f"unknown check kind {check.kind!r}")


def record_results(
    conn: Connection, run_id: str, model: str, results: Sequence[CheckResult], checked_at: datetime
) -> None:
    """Replace the results of ``model`` for ``run_id`` in ops.model_check_result.

    Replacing (not appending) lets an Airflow retry of the same run record its results again.
    """
    conn.execute(
        sa.text(f"delete from {CHECK_RESULT_TABLE} where run_id = :run_id and model = :model"),
        {"run_id": run_id, "model": model},
    )
    if not results:
        return
    conn.execute(
        sa.text(
            f"insert into {CHECK_RESULT_TABLE} "
            "(run_id, model, check_name, success, failing_rows, detail, checked_at) "
            "values (:run_id, :model, :check_name, :success, :failing_rows, :detail, :checked_at)"
        ),
        [
            {
                "run_id": run_id,
                "model": model,
                "check_name": result.check,
                "success": result.success,
                "failing_rows": result.failing_rows,
                "detail": result.detail,
                "checked_at": checked_at,
            }
            for result in results
        ],
    )
