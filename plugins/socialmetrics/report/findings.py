"""What the report concludes from its data.

The consolidation marks and impact tables, the finding across organisations, the review
table's rows and the headline tiles.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

from socialmetrics.report import charts
from socialmetrics.report.formatting import (
    NOT_AVAILABLE,
    as_date,
    clean,
    count,
    interval,
    long_date,
    number,
    p_text,
    percent,
    signed,
    span,
)
from socialmetrics.report.queries import DEFAULT_WINDOW_DAYS, ReportData
from socialmetrics.review import Review

METRIC_NAMES = {
    "total_engagement_per_day": "engagement per day",
    "posts_per_day": "posts per day",
    "engagement_per_post": "engagement per post",
    "active_accounts": "active accounts",
    "engagement_per_1000_followers": "engagement per 1,000 followers",
}
HEADLINE_METRIC = "total_engagement_per_day"


def consolidation_marks(data: ReportData) -> list[charts.ConsolidationMark]:
    """A mark per consolidation of the organisation, windows from marts.consolidation_impact.

    Without an impact row for the event, the windows are the default ones (90 days before the
    event, 90 days from it) cut at the data shown, and the mark says so.
    """
    marks = []
    for event in data.events.itertuples(index=False):
        event_date = as_date(event.event_date)
        row = impact_row(data.impact, event_date)
        if row is not None:
            before = analysis_window(row.get("before_start"), row.get("before_end"))
            after = analysis_window(row.get("after_start"), row.get("after_end"))
            note = "windows of marts.consolidation_impact"
        else:
            first = data.since
            before = analysis_window(
                max(first, event_date - timedelta(days=DEFAULT_WINDOW_DAYS)),
                min(data.day, event_date - timedelta(days=1)),
            )
            after = analysis_window(
                event_date, min(data.day, event_date + timedelta(days=DEFAULT_WINDOW_DAYS - 1))
            )
            note = (
                f"default {DEFAULT_WINDOW_DAYS}-day windows "
                "(marts.consolidation_impact not available)"
            )
        marks.append(charts.ConsolidationMark(event_date, "consolidation", before, after, note))
    return marks


def impact_row(impact: pd.DataFrame | None, event_date: date) -> dict | None:
    if impact is None or impact.empty:
        return None
    rows = impact[impact["event_date"].map(as_date) == event_date]
    if rows.empty:
        return None
    headline = rows[rows["metric"] == HEADLINE_METRIC]
    return clean((headline if not headline.empty else rows).iloc[0].to_dict())


def analysis_window(start: Any, end: Any) -> tuple[date, date] | None:
    start, end = as_date(start), as_date(end)
    if start is None or end is None or end < start:
        return None
    return (start, end)


def impact_tables(impact: pd.DataFrame | None, events: pd.DataFrame, unusable: str) -> dict:
    """The consolidation impact section: a table per event, or why there is none."""
    if impact is None:
        return {"available": False, "reason": unusable}
    if events.empty:
        return {"available": False, "reason": "the organisation has no consolidation event"}
    if impact.empty:
        return {
            "available": False,
            "reason": "marts.consolidation_impact has no row for this organisation",
        }
    tables = []
    for event_date, rows in impact.groupby(impact["event_date"].map(as_date), sort=True):
        rows = [clean(r) for r in rows.to_dict("records")]
        order = list(METRIC_NAMES)
        rows.sort(key=lambda r: order.index(r["metric"]) if r["metric"] in order else 99)
        first = rows[0]
        tables.append(
            {
                "event_date": long_date(event_date),
                "before": span(first.get("before_start"), first.get("before_end")),
                "after": span(first.get("after_start"), first.get("after_end")),
                "controls": first.get("control_organisations"),
                "as_of": long_date(as_date(first.get("as_of"))) if first.get("as_of") else "",
                "rows": [
                    {
                        "metric": METRIC_NAMES.get(r["metric"], r["metric"]),
                        "headline": r["metric"] == HEADLINE_METRIC,
                        "before": number(r.get("before_value")),
                        "after": number(r.get("after_value")),
                        "change": percent(r.get("relative_change")),
                        "ci": interval(r.get("ci_low"), r.get("ci_high")),
                        "p": p_text(r.get("p_value")),
                        "did": percent(r.get("did_estimate")),
                        "did_ci": interval(r.get("did_ci_low"), r.get("did_ci_high")),
                        "direction": direction(
                            r.get("relative_change"), r.get("ci_low"), r.get("ci_high")
                        ),
                    }
                    for r in rows
                ],
            }
        )
    return {"available": True, "tables": tables}


def direction(change: Any, low: Any, high: Any) -> str:
    """up / down when the interval excludes 0, else flat (for the table's colours)."""
    if change is None:
        return ""
    if low is not None and low > 0:
        return "up"
    if high is not None and high < 0:
        return "down"
    return "flat"


def national_finding(national: pd.DataFrame | None, unusable: str) -> dict:
    """The accounts-vs-engagement section: its organisation rows and summary, or why not."""
    if national is None:
        return {"available": False, "reason": unusable}
    summary = national[national["row_type"] == "summary"]
    frame = national[national["row_type"] == "organisation"].dropna(
        subset=["active_accounts", "engagement_per_day"]
    )
    if frame.empty:
        return {"available": False, "reason": "marts.accounts_vs_engagement is empty"}
    frame = frame.copy()
    frame["active_accounts"] = frame["active_accounts"].astype(float)
    frame["engagement_per_day"] = frame["engagement_per_day"].astype(float)
    stats = clean(summary.iloc[0].to_dict()) if not summary.empty else {}
    start = as_date(frame["period_start"].min()) if "period_start" in frame else None
    end = as_date(frame["period_end"].max()) if "period_end" in frame else None
    period = f"{long_date(start)} to {long_date(end)}" if start and end else ""
    return {
        "available": True,
        "frame": frame,
        "rho": stats.get("spearman_rho"),
        "p_value": stats.get("spearman_p_value"),
        "organisations": len(frame),
        "period": period,
    }


def review_rows(
    review: Review,
    impact: pd.DataFrame | None,
    all_impact: pd.DataFrame | None,
    national: dict,
) -> list[tuple[str, str]]:
    """The review table (docs/design.md#1-the-problem): the review's five facts, then the two
    national findings."""
    rows = list(review.rows())
    rows.append(
        (
            "national finding: organisations that reduced accounts saw more engagement, not less",
            consolidation_finding(review.organisation, impact, all_impact),
        )
    )
    rows.append(
        (
            "national finding: no correlation between number of accounts and engagement",
            correlation_finding(national),
        )
    )
    return rows


def consolidation_finding(
    organisation: str, impact: pd.DataFrame | None, all_impact: pd.DataFrame | None
) -> str:
    if impact is None or all_impact is None:
        return NOT_AVAILABLE
    parts = []
    own = impact[impact["metric"] == HEADLINE_METRIC] if not impact.empty else impact
    for record in own.to_dict("records"):
        r = clean(record)
        when = long_date(as_date(r["event_date"]))
        if r.get("relative_change") is None:
            parts.append(f"{organisation}, {when}: not measurable yet (no after window)")
            continue
        text = f"{organisation}, {when}: {percent(r['relative_change'])} engagement per day"
        if r.get("ci_low") is not None and r.get("ci_high") is not None:
            text += f" (95% CI {interval(r['ci_low'], r['ci_high'])}"
            if r.get("p_value") is not None:
                text += f", p {p_text(r['p_value'], prefix=True)}"
            text += ")"
        parts.append(text)
    if not all_impact.empty:
        rows = [
            clean(r) for r in all_impact[all_impact["metric"] == HEADLINE_METRIC].to_dict("records")
        ]
        rows = [r for r in rows if r.get("relative_change") is not None]
        if rows:
            directions = [direction(r["relative_change"], r["ci_low"], r["ci_high"]) for r in rows]
            parts.append(
                f"across the warehouse, of {count(len(rows), 'consolidation')} measured, "
                f"engagement per day rose clearly after {directions.count('up')}, fell clearly "
                f"after {directions.count('down')} and showed no clear change after "
                f"{directions.count('flat')} (95% intervals)"
            )
    return "; ".join(parts) if parts else NOT_AVAILABLE


def correlation_finding(national: dict) -> str:
    if not national.get("available"):
        return NOT_AVAILABLE
    rho, p_value = national.get("rho"), national.get("p_value")
    organisations = national["organisations"]
    if rho is None or p_value is None:
        return (
            f"{NOT_AVAILABLE} (the correlation needs at least 3 organisations that differ; "
            f"the mart has {count(organisations, 'organisation')})"
        )
    verdict = (
        "no significant correlation"
        if p_value >= 0.05
        else f"a significant {'positive' if rho > 0 else 'negative'} correlation"
    )
    return (
        f"Spearman ρ = {signed(rho)}, p {p_text(p_value, prefix=True)} "
        f"across {organisations} organisations: {verdict}"
    )


def headline_tiles(review: Review, impact: dict, national: dict) -> list[dict]:
    """Headline figures shown above the charts."""
    officers = review.accounts.get("officer", 0)
    if officers:
        tiles = [
            {
                "value": f"{review.dormant.get('officer', 0)} of {officers}",
                "label": "officer accounts not posting for at least a month",
            }
        ]
    else:
        tiles = [{"value": "0", "label": "open officer accounts on this day"}]
    for kind in ("district", "officer"):
        share = review.in_area_share.get(kind)
        tiles.append(
            {
                "value": "n/a" if share is None else f"{share:.0%}",
                "label": f"of {kind} accounts' followers live in the area",
            }
        )
    if impact.get("available"):
        latest = impact["tables"][-1]
        headline = next((r for r in latest["rows"] if r["headline"]), None)
        if headline and headline["change"] != "–":
            tiles.append(
                {
                    "value": headline["change"],
                    "label": f"engagement per day after the consolidation of "
                    f"{latest['event_date']}",
                }
            )
    if national.get("available") and national.get("rho") is not None:
        tiles.append(
            {
                "value": f"ρ = {signed(national['rho'])}",
                "label": f"accounts vs engagement across {national['organisations']} "
                f"organisations (p {p_text(national['p_value'], prefix=True)})",
            }
        )
    return tiles


def locality_rows(locality: pd.DataFrame) -> pd.DataFrame:
    if locality.empty:
        return pd.DataFrame(
            columns=[
                "label",
                "kind",
                "share_in_area",
                "ci_low",
                "ci_high",
                "followers_known_location",
            ]
        )
    frame = locality.copy()
    names = frame["display_name"].where(frame["display_name"].notna(), frame["account_ref"])
    frame["label"] = names.where(names.notna(), frame["account_key"]).astype(str)
    for column in ("share_in_area", "ci_low", "ci_high"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["followers_known_location"] = pd.to_numeric(frame["followers_known_location"])
    return frame
