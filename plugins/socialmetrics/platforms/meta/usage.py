"""Graph's usage headers: how near a limit the App, Page or account is, and when access returns.

``X-App-Usage`` and ``X-Page-Usage`` give percentages of the limits used;
``X-Business-Use-Case-Usage`` (per Page or Instagram account) adds
``estimated_time_to_regain_access`` in minutes once a throttle is in force. The client waits
before the next call at 100 % and gives up on an account whose throttle outlasts the run's
allowed wait.
"""

from __future__ import annotations

import json
from typing import Any

RATE_LIMIT_HEADERS = ("X-Business-Use-Case-Usage", "X-Ad-Account-Usage")
USAGE_HEADERS = ("X-App-Usage", "X-Page-Usage")


def json_header(headers: Any, name: str) -> Any:
    raw = headers.get(name) if headers is not None else None
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def max_percent(usage: dict[str, Any]) -> float:
    values = [v for k, v in usage.items() if k != "estimated_time_to_regain_access"]
    return max((float(v) for v in values if isinstance(v, int | float)), default=0.0)


def regain_minutes(headers: Any) -> float:
    """The longest ``estimated_time_to_regain_access`` (minutes) in the usage headers."""
    longest = 0.0
    for name in RATE_LIMIT_HEADERS:
        usage = json_header(headers, name)
        entries: list[Any] = []
        if isinstance(usage, dict):
            for value in usage.values():
                entries += value if isinstance(value, list) else [value]
        for entry in entries:
            if isinstance(entry, dict):
                minutes = entry.get("estimated_time_to_regain_access")
                if isinstance(minutes, int | float) and not isinstance(minutes, bool):
                    longest = max(longest, float(minutes))
    return longest
