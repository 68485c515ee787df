"""The data dictionary of the BI contract: every ``marts`` table and column, with its description.

The description files ``sql/models/marts/<mart>.yml`` are the single source: the model runner
turns them into ``COMMENT ON`` statements, and this module into ``docs/data_dictionary.md``
(committed, and checked in CI to equal the generator's output)::

    python -m socialmetrics.warehouse.dictionary            # write docs/data_dictionary.md
    python -m socialmetrics.warehouse.dictionary --check    # exit 1 when it is out of date

``database_comments(engine)`` reads the comments back from a built warehouse (PostgreSQL or
DuckDB) and ``comment_mismatches`` lists where they differ from the description files.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from socialmetrics.paths import MODELS_DIR, PROJECT_DIR
from socialmetrics.warehouse.model_checks import (
    COLUMNS_DESCRIBED,
    Check,
    ModelDescription,
    load_description,
)

__all__ = [
    "DICTIONARY_PATH",
    "MARTS_SCHEMA",
    "TableComments",
    "comment_mismatches",
    "database_comments",
    "mart_descriptions",
    "render_dictionary",
]

MARTS_SCHEMA = "marts"
DICTIONARY_PATH = PROJECT_DIR / "docs" / "data_dictionary.md"
GENERATE_COMMAND = "python -m socialmetrics.warehouse.dictionary"
BI_ROLE = "marts_reader"


def mart_descriptions(models_dir: Path = MODELS_DIR) -> list[ModelDescription]:
    """The description of every mart (``<models_dir>/marts/*.yml``), ordered by name.

    Raises ModelDefinitionError for a malformed description file.
    """
    folder = Path(models_dir) / MARTS_SCHEMA
    return [load_description(path) for path in sorted(folder.glob("*.yml"))]


def render_dictionary(descriptions: Sequence[ModelDescription]) -> str:
    """The Markdown data dictionary of ``descriptions``; the same input gives the same text."""
    lines = [
        "# Data dictionary: the `marts` schema",
        "",
        "<!-- Generated from sql/models/marts/*.yml; do not edit. Regenerate with",
        f"     {GENERATE_COMMAND} (CI checks that this file is up to date). -->",
        "",
        "The `marts` schema is the contract for BI tools ([design](design.md#4-schemas)).",
        "Every table is rebuilt by each pipeline run; its columns, grain and descriptions are",
        "those below, which the warehouse also carries as table and column comments",
        f"(`COMMENT ON`). BI tools log in with a role granted `{BI_ROLE}`, which can read these",
        "tables and nothing else (docs/production.md).",
        "",
        "Checks run after every build; a mart whose checks fail keeps its previous contents.",
        f"Every mart also has the check `{COLUMNS_DESCRIBED}`: its columns are exactly the ones",
        "listed here.",
        "",
        "| table | grain |",
        "| --- | --- |",
    ]
    for description in descriptions:
        anchor = f"#{MARTS_SCHEMA}{description.name}"
        lines.append(
            f"| [`{MARTS_SCHEMA}.{description.name}`]({anchor}) | {_cell(description.grain)} |"
        )
    for description in descriptions:
        lines += ["", *_mart_section(description)]
    return "\n".join(lines) + "\n"


def _mart_section(description: ModelDescription) -> list[str]:
    lines = [
        f"## {MARTS_SCHEMA}.{description.name}",
        "",
        f"**Grain:** {_text(description.grain)}",
        "",
        _text(description.description),
        "",
        "| column | description | checks |",
        "| --- | --- | --- |",
    ]
    for column in description.columns:
        checks = ", ".join(_check(check) for check in column.checks)
        lines.append(f"| `{column.name}` | {_cell(column.description)} | {checks} |")
    if description.checks:
        lines += ["", "Table checks:", ""]
        lines += [f"- {_table_check(check)}" for check in description.checks]
    return lines


def _check(check: Check) -> str:
    if check.kind == "accepted_values":
        values = ", ".join(f"`{value}`" for value in check.values)
        return f"`accepted_values`: {values}"
    return f"`{check.kind}`"


def _table_check(check: Check) -> str:
    if check.kind == "unique":
        return "`unique`: " + ", ".join(f"`{column}`" for column in check.columns)
    if check.kind == "expression_is_true":
        return f"`expression_is_true`: `{check.expression}`"
    return f"`{check.name}`"


def _text(value: str) -> str:
    return " ".join(str(value).split())


def _cell(value: str) -> str:
    return _text(value).replace("|", "\\|")


@dataclass(frozen=True)
class TableComments:
    """The comment of one table and of each of its columns (None where there is none)."""

    comment: str | None
    columns: dict[str, str | None]


_POSTGRES_TABLES = """
select c.relname, obj_description(c.oid, 'pg_class')
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where n.nspname = :schema and c.relkind in ('r', 'p', 'v', 'm')
"""
_POSTGRES_COLUMNS = """
select c.relname, a.attname, col_description(c.oid, a.attnum)
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
join pg_catalog.pg_attribute a on a.attrelid = c.oid
where n.nspname = :schema and c.relkind in ('r', 'p', 'v', 'm')
  and a.attnum > 0 and not a.attisdropped
order by c.relname, a.attnum
"""
_DUCKDB_TABLES = """
select table_name, comment from duckdb_tables()
where database_name = current_database() and schema_name = :schema
"""
_DUCKDB_COLUMNS = """
select table_name, column_name, comment from duckdb_columns()
where database_name = current_database() and schema_name = :schema
order by table_name, column_index
"""


def database_comments(engine: Engine, schema: str = MARTS_SCHEMA) -> dict[str, TableComments]:
    """The table and column comments of every table in ``schema``, by table name.

    Reads ``obj_description``/``col_description`` on PostgreSQL and the ``comment`` of
    ``duckdb_tables()``/``duckdb_columns()`` on DuckDB. Empty comments read as None.
    """
    dialect = engine.dialect.name
    if dialect == "postgresql":
        tables_sql, columns_sql = _POSTGRES_TABLES, _POSTGRES_COLUMNS
    elif dialect == "duckdb":
        tables_sql, columns_sql = _DUCKDB_TABLES, _DUCKDB_COLUMNS
    else:
        raise ValueError(f"no comments reader for a {dialect!r} warehouse")
    with engine.connect() as conn:
        tables = conn.execute(sa.text(tables_sql), {"schema": schema}).all()
        columns = conn.execute(sa.text(columns_sql), {"schema": schema}).all()
    found = {table: TableComments(comment or None, {}) for table, comment in tables}
    for table, column, comment in columns:
        if table in found:
            found[table].columns[column] = comment or None
    return dict(sorted(found.items()))


def comment_mismatches(
    engine: Engine, descriptions: Sequence[ModelDescription] | None = None
) -> list[str]:
    """Where the warehouse's ``marts`` comments differ from the description files.

    One line per problem: a described mart missing from the warehouse, a table in ``marts``
    without a description file, a table or column comment that is missing or differs, a
    column missing on either side. An empty list means the BI contract holds.
    """
    if descriptions is None:
        descriptions = mart_descriptions()
    actual = database_comments(engine)
    problems = []
    for description in descriptions:
        table = f"{MARTS_SCHEMA}.{description.name}"
        found = actual.get(description.name)
        if found is None:
            problems.append(f"{table}: described but not in the warehouse")
            continue
        if found.comment != description.table_comment:
            problems.append(f"{table}: table comment is {found.comment!r}")
        described = {column.name: column.description for column in description.columns}
        for column, comment in found.columns.items():
            if column not in described:
                problems.append(f"{table}.{column}: in the warehouse but not described")
            elif comment != described[column]:
                problems.append(f"{table}.{column}: comment is {comment!r}")
        for column in described:
            if column not in found.columns:
                problems.append(f"{table}.{column}: described but not in the warehouse")
    described_names = {description.name for description in descriptions}
    for name in actual:
        if name not in described_names:
            problems.append(f"{MARTS_SCHEMA}.{name}: in the warehouse but has no description file")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=GENERATE_COMMAND,
        description="Write the data dictionary of the marts from sql/models/marts/*.yml.",
    )
    parser.add_argument(
        "--output", type=Path, default=DICTIONARY_PATH, help=f"default {DICTIONARY_PATH}"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff when the file is not the generator's output",
    )
    args = parser.parse_args(argv)
    text = render_dictionary(mart_descriptions())
    current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    if args.check:
        if current == text:
            print(f"{args.output} is up to date")
            return 0
        diff = difflib.unified_diff(
            current.splitlines(keepends=True),
            text.splitlines(keepends=True),
            str(args.output),
            "generated",
        )
        sys.stdout.writelines(diff)
        print(f"{args.output} is out of date: run {GENERATE_COMMAND}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
