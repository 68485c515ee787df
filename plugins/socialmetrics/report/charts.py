"""The report's charts: each function takes DataFrames and returns the bytes of one PNG.

Drawn with matplotlib's Agg canvas on a fresh ``Figure`` (no pyplot, no global state, safe in
threads and without a display). Every chart is 9 inches wide and saved at ``DPI`` dots per
inch, so it stays sharp when the page shows it 900 px wide. Colours are the Okabe-Ito
palette (distinguishable with the common colour-vision deficiencies), one fixed colour per
account kind across all charts.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from socialmetrics.report.chart_parts import (
    EVENT_COLOUR,
    PALETTE,
    STYLE,
    TOTAL_COLOUR,
    ConsolidationMark,
    daily_wide,
    date_axis,
    figure,
    kind_colours,
    kind_order,
    label_points,
    labelled,
    legend_below,
    mark_consolidations,
    no_data,
    p_phrase,
    png,
    shortened,
    signed_rho,
    thousands,
    titles,
    with_organisation,
)

__all__ = [
    "accounts_vs_engagement_chart",
    "dormant_chart",
    "engagement_chart",
    "locality_chart",
]

# -- engagement over time -------------------------------------------------------------------


def engagement_chart(
    engagement: pd.DataFrame,
    marks: Sequence[ConsolidationMark] = (),
    *,
    organisation: str = "",
    smooth_days: int = 7,
) -> bytes:
    """Engagement per day by account kind, plus the organisation's total.

    ``engagement``: one row per kind and day, columns ``kind``, ``day``, ``engagement``.
    Lines are ``smooth_days``-day rolling means (a day without a row counts as 0). Each
    consolidation of ``marks`` is a labelled vertical line with its before and after windows
    shaded; the x axis reaches an event that lies after the data.
    """
    title = with_organisation("Engagement per day, by account kind", organisation)
    with mpl.rc_context(STYLE):
        fig, ax = figure(4.9)
        titles(fig, ax, title, f"{smooth_days}-day rolling mean, by the posts' publish day")
        if engagement.empty:
            no_data(ax, "no engagement in marts.engagement_daily")
            return png(fig)
        wide = daily_wide(engagement, "engagement")
        smoothed = wide.rolling(smooth_days, min_periods=1).mean()
        colours = kind_colours(wide.columns)
        days = smoothed.index
        for kind in kind_order(wide.columns):
            ax.plot(days, smoothed[kind], color=colours[kind], linewidth=1.5, label=kind)
        top = float(smoothed.max().max())
        if len(wide.columns) > 1:
            total = smoothed.sum(axis=1)
            top = float(total.max())
            ax.plot(days, total, color=TOTAL_COLOUR, linewidth=2.0, label="all accounts")
        ax.set_ylim(0, max(top, 1.0) * (1.38 if marks else 1.08))
        ax.yaxis.set_major_formatter(FuncFormatter(thousands))
        ax.set_ylabel("engagement per day\n(likes + replies + reposts + quotes)")
        mark_consolidations(ax, marks, days.min().date(), days.max().date())
        date_axis(ax)
        legend_below(ax, fig)
        return png(fig)


# -- dormant accounts over time -------------------------------------------------------------


def dormant_chart(
    dormant: pd.DataFrame,
    marks: Sequence[ConsolidationMark] = (),
    *,
    organisation: str = "",
    dormant_after_days: str = "30 days",
) -> bytes:
    """Dormant accounts per day, stacked by kind, with the open accounts as a line.

    ``dormant``: one row per kind and day, columns ``kind``, ``day``, ``dormant`` (accounts
    whose status is dormant) and ``open`` (accounts not closed). The subtitle gives the
    latest day's count of each kind.
    """
    title = with_organisation("Dormant accounts, by account kind", organisation)
    with mpl.rc_context(STYLE):
        fig, ax = figure(4.6)
        if dormant.empty:
            titles(fig, ax, title)
            no_data(ax, "no accounts in marts.account_activity")
            return png(fig)
        wide = daily_wide(dormant, "dormant")
        open_accounts = daily_wide(dormant, "open").sum(axis=1)
        colours = kind_colours(wide.columns)
        kinds = kind_order(wide.columns)
        days = wide.index
        last = wide.iloc[-1]
        latest = ", ".join(f"{int(last[kind])} {kind}" for kind in kinds if last[kind])
        titles(
            fig,
            ax,
            title,
            f"dormant = open and no post for more than {dormant_after_days}; "
            f"on {days[-1].day} {days[-1]:%b %Y}: {int(last.sum())} dormant"
            + (f" ({latest})" if latest else "")
            + f" of {int(open_accounts.iloc[-1])} open",
        )
        stacked = [kind for kind in kinds if wide[kind].max() > 0]  # kinds ever dormant
        if stacked:
            ax.stackplot(
                days,
                [wide[kind].to_numpy() for kind in stacked],
                colors=[colours[kind] for kind in stacked],
                labels=[f"dormant {kind}" for kind in stacked],
                alpha=0.85,
                linewidth=0,
            )
        ax.step(
            days,
            open_accounts.to_numpy(),
            where="post",
            color=TOTAL_COLOUR,
            linewidth=1.4,
            linestyle=(0, (4, 2)),
            label="open accounts (active + dormant)",
        )
        ax.set_ylim(0, max(1.0, float(open_accounts.max())) * (1.25 if marks else 1.08))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("accounts")
        mark_consolidations(ax, marks, days.min().date(), days.max().date(), shade=False)
        date_axis(ax)
        legend_below(ax, fig)
        return png(fig)


# -- follower locality ----------------------------------------------------------------------


def locality_chart(
    locality: pd.DataFrame,
    pooled: dict[str, float | None] | None = None,
    *,
    organisation: str = "",
    area: str = "the area",
) -> bytes:
    """Share of followers living in the area, one point per account with its 95% interval.

    ``locality``: one row per account, columns ``label``, ``kind``, ``share_in_area``,
    ``ci_low``, ``ci_high`` (fractions) and ``followers_known_location``. Accounts are
    grouped by kind, highest share first; each point is labelled with its share and the
    number of followers with a known location. ``pooled`` (kind -> share of all the kind's
    followers with a known location) is drawn as a dashed line across the kind's rows and
    written in the kind's heading.
    """
    title = with_organisation(f"Followers living in {area}, by account", organisation)
    rows = locality.dropna(subset=["share_in_area"])
    kinds = kind_order(rows["kind"])
    height = max(3.6, 1.9 + 0.3 * len(rows) + 0.42 * len(kinds))
    with mpl.rc_context(STYLE):
        fig, ax = figure(height)
        titles(
            fig,
            ax,
            title,
            "latest follower sample of each account; dot = share, bar = 95% interval",
        )
        if rows.empty:
            no_data(ax, "no follower sample with a known location in marts.follower_locality")
            return png(fig)
        colours = kind_colours(kinds)
        position = 0.0
        ticks: list[float] = []
        labels: list[str] = []
        for kind in kinds:
            group = rows[rows["kind"] == kind].sort_values(
                ["share_in_area", "label"], ascending=[False, True]
            )
            value = (pooled or {}).get(kind)
            heading = f"{kind} accounts"
            if value is not None:
                heading += f": {value:.0%} of all their sampled followers live in {area}"
            ax.annotate(
                heading,
                xy=(0, position - 0.55),
                xycoords=("axes fraction", "data"),
                xytext=(2, 0),
                textcoords="offset points",
                va="bottom",
                fontsize=10.5,
                fontweight="bold",
                color=colours[kind],
            )
            first = position
            for row in group.itertuples(index=False):
                _locality_point(ax, row, position, colours[kind])
                ticks.append(position)
                labels.append(shortened(str(row.label), 30))
                position += 1
            if value is not None:
                ax.plot(
                    [value * 100] * 2,
                    [first - 0.4, position - 0.6],
                    color=colours[kind],
                    linestyle=(0, (3, 2)),
                    linewidth=1.3,
                    alpha=0.8,
                    zorder=2,
                )
            position += 1.0  # room for the next kind's heading
        ax.set_yticks(ticks, labels)
        ax.set_ylim(position - 1.4, -1.3)
        ax.set_xlim(0, 115)
        ax.set_xticks(range(0, 101, 20))
        ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="y", length=0, labelsize=10)
        ax.set_xlabel(f"followers with a known location who live in {area} (%)")
        return png(fig)


# -- accounts vs engagement across organisations --------------------------------------------


def _locality_point(ax, row, position: float, colour: str) -> None:
    """One account's share with its interval, labelled with the share and its sample size."""
    share = float(row.share_in_area)
    low = share if pd.isna(row.ci_low) else float(row.ci_low)
    high = share if pd.isna(row.ci_high) else float(row.ci_high)
    ax.errorbar(
        share * 100,
        position,
        xerr=[[max(share - low, 0) * 100], [max(high - share, 0) * 100]],
        fmt="o",
        color=colour,
        markersize=6.5,
        elinewidth=2.2,
        capsize=3.5,
        zorder=3,
    )
    ax.annotate(
        f"{share:.0%}  (n = {int(row.followers_known_location):,})",
        xy=(high * 100, position),
        xytext=(7, 0),
        textcoords="offset points",
        va="center",
        fontsize=9.5,
        color="#333333",
    )


def accounts_vs_engagement_chart(
    organisations: pd.DataFrame,
    *,
    rho: float | None = None,
    p_value: float | None = None,
    highlight: str | None = None,
    period: str = "",
) -> bytes:
    """One point per organisation: active accounts against engagement per day.

    ``organisations``: columns ``organisation``, ``active_accounts`` (mean per day) and
    ``engagement_per_day``. Spearman's ``rho`` and its ``p_value`` go in the title;
    ``highlight`` is drawn in the event colour. With more than 25 organisations only the
    highlighted one and the extremes are labelled.
    """
    if rho is None or p_value is None:
        stat = "Spearman ρ not available"
    else:
        stat = f"Spearman ρ = {signed_rho(rho)}, p {p_phrase(p_value)}"
    data = organisations.dropna(subset=["active_accounts", "engagement_per_day"])
    note = f"{len(data)} organisation{'s' if len(data) != 1 else ''}"
    if period:
        note += f", {period}"
    with mpl.rc_context(STYLE):
        fig, ax = figure(5.2)
        titles(fig, ax, f"Accounts vs engagement across organisations: {stat}", note)
        if data.empty:
            no_data(ax, "no organisation in marts.accounts_vs_engagement")
            return png(fig)
        x = data["active_accounts"].astype(float).to_numpy()
        y = data["engagement_per_day"].astype(float).to_numpy()
        names = data["organisation"].astype(str).to_numpy()
        is_highlight = names == highlight
        ax.scatter(
            x[~is_highlight],
            y[~is_highlight],
            s=60,
            color=PALETTE[0],
            alpha=0.9,
            edgecolor="white",
            linewidth=0.8,
            zorder=3,
        )
        if is_highlight.any():
            ax.scatter(
                x[is_highlight],
                y[is_highlight],
                s=95,
                color=EVENT_COLOUR,
                edgecolor="white",
                linewidth=0.8,
                zorder=4,
            )
        ax.set_xlim(0, max(x.max() * 1.2, 1.0))
        ax.set_ylim(0, max(y.max() * 1.2, 1.0))
        ax.yaxis.set_major_formatter(FuncFormatter(thousands))
        ax.set_xlabel("active accounts (mean per day over the period)")
        ax.set_ylabel("engagement per day\n(likes + replies + reposts + quotes)")
        label_points(fig, ax, x, y, names, is_highlight, labelled(x, y, names, highlight))
        return png(fig)


# -- helpers --------------------------------------------------------------------------------
