"""Write the offline HTML report of one organisation on one day, read from the marts.

The page holds four charts (engagement over time with the consolidations, dormant accounts over
time, follower locality by account, accounts vs engagement across organisations) and the review
table (docs/design.md#1-the-problem) under them. Charts are embedded as base64 PNG ``data:``
URIs and the styles are inline, so the single file opens anywhere without a network or
JavaScript. marts.consolidation_impact and marts.accounts_vs_engagement may be missing or empty:
their sections then say "not available" and the other charts are still drawn.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import jinja2
import pandas as pd
from sqlalchemy.engine import Engine

from socialmetrics.report import charts
from socialmetrics.report.findings import (
    consolidation_marks,
    headline_tiles,
    impact_tables,
    locality_rows,
    national_finding,
    review_rows,
)
from socialmetrics.report.formatting import NOT_AVAILABLE, data_uri, long_date, threshold_text
from socialmetrics.report.queries import HISTORY_DAYS, ReportData, read_report_data

__all__ = ["ReportData", "read_report_data", "render_report", "write_report"]

TEMPLATE = "template.html.j2"


def write_report(
    engine: Engine,
    organisation: str,
    day: date,
    path: str | os.PathLike[str],
    *,
    history_days: int = HISTORY_DAYS,
) -> Path:
    """Write the HTML report of ``organisation`` on ``day`` to ``path``; return the path.

    The time charts cover the ``history_days`` days up to ``day``, widened to show every
    consolidation window. The file is replaced atomically; its folder is created.
    """
    html = render_report(read_report_data(engine, organisation, day, history_days=history_days))
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(html)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def render_report(data: ReportData) -> str:
    """The report page of ``data`` as one self-contained HTML string."""
    marks = consolidation_marks(data)
    organisation, day = data.organisation, data.day
    threshold = threshold_text(data.dormant_after_days)
    locality = locality_rows(data.locality)
    areas = sorted({str(a) for a in data.locality.get("area", pd.Series(dtype=object)).dropna()})
    area = areas[0] if len(areas) == 1 else "the accounts' areas"

    sections = {
        "engagement": charts.engagement_chart(data.engagement, marks, organisation=organisation),
        "dormant": charts.dormant_chart(
            data.dormant, marks, organisation=organisation, dormant_after_days=threshold
        ),
        "locality": charts.locality_chart(
            locality, data.review.in_area_share, organisation=organisation, area=area
        ),
    }
    national = national_finding(data.national, data.national_unusable)
    if national["available"]:
        sections["national"] = charts.accounts_vs_engagement_chart(
            national["frame"],
            rho=national["rho"],
            p_value=national["p_value"],
            highlight=organisation,
            period=national["period"],
        )
    impact = impact_tables(data.impact, data.events, data.impact_unusable)
    context = {
        "organisation": organisation,
        "day": long_date(day),
        "since": long_date(data.since),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "images": {name: data_uri(png) for name, png in sections.items()},
        "marks": [
            {
                "date": long_date(m.event_date),
                "label": m.label,
                "note": m.windows_note,
                "after_data": m.event_date > day and m.after is None,
            }
            for m in marks
        ],
        "threshold": threshold,
        "area": area,
        "impact": impact,
        "national": national,
        "locality_accounts": len(locality),
        "review_rows": review_rows(data.review, data.impact, data.all_impact, national),
        "tiles": headline_tiles(data.review, impact, national),
        "not_available": NOT_AVAILABLE,
    }
    return _environment().get_template(TEMPLATE).render(**context)


# -- consolidations -------------------------------------------------------------------------


# -- across organisations -------------------------------------------------------------------


# -- the review table -----------------------------------------------------------------------


# -- formatting -----------------------------------------------------------------------------


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
