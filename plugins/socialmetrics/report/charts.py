"""The report's charts: each function takes DataFrames and returns the bytes of one PNG.

Drawn with matplotlib's Agg canvas on a fresh ``Figure`` (no pyplot, no global state, safe in
threads and without a display). Every chart is 9 inches wide and saved at ``DPI`` dots per
inch, so it stays sharp when the page shows it 900 px wide. Colours are the Okabe-Ito
palette (distinguishable with the common colour-vision deficiencies), one fixed colour per
account kind across all charts.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter
from matplotlib.transforms import Bbox

__all__ = [
    "DPI",
    "WIDTH_INCHES",
    "ConsolidationMark",
    "accounts_vs_engagement_chart",
    "dormant_chart",
    "engagement_chart",
    "kind_colours",
    "locality_chart",
]

DPI = 150
WIDTH_INCHES = 9.0

# Okabe-Ito, without black (kept for totals) and yellow (too pale on white).
_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999")
_KIND_ORDER = ("force", "district", "officer", "department")
_TOTAL_COLOUR = "#222222"
_EVENT_COLOUR = "#B2182B"
_BEFORE_COLOUR = "#9ecae1"
_AFTER_COLOUR = "#fdd0a2"
_MUTED = "#555555"

_STYLE = {
    "text.parse_math": False,  # names from the registry are text, even with a "$" in them
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 11,
    "axes.labelcolor": "#333333",
    "axes.edgecolor": "#888888",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e4e4e4",
    "grid.linewidth": 0.8,
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    "legend.frameon": False,
    "legend.fontsize": 10,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}


@dataclass(frozen=True)
class ConsolidationMark:
    """A consolidation event to mark on the time charts, with its before and after windows.

    A window is None when it has no day (for example an event after the latest loaded day
    has no after window); ``windows_note`` says where the windows come from.
    """

    event_date: date
    label: str
    before: tuple[date, date] | None = None
    after: tuple[date, date] | None = None
    windows_note: str = ""


def kind_colours(kinds: Iterable[str]) -> dict[str, str]:
    """A fixed colour per account kind: the usual kinds first, then the others by name."""
    present = set(kinds)
    ordered = [kind for kind in _KIND_ORDER if kind in present]
    ordered += sorted(present - set(_KIND_ORDER))
    return {kind: _PALETTE[i % len(_PALETTE)] for i, kind in enumerate(ordered)}


def kind_order(kinds: Iterable[str]) -> list[str]:
    """Account kinds in report order: force, district, officer, department, then by name."""
    return list(kind_colours(kinds))


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
    title = _with_organisation("Engagement per day, by account kind", organisation)
    with mpl.rc_context(_STYLE):
        fig, ax = _figure(4.9)
        _titles(fig, ax, title, f"{smooth_days}-day rolling mean, by the posts' publish day")
        if engagement.empty:
            _no_data(ax, "no engagement in marts.engagement_daily")
            return _png(fig)
        wide = _daily_wide(engagement, "engagement")
        smoothed = wide.rolling(smooth_days, min_periods=1).mean()
        colours = kind_colours(wide.columns)
        days = smoothed.index
        for kind in kind_order(wide.columns):
            ax.plot(days, smoothed[kind], color=colours[kind], linewidth=1.5, label=kind)
        top = float(smoothed.max().max())
        if len(wide.columns) > 1:
            total = smoothed.sum(axis=1)
            top = float(total.max())
            ax.plot(days, total, color=_TOTAL_COLOUR, linewidth=2.0, label="all accounts")
        ax.set_ylim(0, max(top, 1.0) * (1.38 if marks else 1.08))
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.set_ylabel("engagement per day\n(likes + replies + reposts + quotes)")
        _mark_consolidations(ax, marks, days.min().date(), days.max().date())
        _date_axis(ax)
        _legend_below(ax, fig)
        return _png(fig)


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
    title = _with_organisation("Dormant accounts, by account kind", organisation)
    with mpl.rc_context(_STYLE):
        fig, ax = _figure(4.6)
        if dormant.empty:
            _titles(fig, ax, title)
            _no_data(ax, "no accounts in marts.account_activity")
            return _png(fig)
        wide = _daily_wide(dormant, "dormant")
        open_accounts = _daily_wide(dormant, "open").sum(axis=1)
        colours = kind_colours(wide.columns)
        kinds = kind_order(wide.columns)
        days = wide.index
        last = wide.iloc[-1]
        latest = ", ".join(f"{int(last[kind])} {kind}" for kind in kinds if last[kind])
        _titles(
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
            color=_TOTAL_COLOUR,
            linewidth=1.4,
            linestyle=(0, (4, 2)),
            label="open accounts (active + dormant)",
        )
        ax.set_ylim(0, max(1.0, float(open_accounts.max())) * (1.25 if marks else 1.08))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("accounts")
        _mark_consolidations(ax, marks, days.min().date(), days.max().date(), shade=False)
        _date_axis(ax)
        _legend_below(ax, fig)
        return _png(fig)


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
    title = _with_organisation(f"Followers living in {area}, by account", organisation)
    rows = locality.dropna(subset=["share_in_area"])
    kinds = kind_order(rows["kind"])
    height = max(3.6, 1.9 + 0.3 * len(rows) + 0.42 * len(kinds))
    with mpl.rc_context(_STYLE):
        fig, ax = _figure(height)
        _titles(
            fig,
            ax,
            title,
            "latest follower sample of each account; dot = share, bar = 95% interval",
        )
        if rows.empty:
            _no_data(ax, "no follower sample with a known location in marts.follower_locality")
            return _png(fig)
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
                share = float(row.share_in_area)
                low = share if pd.isna(row.ci_low) else float(row.ci_low)
                high = share if pd.isna(row.ci_high) else float(row.ci_high)
                ax.errorbar(
                    share * 100,
                    position,
                    xerr=[[max(share - low, 0) * 100], [max(high - share, 0) * 100]],
                    fmt="o",
                    color=colours[kind],
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
                ticks.append(position)
                labels.append(_short(str(row.label), 30))
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
        return _png(fig)


# -- accounts vs engagement across organisations --------------------------------------------


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
        stat = f"Spearman ρ = {_signed(rho)}, p {_p(p_value)}"
    data = organisations.dropna(subset=["active_accounts", "engagement_per_day"])
    note = f"{len(data)} organisation{'s' if len(data) != 1 else ''}"
    if period:
        note += f", {period}"
    with mpl.rc_context(_STYLE):
        fig, ax = _figure(5.2)
        _titles(fig, ax, f"Accounts vs engagement across organisations: {stat}", note)
        if data.empty:
            _no_data(ax, "no organisation in marts.accounts_vs_engagement")
            return _png(fig)
        x = data["active_accounts"].astype(float).to_numpy()
        y = data["engagement_per_day"].astype(float).to_numpy()
        names = data["organisation"].astype(str).to_numpy()
        is_highlight = names == highlight
        ax.scatter(
            x[~is_highlight],
            y[~is_highlight],
            s=60,
            color=_PALETTE[0],
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
                color=_EVENT_COLOUR,
                edgecolor="white",
                linewidth=0.8,
                zorder=4,
            )
        ax.set_xlim(0, max(x.max() * 1.2, 1.0))
        ax.set_ylim(0, max(y.max() * 1.2, 1.0))
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.set_xlabel("active accounts (mean per day over the period)")
        ax.set_ylabel("engagement per day\n(likes + replies + reposts + quotes)")
        _label_points(fig, ax, x, y, names, is_highlight, _labelled(x, y, names, highlight))
        return _png(fig)


# -- helpers --------------------------------------------------------------------------------


def _figure(height: float) -> tuple[Figure, object]:
    fig = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    return fig, ax


def _png(fig: Figure) -> bytes:
    """The figure as PNG bytes, without a timestamp or software tag (same input, same bytes)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _no_data(ax, message: str) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color=_MUTED)


def _titles(fig: Figure, ax, title: str, subtitle: str = "") -> None:
    """A bold title at the figure's left edge and a grey subtitle over the axes."""
    fig.suptitle(
        textwrap.fill(title, width=72), x=0.01, ha="left", fontsize=13.5, fontweight="bold"
    )
    if subtitle:
        ax.set_title(subtitle, loc="left", fontsize=10, fontweight="normal", color=_MUTED)


def _legend_below(ax, fig: Figure) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 5))


def _date_axis(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _daily_wide(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    """Days x kinds of ``value`` over every calendar day of the frame (missing days = 0)."""
    data = frame.assign(day=pd.to_datetime(frame["day"]), **{value: frame[value].astype(float)})
    wide = data.pivot_table(index="day", columns="kind", values=value, aggfunc="sum")
    full = pd.date_range(wide.index.min(), wide.index.max(), freq="D", name="day")
    return wide.reindex(full).fillna(0.0)


def _mark_consolidations(
    ax, marks: Sequence[ConsolidationMark], first: date, last: date, *, shade: bool = True
) -> None:
    """A red line per event labelled at the top, its windows shaded; the x axis reaches it.

    The caller leaves head room above the data (the labels sit in the top quarter).
    """
    left, right = first, last
    for mark in marks:
        for window in (mark.before, mark.after) if shade else ():
            if window is not None:
                left, right = min(left, window[0]), max(right, window[1])
        left, right = min(left, mark.event_date), max(right, mark.event_date)
    margin = max(timedelta(days=3), (right - left) * 0.02)
    left, right = left - margin, right + margin
    ax.set_xlim(_ts(left), _ts(right))
    span = (right - left).days or 1
    for mark in marks:
        if shade:
            for window, colour, name in (
                (mark.before, _BEFORE_COLOUR, "before"),
                (mark.after, _AFTER_COLOUR, "after"),
            ):
                if window is None:
                    continue
                start, end = window
                ax.axvspan(
                    _ts(start),
                    _ts(end + timedelta(days=1)),
                    color=colour,
                    alpha=0.5,
                    linewidth=0,
                    zorder=0,
                )
                days = (end - start).days + 1
                ax.annotate(
                    f"{name}\n{days} day{'s' if days != 1 else ''}",
                    xy=(_ts(start) + (_ts(end + timedelta(days=1)) - _ts(start)) / 2, 0.89),
                    xycoords=("data", "axes fraction"),
                    ha="center",
                    va="top",
                    fontsize=9,
                    color=_MUTED,
                    linespacing=1.1,
                )
        ax.axvline(_ts(mark.event_date), color=_EVENT_COLOUR, linewidth=1.8, zorder=4)
        text = f"{mark.label} {mark.event_date.day} {mark.event_date:%b %Y}"
        if mark.event_date > last:
            text += "\n(after the data shown)"
        on_left = (mark.event_date - left).days / span > 0.4
        ax.annotate(
            text,
            xy=(_ts(mark.event_date), 0.985),
            xycoords=("data", "axes fraction"),
            xytext=(-5 if on_left else 5, 0),
            textcoords="offset points",
            ha="right" if on_left else "left",
            va="top",
            fontsize=10,
            fontweight="bold",
            color=_EVENT_COLOUR,
            zorder=5,
        )


# Where a point's label may go, in points from the point: (dx, dy, ha, va), best first.
_LABEL_SPOTS = (
    (7, 3, "left", "bottom"),
    (7, -3, "left", "top"),
    (-7, 3, "right", "bottom"),
    (-7, -3, "right", "top"),
    (0, 8, "center", "bottom"),
    (0, -8, "center", "top"),
    (10, 14, "left", "bottom"),
    (10, -14, "left", "top"),
    (-10, 14, "right", "bottom"),
    (-10, -14, "right", "top"),
    (0, 22, "center", "bottom"),
    (0, -22, "center", "top"),
)


def _label_points(
    fig: Figure,
    ax,
    x: np.ndarray,
    y: np.ndarray,
    names: np.ndarray,
    is_highlight: np.ndarray,
    indices: list[int],
) -> None:
    """Label points, each at the spot around it that overlaps least with the labels placed
    so far, the other points and the axes' edges (the first free spot when there is one).

    The layout is fixed first (one draw) so that positions on screen are final; the
    highlighted point is labelled first, then from the top down.
    """
    fig.draw_without_rendering()
    fig.set_layout_engine("none")  # keep the axes where the constrained layout put them
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    points = ax.transData.transform(np.column_stack([x, y]))
    radius = 6 * fig.dpi / 72
    taken = [
        Bbox.from_extents(px - radius, py - radius, px + radius, py + radius) for px, py in points
    ]
    for i in sorted(indices, key=lambda i: (not is_highlight[i], -y[i])):
        others = [box for j, box in enumerate(taken) if j != i]
        best: tuple[float, tuple, Bbox] | None = None
        for spot in _LABEL_SPOTS:
            box = _label(ax, x[i], y[i], names[i], is_highlight[i], spot, renderer)
            cost = sum(_overlap(box, other) for other in others)
            cost += box.width * box.height - _overlap(box, frame)  # the part outside the axes
            if best is None or cost < best[0]:
                best = (cost, spot, box)
            if cost == 0:
                break
        _, (dx, dy, ha, va), box = best
        far = abs(dx) >= 10 or abs(dy) >= 14  # a leader line says which point it names
        ax.annotate(
            _short(names[i], 32),
            xy=(x[i], y[i]),
            xytext=(dx, dy),
            textcoords="offset points",
            ha=ha,
            va=va,
            fontsize=10,
            fontweight="bold" if is_highlight[i] else "normal",
            color=_EVENT_COLOUR if is_highlight[i] else "#333333",
            zorder=5,
            arrowprops=(
                {"arrowstyle": "-", "color": "#999999", "linewidth": 0.7, "shrinkB": 4}
                if far
                else None
            ),
        )
        taken.append(box)


def _label(ax, x: float, y: float, name: str, bold: bool, spot: tuple, renderer) -> Bbox:
    """The screen box a label at ``spot`` would take (drawn and removed)."""
    dx, dy, ha, va = spot
    label = ax.annotate(
        _short(name, 32),
        xy=(x, y),
        xytext=(dx, dy),
        textcoords="offset points",
        ha=ha,
        va=va,
        fontsize=10,
        fontweight="bold" if bold else "normal",
    )
    box = label.get_window_extent(renderer).padded(2)
    label.remove()
    return box


def _overlap(a: Bbox, b: Bbox) -> float:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(width, 0.0) * max(height, 0.0)


def _labelled(x: np.ndarray, y: np.ndarray, names: np.ndarray, highlight: str | None) -> list[int]:
    """Indices of the points to label: all up to 25, else the highlight and the extremes."""
    if len(names) <= 25:
        return list(range(len(names)))
    keep = {int(np.argmax(x)), int(np.argmin(x)), int(np.argmax(y)), int(np.argmin(y))}
    keep |= {i for i, name in enumerate(names) if name == highlight}
    return sorted(keep)


def _with_organisation(title: str, organisation: str) -> str:
    return f"{title} — {organisation}" if organisation else title


def _signed(value: float) -> str:
    return f"{value:+.2f}".replace("-", "−")


def _ts(day: date) -> pd.Timestamp:
    return pd.Timestamp(day)


def _thousands(value: float, _position: object = None) -> str:
    if abs(value) >= 10_000:
        return f"{value / 1000:,.0f}k"
    return f"{value:,.0f}"


def _p(value: float) -> str:
    """``p`` and this reads as a statement: "< 0.001" or "= 0.04"."""
    if value < 0.001:
        return "< 0.001"
    return f"= {value:.3f}" if value < 0.01 else f"= {value:.2f}"


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
