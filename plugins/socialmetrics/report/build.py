"""Write the offline HTML report of one organisation on one day, read from the marts.

The page holds four charts (engagement over time with the consolidations, dormant accounts
over time, follower locality by account, accounts vs engagement across organisations) and
the review table of SPEC §1 under them. Charts are embedded as base64 PNG ``data:`` URIs and
the styles are inline, so the single file opens anywhere without a network or JavaScript.
marts.consolidation_impact and marts.accounts_vs_engagement may be missing or empty: their
sections then say "not available" and the other charts are still drawn.
"""

from __future__ import annotations

import base64
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from socialmetrics.report import charts
from socialmetrics.review import Review, read_review

__all__ = ["ReportData", "read_report_data", "render_report", "write_report"]

TEMPLATE = "template.html.j2"
HISTORY_DAYS = 730
DEFAULT_WINDOW_DAYS = 90
NOT_AVAILABLE = "not available"

METRIC_NAMES = {
    "total_engagement_per_day": "engagement per day",
    "posts_per_day": "posts per day",
    "engagement_per_post": "engagement per post",
    "active_accounts": "active accounts",
    "engagement_per_1000_followers": "engagement per 1,000 followers",
}
HEADLINE_METRIC = "total_engagement_per_day"

# The columns the report reads from the statistical marts; a mart without them is shown as
# not available (with the missing columns named) rather than failing the report.
IMPACT_COLUMNS = frozenset(
    {
        "organisation", "event_date", "metric", "before_start", "before_end", "after_start",
        "after_end", "before_value", "after_value", "relative_change", "ci_low", "ci_high",
        "p_value",
    }
)  # fmt: skip
NATIONAL_COLUMNS = frozenset({"row_type", "organisation", "active_accounts", "engagement_per_day"})

ENGAGEMENT = """
select kind, day, engagement, posts, active_accounts
from marts.engagement_daily
where organisation = :organisation and day between :since and :day
order by day, kind
"""

DORMANT = """
select kind, day,
       sum(case when status = 'dormant' then 1 else 0 end) as dormant,
       sum(case when status <> 'closed' then 1 else 0 end) as open
from marts.account_activity
where organisation = :organisation and day between :since and :day
group by kind, day
order by day, kind
"""

THRESHOLDS = """
select distinct dormant_after_days
from marts.account_activity
where organisation = :organisation and day = :day and status <> 'closed'
order by dormant_after_days
"""

# Samples are dated by the day the platform answered: the run for a day asks just after it.
LOCALITY = """
with latest as (
    select account_key, max(snapshot_date) as snapshot_date
    from marts.follower_locality
    where organisation = :organisation and snapshot_date <= :sampled_by
    group by account_key
),
names as (
    select account_key, max(display_name) as display_name, max(account_ref) as account_ref
    from marts.account_activity
    where organisation = :organisation and day = :day
    group by account_key
),
one_source as (
    -- An account with a breakdown and a sample on the same day is shown once: the breakdown.
    select l.*,
           row_number() over (
               partition by l.account_key
               order by case when l.source = 'location_sample' then 1 else 0 end, l.source
           ) as source_rank
    from marts.follower_locality as l
    inner join latest
        on latest.account_key = l.account_key and latest.snapshot_date = l.snapshot_date
)
select l.account_key, names.display_name, names.account_ref, l.kind, l.area,
       l.snapshot_date, l.sample_size, l.in_area, l.outside, l.unknown,
       l.followers_known_location, l.share_in_area, l.ci_low, l.ci_high
from one_source as l
left join names
    on names.account_key = l.account_key
where l.source_rank = 1
order by l.kind, l.account_key
"""

EVENTS = """
select event_date, description
from core.consolidation
where organisation = :organisation
order by event_date
"""

FIRST_DAY = """
select min(day) from marts.account_activity where organisation = :organisation
"""


@dataclass
class ReportData:
    """Everything the report shows, read from the warehouse."""

    organisation: str
    day: date
    since: date
    engagement: pd.DataFrame
    dormant: pd.DataFrame
    dormant_after_days: list[int]
    locality: pd.DataFrame
    events: pd.DataFrame
    review: Review
    impact: pd.DataFrame | None = None  # this organisation's rows; None: mart not usable
    all_impact: pd.DataFrame | None = None  # every organisation's rows
    national: pd.DataFrame | None = None  # None: marts.accounts_vs_engagement not usable
    impact_unusable: str = "marts.consolidation_impact has not been built"
    national_unusable: str = "marts.accounts_vs_engagement has not been built"


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


def read_report_data(
    engine: Engine, organisation: str, day: date, *, history_days: int = HISTORY_DAYS
) -> ReportData:
    """Query the marts (and core.consolidation) for the report."""
    params: dict[str, Any] = {"organisation": organisation, "day": day}
    inspector = sa.inspect(engine)
    has_impact = inspector.has_table("consolidation_impact", schema="marts")
    has_national = inspector.has_table("accounts_vs_engagement", schema="marts")
    with engine.connect() as conn:
        events = _frame(conn, EVENTS, params)
        all_impact, impact_unusable = _stat_mart(
            conn, "consolidation_impact", has_impact, IMPACT_COLUMNS
        )
        impact = (
            None
            if all_impact is None
            else all_impact[all_impact["organisation"] == organisation].reset_index(drop=True)
        )
        national, national_unusable = _stat_mart(
            conn, "accounts_vs_engagement", has_national, NATIONAL_COLUMNS
        )
        since = day - timedelta(days=history_days - 1)
        for event in events.itertuples(index=False):
            since = min(since, event.event_date - timedelta(days=DEFAULT_WINDOW_DAYS + 14))
        if impact is not None and not impact.empty and "before_start" in impact:
            starts = impact["before_start"].dropna()
            if not starts.empty:
                since = min(since, min(starts) - timedelta(days=14))
        first = conn.execute(sa.text(FIRST_DAY), params).scalar()
        if first is not None:
            since = max(since, first)
        params["since"] = since
        engagement = _frame(conn, ENGAGEMENT, params)
        dormant = _frame(conn, DORMANT, params)
        thresholds = [int(v) for (v,) in conn.execute(sa.text(THRESHOLDS), params)]
        params["sampled_by"] = params["day"] + timedelta(days=1)
        locality = _frame(conn, LOCALITY, params)
    return ReportData(
        organisation=organisation,
        day=day,
        since=since,
        engagement=engagement,
        dormant=dormant,
        dormant_after_days=thresholds,
        locality=locality,
        events=events,
        review=read_review(engine, organisation, day),
        impact=impact,
        all_impact=all_impact,
        national=national,
        impact_unusable=impact_unusable,
        national_unusable=national_unusable,
    )


def _stat_mart(
    conn: Connection, name: str, exists: bool, columns: frozenset[str]
) -> tuple[pd.DataFrame | None, str]:
    """Every row of marts.<name>, or None and why the report cannot use it."""
    if not exists:
        return None, f"marts.{name} has not been built"
    frame = _frame(conn, f"select * from marts.{name}", {})
    missing = sorted(columns - set(frame.columns))
    if missing:
        return None, f"marts.{name} lacks the column(s) {', '.join(missing)}"
    return frame, ""


def render_report(data: ReportData) -> str:
    """The report page of ``data`` as one self-contained HTML string."""
    marks = consolidation_marks(data)
    organisation, day = data.organisation, data.day
    threshold = _threshold_text(data.dormant_after_days)
    locality = _locality_rows(data.locality)
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
    national = _national(data.national, data.national_unusable)
    if national["available"]:
        sections["national"] = charts.accounts_vs_engagement_chart(
            national["frame"],
            rho=national["rho"],
            p_value=national["p_value"],
            highlight=organisation,
            period=national["period"],
        )
    impact = _impact_tables(data.impact, data.events, data.impact_unusable)
    context = {
        "organisation": organisation,
        "day": _long_date(day),
        "since": _long_date(data.since),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "images": {name: _data_uri(png) for name, png in sections.items()},
        "marks": [
            {
                "date": _long_date(m.event_date),
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
        "tiles": _tiles(data.review, impact, national),
        "not_available": NOT_AVAILABLE,
    }
    return _environment().get_template(TEMPLATE).render(**context)


# -- consolidations -------------------------------------------------------------------------


def consolidation_marks(data: ReportData) -> list[charts.ConsolidationMark]:
    """A mark per consolidation of the organisation, windows from marts.consolidation_impact.

    Without an impact row for the event, the windows are the default ones (90 days before the
    event, 90 days from it) cut at the data shown, and the mark says so.
    """
    marks = []
    for event in data.events.itertuples(index=False):
        event_date = _as_date(event.event_date)
        row = _impact_row(data.impact, event_date)
        if row is not None:
            before = _window(row.get("before_start"), row.get("before_end"))
            after = _window(row.get("after_start"), row.get("after_end"))
            note = "windows of marts.consolidation_impact"
        else:
            first = data.since
            before = _window(
                max(first, event_date - timedelta(days=DEFAULT_WINDOW_DAYS)),
                min(data.day, event_date - timedelta(days=1)),
            )
            after = _window(
                event_date, min(data.day, event_date + timedelta(days=DEFAULT_WINDOW_DAYS - 1))
            )
            note = (
                f"default {DEFAULT_WINDOW_DAYS}-day windows "
                "(marts.consolidation_impact not available)"
            )
        marks.append(charts.ConsolidationMark(event_date, "consolidation", before, after, note))
    return marks


def _impact_row(impact: pd.DataFrame | None, event_date: date) -> dict | None:
    if impact is None or impact.empty:
        return None
    rows = impact[impact["event_date"].map(_as_date) == event_date]
    if rows.empty:
        return None
    headline = rows[rows["metric"] == HEADLINE_METRIC]
    return _clean((headline if not headline.empty else rows).iloc[0].to_dict())


def _window(start: Any, end: Any) -> tuple[date, date] | None:
    start, end = _as_date(start), _as_date(end)
    if start is None or end is None or end < start:
        return None
    return (start, end)


def _impact_tables(impact: pd.DataFrame | None, events: pd.DataFrame, unusable: str) -> dict:
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
    for event_date, rows in impact.groupby(impact["event_date"].map(_as_date), sort=True):
        rows = [_clean(r) for r in rows.to_dict("records")]
        order = list(METRIC_NAMES)
        rows.sort(key=lambda r: order.index(r["metric"]) if r["metric"] in order else 99)
        first = rows[0]
        tables.append(
            {
                "event_date": _long_date(event_date),
                "before": _span(first.get("before_start"), first.get("before_end")),
                "after": _span(first.get("after_start"), first.get("after_end")),
                "controls": first.get("control_organisations"),
                "as_of": _long_date(_as_date(first.get("as_of"))) if first.get("as_of") else "",
                "rows": [
                    {
                        "metric": METRIC_NAMES.get(r["metric"], r["metric"]),
                        "headline": r["metric"] == HEADLINE_METRIC,
                        "before": _number(r.get("before_value")),
                        "after": _number(r.get("after_value")),
                        "change": _percent(r.get("relative_change")),
                        "ci": _interval(r.get("ci_low"), r.get("ci_high")),
                        "p": _p(r.get("p_value")),
                        "did": _percent(r.get("did_estimate")),
                        "did_ci": _interval(r.get("did_ci_low"), r.get("did_ci_high")),
                        "direction": _direction(
                            r.get("relative_change"), r.get("ci_low"), r.get("ci_high")
                        ),
                    }
                    for r in rows
                ],
            }
        )
    return {"available": True, "tables": tables}


def _direction(change: Any, low: Any, high: Any) -> str:
    """up / down when the interval excludes 0, else flat (for the table's colours)."""
    if change is None:
        return ""
    if low is not None and low > 0:
        return "up"
    if high is not None and high < 0:
        return "down"
    return "flat"


# -- across organisations -------------------------------------------------------------------


def _national(national: pd.DataFrame | None, unusable: str) -> dict:
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
    stats = _clean(summary.iloc[0].to_dict()) if not summary.empty else {}
    start = _as_date(frame["period_start"].min()) if "period_start" in frame else None
    end = _as_date(frame["period_end"].max()) if "period_end" in frame else None
    period = f"{_long_date(start)} to {_long_date(end)}" if start and end else ""
    return {
        "available": True,
        "frame": frame,
        "rho": stats.get("spearman_rho"),
        "p_value": stats.get("spearman_p_value"),
        "organisations": len(frame),
        "period": period,
    }


# -- the review table -----------------------------------------------------------------------


def review_rows(
    review: Review,
    impact: pd.DataFrame | None,
    all_impact: pd.DataFrame | None,
    national: dict,
) -> list[tuple[str, str]]:
    """The SPEC §1 table: the review's five facts, then the two national findings."""
    rows = list(review.rows())
    rows.append(
        (
            "national finding: organisations that reduced accounts saw more engagement, not less",
            _consolidation_finding(review.organisation, impact, all_impact),
        )
    )
    rows.append(
        (
            "national finding: no correlation between number of accounts and engagement",
            _correlation_finding(national),
        )
    )
    return rows


def _consolidation_finding(
    organisation: str, impact: pd.DataFrame | None, all_impact: pd.DataFrame | None
) -> str:
    if impact is None or all_impact is None:
        return NOT_AVAILABLE
    parts = []
    own = impact[impact["metric"] == HEADLINE_METRIC] if not impact.empty else impact
    for record in own.to_dict("records"):
        r = _clean(record)
        when = _long_date(_as_date(r["event_date"]))
        if r.get("relative_change") is None:
            parts.append(f"{organisation}, {when}: not measurable yet (no after window)")
            continue
        text = f"{organisation}, {when}: {_percent(r['relative_change'])} engagement per day"
        if r.get("ci_low") is not None and r.get("ci_high") is not None:
            text += f" (95% CI {_interval(r['ci_low'], r['ci_high'])}"
            if r.get("p_value") is not None:
                text += f", p {_p(r['p_value'], prefix=True)}"
            text += ")"
        parts.append(text)
    if not all_impact.empty:
        rows = [
            _clean(r)
            for r in all_impact[all_impact["metric"] == HEADLINE_METRIC].to_dict("records")
        ]
        rows = [r for r in rows if r.get("relative_change") is not None]
        if rows:
            directions = [_direction(r["relative_change"], r["ci_low"], r["ci_high"]) for r in rows]
            parts.append(
                f"across the warehouse, of {_count(len(rows), 'consolidation')} measured, "
                f"engagement per day rose clearly after {directions.count('up')}, fell clearly "
                f"after {directions.count('down')} and showed no clear change after "
                f"{directions.count('flat')} (95% intervals)"
            )
    return "; ".join(parts) if parts else NOT_AVAILABLE


def _correlation_finding(national: dict) -> str:
    if not national.get("available"):
        return NOT_AVAILABLE
    rho, p_value = national.get("rho"), national.get("p_value")
    count = national["organisations"]
    if rho is None or p_value is None:
        return (
            f"{NOT_AVAILABLE} (the correlation needs at least 3 organisations that differ; "
            f"the mart has {_count(count, 'organisation')})"
        )
    verdict = (
        "no significant correlation"
        if p_value >= 0.05
        else f"a significant {'positive' if rho > 0 else 'negative'} correlation"
    )
    return (
        f"Spearman ρ = {_signed(rho)}, p {_p(p_value, prefix=True)} "
        f"across {count} organisations: {verdict}"
    )


def _tiles(review: Review, impact: dict, national: dict) -> list[dict]:
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
                "value": f"ρ = {_signed(national['rho'])}",
                "label": f"accounts vs engagement across {national['organisations']} "
                f"organisations (p {_p(national['p_value'], prefix=True)})",
            }
        )
    return tiles


# -- formatting -----------------------------------------------------------------------------


def _locality_rows(locality: pd.DataFrame) -> pd.DataFrame:
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


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _threshold_text(days: list[int]) -> str:
    if not days:
        return "30 days"
    if len(days) == 1:
        return f"{days[0]} days"
    return f"{days[0]}–{days[-1]} days (by kind)"


def _frame(conn: Connection, sql: str, params: dict) -> pd.DataFrame:
    result = conn.execute(sa.text(sql), params)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()), dtype=object)


def _clean(record: dict) -> dict:
    """NaN, NaT and pandas NA as None; numpy and Decimal numbers as float or int."""
    cleaned = {}
    for key, value in record.items():
        if value is None or (not isinstance(value, str | date) and pd.isna(value)):
            cleaned[key] = None
        elif hasattr(value, "__float__") and not isinstance(value, bool | int | date):
            cleaned[key] = float(value)
        else:
            cleaned[key] = value
    return cleaned


def _as_date(value: Any) -> date | None:
    if value is None or (not isinstance(value, date) and pd.isna(value)):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()


def _long_date(value: date | None) -> str:
    return "–" if value is None else f"{value.day} {value:%B %Y}"


def _span(start: Any, end: Any) -> str:
    start, end = _as_date(start), _as_date(end)
    if start is None or end is None:
        return "no days"
    return f"{_long_date(start)} – {_long_date(end)} ({(end - start).days + 1} days)"


def _number(value: Any) -> str:
    if value is None:
        return "–"
    value = float(value)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def _percent(value: Any) -> str:
    return "–" if value is None else f"{float(value):+.0%}".replace("-", "−")


def _signed(value: float) -> str:
    return f"{value:+.2f}".replace("-", "−")


def _interval(low: Any, high: Any) -> str:
    if low is None or high is None:
        return "–"
    return f"{_percent(low)} to {_percent(high)}"


def _p(value: Any, *, prefix: bool = False) -> str:
    if value is None:
        return "–"
    value = float(value)
    if value < 0.001:
        return "< 0.001"
    text = f"{value:.3f}" if value < 0.01 else f"{value:.2f}"
    return f"= {text}" if prefix else text


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
