"""How the report writes numbers, dates, intervals and p-values, and embeds images."""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Any

import pandas as pd

NOT_AVAILABLE = "not available"


def count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def threshold_text(days: list[int]) -> str:
    if not days:
        return "30 days"
    if len(days) == 1:
        return f"{days[0]} days"
    return f"{days[0]}–{days[-1]} days (by kind)"


def clean(record: dict) -> dict:
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


def as_date(value: Any) -> date | None:
    if value is None or (not isinstance(value, date) and pd.isna(value)):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()


def long_date(value: date | None) -> str:
    return "–" if value is None else f"{value.day} {value:%B %Y}"


def span(start: Any, end: Any) -> str:
    start, end = as_date(start), as_date(end)
    if start is None or end is None:
        return "no days"
    return f"{long_date(start)} – {long_date(end)} ({(end - start).days + 1} days)"


def number(value: Any) -> str:
    if value is None:
        return "–"
    value = float(value)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def percent(value: Any) -> str:
    return "–" if value is None else f"{float(value):+.0%}".replace("-", "−")


def signed(value: float) -> str:
    return f"{value:+.2f}".replace("-", "−")


def interval(low: Any, high: Any) -> str:
    if low is None or high is None:
        return "–"
    return f"{percent(low)} to {percent(high)}"


def p_text(value: Any, *, prefix: bool = False) -> str:
    if value is None:
        return "–"
    value = float(value)
    if value < 0.001:
        return "< 0.001"
    text = f"{value:.3f}" if value < 0.01 else f"{value:.2f}"
    return f"= {text}" if prefix else text


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
