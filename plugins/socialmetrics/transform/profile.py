"""The dbt profile of the warehouse, made from the same URL or Airflow connection as the engine.

There is no second place to configure the warehouse: the profile is derived from the Airflow
connection ``warehouse`` (through ``url_from_connection``), and a password never lands in the
profile file: it is read by dbt from an environment variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from socialmetrics.errors import ConfigurationError

PROFILE_NAME = "socialmetrics"
TARGET_NAME = "warehouse"
PASSWORD_ENV_VAR = "SOCIALMETRICS_DBT_PASSWORD"
# The schema of models that name none; every model here names one (intermediate, marts).
DEFAULT_SCHEMA = "intermediate"
DBT_THREADS = 4


def dbt_target(url: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The dbt target of a warehouse URL, and the environment variables it reads.

    ``url`` is a SQLAlchemy URL as ``url_from_connection`` makes it: DuckDB settings and
    libpq parameters are its query. Raises ConfigurationError for any other database.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    query = {key: str(value) for key, value in parsed.query.items()}
    if backend == "duckdb":
        target: dict[str, Any] = {
            "type": "duckdb",
            "path": parsed.database or ":memory:",
            "schema": DEFAULT_SCHEMA,
            "threads": DBT_THREADS,
        }
        if query:
            target["settings"] = query
        return target, {}
    if backend in ("postgresql", "postgres"):
        target = {
            "type": "postgres",
            "host": parsed.host or "localhost",
            "port": parsed.port or 5432,
            "user": parsed.username or "postgres",
            "password": "{{ env_var('" + PASSWORD_ENV_VAR + "', '') }}",
            "dbname": parsed.database or parsed.username or "postgres",
            "schema": DEFAULT_SCHEMA,
            "threads": DBT_THREADS,
        }
        for key in ("sslmode", "connect_timeout"):
            if key in query:
                target[key] = query[key]
        if "application_name" in query:
            target["application_name"] = query["application_name"]
        return target, {PASSWORD_ENV_VAR: parsed.password or ""}
    raise ConfigurationError(
        f"dbt cannot run on a {backend!r} warehouse here: the warehouse connection must be "
        "DuckDB or PostgreSQL (docs/production.md says how to run the models elsewhere)."
    )


def write_profiles(url: str, profiles_dir: Path) -> dict[str, str]:
    """Write ``profiles.yml`` for ``url`` into ``profiles_dir``; return the environment
    variables dbt needs beside it (the password, never written to the file)."""
    target, env = dbt_target(url)
    profiles = {PROFILE_NAME: {"target": TARGET_NAME, "outputs": {TARGET_NAME: target}}}
    profiles_dir.mkdir(parents=True, exist_ok=True)
    (profiles_dir / "profiles.yml").write_text(yaml.safe_dump(profiles), encoding="utf-8")
    return env


def main(argv: list[str] | None = None) -> int:
    """``python -m socialmetrics.transform.profile URL FOLDER``: write FOLDER/profiles.yml."""
    import argparse

    parser = argparse.ArgumentParser(description="Write the dbt profile of a warehouse URL.")
    parser.add_argument("url", help="the warehouse URL (duckdb:///... or postgresql://...)")
    parser.add_argument("folder", type=Path, help="where to write profiles.yml")
    args = parser.parse_args(argv)
    env = write_profiles(args.url, args.folder)
    print(f"wrote {args.folder / 'profiles.yml'}")
    if env.get(PASSWORD_ENV_VAR):
        print(f"dbt reads the password from {PASSWORD_ENV_VAR}: export it before running dbt")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
