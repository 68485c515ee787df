"""Where the project's files live, so DAGs, tests and the demo find the same SQL and registry."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(os.environ.get("SOCIALMETRICS_PROJECT_DIR", Path(__file__).resolve().parents[2]))
SQL_DIR = PROJECT_DIR / "sql"
MIGRATIONS_DIR = SQL_DIR / "migrations"
TRANSFORM_DIR = PROJECT_DIR / "transform"
DEMO_REGISTRY_DIR = PROJECT_DIR / "registry" / "demo"
