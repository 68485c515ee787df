"""The parts the report's charts share: the style and palette, a figure and its PNG bytes,
titles, legends and date axes, the consolidation marks and the point labels.

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies), one fixed colour per account kind across all charts."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

DPI = 150
WIDTH_INCHES = 9.0

# Okabe-Ito, without black (kept for totals) and yellow (too pale on white).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999")
_KIND_ORDER = ("force", "district", "officer", "department")
TOTAL_COLOUR = "#222222"
EVENT_COLOUR = "#B2182B"
_BEFORE_COLOUR = "#9ecae1"
_AFTER_COLOUR = "#fdd0a2"
_MUTED = "#555555"
STYLE = {
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
    return {kind: PALETTE[i % len(PALETTE)] for i, kind in enumerate(ordered)}


def kind_order(kinds: Iterable[str]) -> list[str]:
    """Account kinds in report order: force, district, officer, department, then by name."""
    return list(kind_colours(kinds))


def figure(height: float) -> tuple[Figure, object]:
    fig = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    return fig, ax


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes, without a timestamp or software tag (same input, same bytes)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def no_data(ax, message: str) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color=_MUTED)


def titles(fig: Figure, ax, title: str, subtitle: str = "") -> None:
    """A bold title at the figure's left edge and a grey subtitle over the axes."""
    fig.suptitle(
        textwrap.fill(title, width=72), x=0.01, ha="left", fontsize=13.5, fontweight="bold"
    )
    if subtitle:
        ax.set_title(subtitle, loc="left", fontsize=10, fontweight="normal", color=_MUTED)


def legend_below(ax, fig: Figure) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 5))


def date_axis(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def daily_wide(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    """Days x kinds of ``value`` over every calendar day of the frame (missing days = 0)."""
    data = frame.assign(day=pd.to_datetime(frame["day"]), **{value: frame[value].astype(float)})
    wide = data.pivot_table(index="day", columns="kind", values=value, aggfunc="sum")
    full = pd.date_range(wide.index.min(), wide.index.max(), freq="D", name="day")
    return wide.reindex(full).fillna(0.0)


def mark_consolidations(
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
        ax.axvline(_ts(mark.event_date), color=EVENT_COLOUR, linewidth=1.8, zorder=4)
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
            color=EVENT_COLOUR,
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


def label_points(
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
            shortened(names[i], 32),
            xy=(x[i], y[i]),
            xytext=(dx, dy),
            textcoords="offset points",
            ha=ha,
            va=va,
            fontsize=10,
            fontweight="bold" if is_highlight[i] else "normal",
            color=EVENT_COLOUR if is_highlight[i] else "#333333",
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
        shortened(name, 32),
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


def labelled(x: np.ndarray, y: np.ndarray, names: np.ndarray, highlight: str | None) -> list[int]:
    """Indices of the points to label: all up to 25, else the highlight and the extremes."""
    if len(names) <= 25:
        return list(range(len(names)))
    keep = {int(np.argmax(x)), int(np.argmin(x)), int(np.argmax(y)), int(np.argmin(y))}
    keep |= {i for i, name in enumerate(names) if name == highlight}
    return sorted(keep)


def with_organisation(title: str, organisation: str) -> str:
    return f"{title} — {organisation}" if organisation else title


def signed_rho(value: float) -> str:
    return f"{value:+.2f}".replace("-", "−")


def _ts(day: date) -> pd.Timestamp:
    return pd.Timestamp(day)


def thousands(value: float, _position: object = None) -> str:
    if abs(value) >= 10_000:
        return f"{value / 1000:,.0f}k"
    return f"{value:,.0f}"


def p_phrase(value: float) -> str:
    """``p`` and this reads as a statement: "< 0.001" or "= 0.04"."""
    if value < 0.001:
        return "< 0.001"
    return f"= {value:.3f}" if value < 0.01 else f"= {value:.2f}"


def shortened(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
