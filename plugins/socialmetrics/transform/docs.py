"""Write the dbt docs site of the models and marts: ``make docs``.

    python -m socialmetrics.transform.docs [--warehouse URL] [--output var/docs]

The site is dbt's own (``dbt docs generate --static``): one self-contained HTML page with
every model, source, column, test and the lineage from ``core`` to the marts. Its catalog
(the columns as the database has them) comes from the warehouse named, by default a scratch
DuckDB migrated and built empty here, so the command needs no running pipeline.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from socialmetrics.paths import PROJECT_DIR
from socialmetrics.transform.dbt_run import ModelBuildError, build_models, release_vars, run_dbt
from socialmetrics.transform.publish import next_release_schema
from socialmetrics.warehouse.engine import warehouse_engine
from socialmetrics.warehouse.migrations import apply_migrations

DEFAULT_OUTPUT = PROJECT_DIR / "var" / "docs"


def write_docs(output: Path, warehouse_url: str | None = None) -> Path:
    """Write ``output/index.html``; return its path."""
    with tempfile.TemporaryDirectory(prefix="dbt-docs-") as scratch:
        url = warehouse_url or f"duckdb:///{Path(scratch) / 'warehouse.duckdb'}"
        engine = warehouse_engine(url)
        try:
            if warehouse_url is None:
                apply_migrations(engine)
            release = next_release_schema(engine)
            if warehouse_url is None:
                build_models(engine, release)
        finally:
            engine.dispose()
        target = Path(scratch) / "target"
        command = ["docs", "generate", "--static"]
        run_dbt(url, command, dbt_vars=release_vars(release), target=target)
        output.mkdir(parents=True, exist_ok=True)
        page = output / "index.html"
        shutil.copyfile(target / "static_index.html", page)
    return page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", help="warehouse URL to read the catalog from")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    try:
        page = write_docs(args.output, args.warehouse)
    except ModelBuildError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"dbt docs site: {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
