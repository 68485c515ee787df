"""Typing of values as received, shared by the platform parsers.

A value of the wrong type becomes null rather than being coerced, so that validation rejects
its row with a reason instead of loading a guess.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pandas as pd


def parse_json(body: Any) -> Any:
    """The decoded JSON of ``body``, or None when it is not JSON (a cut-off answer)."""
    try:
        return json.loads(body)
    except (TypeError, ValueError):
        return None


def count(value: Any) -> int | None:
    """A count as received, or None when it is not one (booleans and fractions are drift)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def counts(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    """Type ``columns`` of ``frame`` (object dtype, values as received) as nullable integers."""
    for column in columns:
        frame[column] = pd.array([count(v) for v in frame[column].tolist()], dtype="Int64")


def utc_timestamps(values: pd.Series) -> pd.Series:
    """ISO 8601 timestamps as naive UTC microseconds; unreadable ones become NaT."""
    parsed = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
    return parsed.dt.tz_convert(None).astype("datetime64[us]")
