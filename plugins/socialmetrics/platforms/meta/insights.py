"""Insights answers: what a page's insights call returns, the windows of at most
INSIGHTS_MAX_DAYS days it is asked in, and the city breakdown of an Instagram account's
followers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, NamedTuple

__all__ = ["INSIGHTS_MAX_DAYS", "Insights", "city_breakdown", "day_windows"]


INSIGHTS_MAX_DAYS = 90  # days between since and until in one insights call


class Insights(NamedTuple):
    """Result of :meth:`MetaGraphClient.page_insights`: unpacks as ``values, unavailable``.

    ``values`` maps each metric that answered to its ``values`` entries (``{"value",
    "end_time"}``) over all the windows, oldest first; ``unavailable`` lists the metrics the
    API refused with error #100 (retired or unknown), in the order asked.
    """

    values: dict[str, list[dict[str, Any]]]
    unavailable: list[str]


def day_windows(first: date, stop: date, size: int) -> list[tuple[date, date]]:
    """[first, stop) cut into consecutive windows of at most ``size`` days."""
    windows = []
    while first < stop:
        end = min(stop, first + timedelta(days=size))
        windows.append((first, end))
        first = end
    return windows


def city_breakdown(payload: dict[str, Any]) -> dict[str, int] | None:
    data = payload.get("data")
    if not isinstance(data, list) or not data or not isinstance(data[0], dict):
        return None
    breakdowns = (data[0].get("total_value") or {}).get("breakdowns")
    if not isinstance(breakdowns, list) or not breakdowns or not isinstance(breakdowns[0], dict):
        return None
    results = breakdowns[0].get("results")
    if not isinstance(results, list):
        return None
    cities: dict[str, int] = {}
    for result in results:
        if not isinstance(result, dict):
            continue
        keys = result.get("dimension_values")
        value = result.get("value")
        if isinstance(keys, list) and keys and isinstance(value, int):
            cities[str(keys[0])] = value
    return cities
