"""The statistical marts: consolidation_impact, consolidation_effect_pooled and
accounts_vs_engagement.

Their inputs are dbt models (intermediate.int_organisation_daily,
intermediate.int_consolidation_window, intermediate.int_account_activity), so they are built
after the dbt build and into the same release schema; the statistics themselves
(socialmetrics.stats, scipy) cannot be SQL. :func:`build_stat_marts` reads the models,
computes, replaces each mart with the column types declared here (their contract, which
``transform/models/marts/_marts.yml`` repeats for the docs and tests) and runs their dbt
tests; the release is published only when every test passes. Every random draw comes from a
generator seeded by ``seed`` and the row's key, so a rerun on the same data gives an
identical table.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import duckdb
import pandas as pd
import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from socialmetrics.stats.consolidation import (
    DEFAULT_RESAMPLES,
    MIN_ITS_DAYS,
)
from socialmetrics.stats.national import organisation_period_summary, spearman_correlation
from socialmetrics.transform.dbt_run import ModelBuildError, test_stat_marts
from socialmetrics.transform.marts import MARTS_YML, mart
from socialmetrics.warehouse import pooled_mart
from socialmetrics.warehouse.bulk import append_dataframe
from socialmetrics.warehouse.consolidation_impact_mart import (
    CONSOLIDATION_IMPACT_COLUMNS,
    consolidation_impact_frame,
)
from socialmetrics.warehouse.stat_inputs import (
    StatInputs,
    finite,
    read_inputs,
    seeded_rng,
    typed_frame,
)

__all__ = [
    "ALL_ORGANISATIONS",
    "accounts_vs_engagement_frame",
    "build_stat_marts",
]

log = logging.getLogger(__name__)

CONSOLIDATION_IMPACT = "consolidation_impact"
CONSOLIDATION_EFFECT_POOLED = "consolidation_effect_pooled"
ACCOUNTS_VS_ENGAGEMENT = "accounts_vs_engagement"
ALL_ORGANISATIONS = "(all organisations)"
# A COPY (PostgreSQL) or Arrow insert (DuckDB) reaches the driver directly, so its errors may
# arrive unwrapped by SQLAlchemy.
_CONSTRAINT_ERRORS = (
    sa.exc.IntegrityError,
    psycopg.errors.IntegrityError,
    duckdb.ConstraintException,
)

ACCOUNTS_VS_ENGAGEMENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("row_type", "text"),
    ("organisation", "text"),
    ("period_start", "date"),
    ("period_end", "date"),
    ("days", "integer"),
    ("active_accounts", "double precision"),
    ("total_engagement", "bigint"),
    ("engagement_per_day", "double precision"),
    ("engagement_per_account", "double precision"),
    ("spearman_rho", "double precision"),
    ("spearman_p_value", "double precision"),
    ("organisations", "integer"),
    ("method", "text"),
)


def build_stat_marts(
    engine: Engine,
    release: str,
    *,
    window_days: int = 90,
    settling_days: int = 0,
    period_days: int = 90,
    seed: int = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
    min_its_days: int = MIN_ITS_DAYS,
) -> dict[str, int]:
    """Write the three statistical marts into the release schema ``release``; return the
    rows of each, then run their dbt tests (``transform/models/marts/_marts.yml``).

    ``window_days``: length of the before and after windows of each consolidation event;
    ``settling_days``: days from the event date left out before the after window starts;
    ``period_days``: the period of accounts_vs_engagement, the days up to the as-of day (the
    latest core.loaded_day); ``seed``: seeds every bootstrap and permutation;
    ``n_resamples``: bootstrap resamples and permutations per statistic; ``min_its_days``:
    days with a value needed on each side for the segmented regression. Raises
    ModelBuildError naming the failing tests; the release is then not published.
    """
    for name, value, least in (
        ("window_days", window_days, 1),
        ("settling_days", settling_days, 0),
        ("period_days", period_days, 1),
        ("seed", seed, 0),
        ("n_resamples", n_resamples, 1),
        ("min_its_days", min_its_days, 3),
    ):
        if not isinstance(value, int) or value < least:
            raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
    inputs = read_inputs(engine)
    impact = consolidation_impact_frame(
        inputs,
        window_days=window_days,
        settling_days=settling_days,
        seed=seed,
        n_resamples=n_resamples,
        min_its_days=min_its_days,
    )
    tables = {
        CONSOLIDATION_IMPACT: (impact, CONSOLIDATION_IMPACT_COLUMNS),
        CONSOLIDATION_EFFECT_POOLED: (
            typed_frame(pooled_mart.pooled_frame(impact, inputs.as_of), pooled_mart.COLUMNS),
            pooled_mart.COLUMNS,
        ),
        ACCOUNTS_VS_ENGAGEMENT: (
            accounts_vs_engagement_frame(
                inputs, period_days=period_days, seed=seed, n_resamples=n_resamples
            ),
            ACCOUNTS_VS_ENGAGEMENT_COLUMNS,
        ),
    }
    row_counts = {
        f"{release}.{name}": _replace(engine, f"{release}.{name}", columns, frame)
        for name, (frame, columns) in tables.items()
    }
    test_stat_marts(engine, release)
    return row_counts


def _replace(
    engine: Engine, qualified: str, columns: tuple[tuple[str, str], ...], frame: pd.DataFrame
) -> int:
    """Drop, create with the mart's column types and the constraints ``_marts.yml`` declares
    for it (not null, checks), and fill, in one transaction."""
    declared = {column.name: column for column in mart(qualified.split(".")[1]).columns}
    if [name for name, _ in columns] != list(declared):
        raise ValueError(f"{qualified}: its columns differ from {MARTS_YML}")
    definition = ",\n    ".join(
        " ".join([name, sql_type, *declared[name].constraints]) for name, sql_type in columns
    )
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"drop table if exists {qualified}")
            conn.exec_driver_sql(f"create table {qualified} (\n    {definition}\n)")
            append_dataframe(conn, qualified, frame)
    except _CONSTRAINT_ERRORS as error:
        first_line = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise ModelBuildError(
            f"{qualified}: a computed row breaks a constraint ({first_line}) that "
            f"{MARTS_YML} declares for it; the release is not published and the marts "
            "stay as they were. Fix the statistic that produced the row, or the constraint "
            "if it is wrong."
        ) from error
    log.info("built %s: %d rows", qualified, len(frame))
    return len(frame)


def accounts_vs_engagement_frame(
    inputs: StatInputs,
    *,
    period_days: int = 90,
    seed: int = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
) -> pd.DataFrame:
    """One row per organisation over the period, then the summary row with the correlation."""
    names = [name for name, _ in ACCOUNTS_VS_ENGAGEMENT_COLUMNS]
    if inputs.as_of is None:
        return typed_frame(pd.DataFrame([], columns=names), ACCOUNTS_VS_ENGAGEMENT_COLUMNS)
    period_end = inputs.as_of
    period_start = period_end - timedelta(days=period_days - 1)
    summary = organisation_period_summary(inputs.daily, period_start, period_end)
    correlation = spearman_correlation(
        summary["active_accounts"].to_numpy(dtype=float),
        summary["engagement_per_day"].to_numpy(dtype=float),
        n_resamples=n_resamples,
        rng=seeded_rng(seed, "accounts_vs_engagement", period_start, period_end),
    )
    rows = [
        {
            "row_type": "organisation",
            "organisation": row.organisation,
            "period_start": period_start,
            "period_end": period_end,
            "days": int(row.days),
            "active_accounts": float(row.active_accounts),
            "total_engagement": int(row.total_engagement),
            "engagement_per_day": float(row.engagement_per_day),
            "engagement_per_account": finite(row.engagement_per_account),
            "spearman_rho": None,
            "spearman_p_value": None,
            "organisations": None,
            "method": None,
        }
        for row in summary.itertuples(index=False)
    ]
    rows.append(
        {
            "row_type": "summary",
            "organisation": ALL_ORGANISATIONS,
            "period_start": period_start,
            "period_end": period_end,
            "days": period_days,
            "active_accounts": None,
            "total_engagement": None,
            "engagement_per_day": None,
            "engagement_per_account": None,
            "spearman_rho": finite(correlation.rho),
            "spearman_p_value": finite(correlation.p_value),
            "organisations": correlation.n,
            "method": (
                f"{correlation.method} ({n_resamples} resamples), of active_accounts against "
                "engagement_per_day across the organisation rows; null with fewer than 3 "
                "organisations or when either side is the same for all"
            ),
        }
    )
    return typed_frame(pd.DataFrame(rows, columns=names), ACCOUNTS_VS_ENGAGEMENT_COLUMNS)
