"""Cosmos's view of the dbt profile: the Airflow connection ``warehouse``, through the same
translation as the engine (socialmetrics.transform.profile), so dbt and the pipeline always
talk to the same database."""

from __future__ import annotations

from typing import Any

from cosmos.profiles.base import BaseProfileMapping


class WarehouseProfileMapping(BaseProfileMapping):
    """The dbt target of the Airflow connection ``conn_id`` (a duckdb or postgres connection).

    The password reaches dbt as an environment variable, never in the profile file.
    """

    airflow_connection_type: str = "warehouse"
    dbt_profile_type: str = "duckdb"

    def _target(self) -> tuple[dict[str, Any], dict[str, str]]:
        from socialmetrics.airflow_support import get_connection
        from socialmetrics.transform.profile import dbt_target
        from socialmetrics.warehouse.engine import url_from_connection

        return dbt_target(url_from_connection(get_connection(self.conn_id)))

    @property
    def profile(self) -> dict[str, Any]:
        return self._target()[0]

    @property
    def env_vars(self) -> dict[str, str]:
        return {**super().env_vars, **self._target()[1]}

    @property
    def mock_profile(self) -> dict[str, Any]:
        return {"type": "duckdb", "path": ":memory:"}
