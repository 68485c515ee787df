"""Write the dbt manifest Cosmos reads when the DAG is parsed (``transform/target/manifest.json``).

``make`` runs this at install time (``python -m socialmetrics.transform.manifest``): parsing
needs no database, so it parses against an in-memory DuckDB.
"""

from __future__ import annotations

import sys

from socialmetrics.paths import TRANSFORM_DIR
from socialmetrics.transform.dbt_run import ModelBuildError, run_dbt

MANIFEST_TARGET = TRANSFORM_DIR / "target"


def write_manifest() -> None:
    """Parse the project into ``transform/target``; ModelBuildError when it does not parse."""
    run_dbt("duckdb:///:memory:", ["parse"], target=MANIFEST_TARGET)


def main() -> int:
    try:
        write_manifest()
    except ModelBuildError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"wrote {MANIFEST_TARGET / 'manifest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
