"""The warehouse: engines, migrations, bulk loads and SQL models on DuckDB and PostgreSQL."""
