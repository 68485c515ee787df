"""One build of the marts: the dbt models, then the statistical marts, then the publish."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy.engine import Engine

from socialmetrics.stats.consolidation import DEFAULT_RESAMPLES, MIN_ITS_DAYS
from socialmetrics.transform.dbt_run import build_models
from socialmetrics.transform.publish import next_release_schema, publish_release


@dataclass(frozen=True)
class StatOptions:
    """The statistical marts' parameters (socialmetrics.warehouse.stat_marts)."""

    window_days: int = 90
    settling_days: int = 0
    period_days: int = 90
    seed: int = 0
    n_resamples: int = DEFAULT_RESAMPLES
    min_its_days: int = MIN_ITS_DAYS


def build_marts(
    engine: Engine, stats: StatOptions = StatOptions(), *, run_id: str | None = None
) -> dict[str, int]:
    """Build every mart into the next release schema and publish it; return rows per mart.

    Raises ModelBuildError (a model or test failed) or PublishError; the published marts are
    then those of the previous build.
    """
    from socialmetrics.warehouse.stat_marts import build_stat_marts

    release = next_release_schema(engine)
    build_models(engine, release)
    build_stat_marts(engine, release, **asdict(stats))
    return publish_release(engine, release, run_id=run_id)
