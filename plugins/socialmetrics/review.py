"""The published review's table (docs/design.md#1-the-problem), read back from the marts of a
warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

ACCOUNTS_BY_KIND = """
select kind,
       count(*) as accounts,
       sum(case when status = 'dormant' then 1 else 0 end) as dormant
from marts.account_activity
where organisation = :organisation and day = :day and status <> 'closed'
group by kind
"""

# Each account counts once, on its latest snapshot day up to :sampled_by, from one source (a
# platform breakdown, which covers all followers, wins over a sample of the same day), and
# weighs by its followers that day (its breakdown's total, or failing a count the sample size).
# A sample is dated by the day the platform answered, and the scheduled run for a day asks
# just after that day ends: the review of a day reads the samples up to the next.
LOCALITY_BY_KIND = """
with latest as (
    select account_key, max(snapshot_date) as snapshot_date
    from marts.follower_locality
    where organisation = :organisation and snapshot_date <= :sampled_by
    group by account_key
),
ranked as (
    select l.kind, l.share_in_area,
           coalesce(l.followers, l.sample_size) as weight,
           row_number() over (
               partition by l.account_key
               order by case when l.source = 'location_sample' then 1 else 0 end, l.source
           ) as source_rank
    from marts.follower_locality l
    join latest using (account_key, snapshot_date)
    where l.share_in_area is not null
)
select kind,
       sum(weight * share_in_area) as in_area,
       sum(weight) as known,
       count(*) as accounts_sampled
from ranked
where source_rank = 1
group by kind
"""


@dataclass(frozen=True)
class Review:
    """What the published review reported, measured from the warehouse."""

    organisation: str
    day: date
    accounts: dict[str, int]
    dormant: dict[str, int]
    in_area_share: dict[str, float | None]

    def rows(self) -> list[tuple[str, str]]:
        """The review table as (fact, value) rows."""

        def share(kind: str) -> str:
            value = self.in_area_share.get(kind)
            return "n/a" if value is None else f"{value:.0%}"

        return [
            ("officer accounts reviewed", str(self.accounts.get("officer", 0))),
            (
                "of those, not posting content for at least a month",
                str(self.dormant.get("officer", 0)),
            ),
            ("district accounts", str(self.accounts.get("district", 0))),
            ("followers living in the area, district accounts", share("district")),
            ("followers living in the area, officer accounts", share("officer")),
        ]

    def render(self) -> str:
        """A Markdown table with a title line."""
        lines = [
            f"Review of {self.organisation} on {self.day} (read from marts)",
            "",
            "| fact from the review | value |",
            "| --- | --- |",
        ]
        lines += [f"| {fact} | {value} |" for fact, value in self.rows()]
        return "\n".join(lines)


def read_review(engine: Engine, organisation: str, day: date) -> Review:
    """Measure the review facts for ``organisation`` on ``day`` from the marts: accounts and
    dormancy on ``day``, locality from the latest samples taken up to the run for ``day``."""
    params = {"organisation": organisation, "day": day, "sampled_by": day + timedelta(days=1)}
    with engine.connect() as conn:
        by_kind = conn.execute(sa.text(ACCOUNTS_BY_KIND), params).all()
        locality = conn.execute(sa.text(LOCALITY_BY_KIND), params).all()
    return Review(
        organisation=organisation,
        day=day,
        accounts={kind: int(n) for kind, n, _ in by_kind},
        dormant={kind: int(d) for kind, _, d in by_kind},
        in_area_share={
            kind: (float(in_area) / float(known) if known else None)
            for kind, in_area, known, _ in locality
        },
    )


CONSOLIDATION = """
select event_date, before_value, after_value, relative_change, ci_low, ci_high, p_value,
       did_estimate, did_ci_low, did_ci_high, did_p_value, control_organisations,
       did_placebo_estimate, did_placebo_p_value, sc_estimate, sc_ci_low, sc_ci_high,
       sc_placebo_p_value, sc_controls, permutation_block_days,
       days_before, days_after, accounts_before, accounts_after
from marts.consolidation_impact
where organisation = :organisation and metric = 'total_engagement_per_day'
order by event_date
"""

POOLED = """
select basis, events, events_in_warehouse, pooled_relative_change, ci_low, ci_high, p_value,
       i2, tau2, smallest_event_change, largest_event_change
from marts.consolidation_effect_pooled
order by basis
"""

NATIONAL = """
select spearman_rho, spearman_p_value, organisations, period_start, period_end
from marts.accounts_vs_engagement
where row_type = 'summary'
"""


def _percent(value) -> str:
    return "n/a" if value is None else f"{value:+.1%}"


def _p(value) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def _interval(low, high) -> str:
    if low is None or high is None:
        return "no interval: windows too short"
    return f"95% CI {_percent(low)} to {_percent(high)}"


def _event_lines(event) -> list[str]:
    lines = [
        f"Consolidation of {event.event_date} ({event.accounts_before} accounts before, "
        f"{event.accounts_after} after): total engagement per day "
        f"{event.before_value:.0f} -> {event.after_value:.0f}, "
        f"{_percent(event.relative_change)} ({_interval(event.ci_low, event.ci_high)}, "
        f"p = {_p(event.p_value)}, {event.days_before} days before vs {event.days_after} after; "
        f"whole-week block permutation, blocks of {event.permutation_block_days} days)"
    ]
    if event.did_estimate is not None:
        lines.append(
            f"  against {event.control_organisations} organisations without a "
            f"consolidation (difference in differences): {_percent(event.did_estimate)} "
            f"({_interval(event.did_ci_low, event.did_ci_high)}, p = {_p(event.did_p_value)}); "
            f"parallel-trends placebo halfway through the before window: "
            f"{_percent(event.did_placebo_estimate)}, p = {_p(event.did_placebo_p_value)}"
        )
    if event.sc_estimate is not None:
        lines.append(
            f"  synthetic control (weighted mix of {event.sc_controls} organisations): "
            f"{_percent(event.sc_estimate)} ({_interval(event.sc_ci_low, event.sc_ci_high)}), "
            f"placebo-in-space p = {_p(event.sc_placebo_p_value)} (smallest possible "
            f"{1 / (event.sc_controls + 1):.2g})"
        )
    return lines


def _pooled_lines(pooled) -> list[str]:
    lines = []
    for row in pooled:
        name = "as seen" if row.basis == "before_after" else "net of the controls"
        if row.pooled_relative_change is None:
            lines.append(f"Pooled over consolidations ({name}): fewer than 2 events to pool")
            continue
        lines.append(
            f"Pooled over {row.events} of {row.events_in_warehouse} consolidations ({name}, "
            f"random-effects meta-analysis): engagement per day "
            f"{_percent(row.pooled_relative_change)} ({_interval(row.ci_low, row.ci_high)}, "
            f"p = {_p(row.p_value)}); events ranged {_percent(row.smallest_event_change)} to "
            f"{_percent(row.largest_event_change)}, heterogeneity I^2 = {row.i2:.0%}"
        )
    return lines


def read_findings(engine: Engine, organisation: str) -> list[str]:
    """The consolidation result, the pooled national finding and the national correlation
    as sentences, from the marts."""
    lines = []
    with engine.connect() as conn:
        events = conn.execute(sa.text(CONSOLIDATION), {"organisation": organisation}).all()
        pooled = conn.execute(sa.text(POOLED)).all()
        national = conn.execute(sa.text(NATIONAL)).first()
    for event in events:
        lines += _event_lines(event)
    if not events:
        lines.append(f"No consolidation of {organisation} with data on both sides yet.")
    lines += _pooled_lines(pooled)
    if national is not None and national.spearman_rho is not None:
        lines.append(
            f"Across {national.organisations} organisations ({national.period_start} to "
            f"{national.period_end}): Spearman correlation of active accounts and engagement "
            f"rho = {national.spearman_rho:+.2f}, p = {national.spearman_p_value:.3g}"
        )
    return lines
