"""One record of a CSV export and the readers of its cells: counts, days, times, ids.

A reader returns the typed value, or None. A cell it cannot read adds a sentence to the
row's ``problems`` naming the column, the cell and what was expected, so that the row is
quarantined with it rather than nulled. An empty cell and Meta's ``N/A`` are read as
unknown (None) without a problem, unless the column is required. Dates and times are read
with pandas and an explicit format per layout, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

# What the exports write for a value they do not have.
UNKNOWN_CELLS = ("", "n/a")
# A whole number, with or without thousands separators: 15000, 15,000.
_COUNT = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)$")
_DIGITS = re.compile(r"^\d+$")


def header_key(name: str) -> str:
    """How a header name is matched: case, surrounding spaces and a BOM ignored."""
    return name.replace("\ufeff", "").strip().lower()


@dataclass
class Row:
    """One record of an export: its cells by header key, where it starts, what failed."""

    file: str
    line: int
    cells: dict[str, str]
    problems: list[str] = field(default_factory=list)

    def text(self, column: str) -> str:
        """The cell of ``column`` (as the platform writes the header), stripped; '' if absent."""
        return (self.cells.get(header_key(column)) or "").strip()

    def is_unknown(self, column: str) -> bool:
        return self.text(column).lower() in UNKNOWN_CELLS

    def _problem(self, column: str, expected: str) -> None:
        self.problems.append(f"{column} {self.text(column)!r} is not {expected}")

    def _missing(self, column: str) -> None:
        cell = self.text(column)
        self.problems.append(
            f"{column} is {'empty' if not cell else repr(cell)}, and a value is required"
        )

    def count(self, column: str, *, required: bool = False) -> int | None:
        """A whole number (``15,000`` is 15000); None when the export does not say."""
        if self.is_unknown(column):
            if required:
                self._missing(column)
            return None
        cell = self.text(column)
        if not _COUNT.match(cell):
            self._problem(column, "a whole number")
            return None
        return int(cell.replace(",", ""))

    def digits(self, column: str) -> str | None:
        """An id made of digits (required)."""
        cell = self.text(column)
        if not _DIGITS.match(cell):
            if self.is_unknown(column):
                self._missing(column)
            else:
                self._problem(column, "an id made of digits")
            return None
        return cell

    def day(self, column: str, fmt: str, example: str) -> date | None:
        """A calendar day written as ``fmt`` (required)."""
        moment = self._parse(column, fmt, example)
        return None if moment is None else moment.date()

    def utc_moment(self, column: str, fmt: str, example: str) -> pd.Timestamp | None:
        """A time with its UTC offset written as ``fmt`` (required), as naive UTC."""
        moment = self._parse(column, fmt, example)
        if moment is None:
            return None
        if moment.tzinfo is None:
            self._problem(column, f"a time with its UTC offset, like {example!r}")
            return None
        return moment.tz_convert("UTC").tz_localize(None)

    def local_moment(
        self, column: str, fmt: str, example: str, timezone: str
    ) -> pd.Timestamp | None:
        """A local time of ``timezone`` written as ``fmt`` (required), as naive UTC.

        The hour that repeats when clocks go back is read as its first occurrence (summer
        time); a time in the hour skipped in spring cannot be written by a clock and is
        moved forward to the first valid time.
        """
        moment = self._parse(column, fmt, example)
        if moment is None:
            return None
        local = moment.tz_localize(timezone, ambiguous=True, nonexistent="shift_forward")
        return local.tz_convert("UTC").tz_localize(None)

    def iso_moment(self, column: str) -> pd.Timestamp | None:
        """An ISO 8601 timestamp (required), UTC when it has no offset, as naive UTC."""
        if self.is_unknown(column):
            self._missing(column)
            return None
        moment = pd.to_datetime(self.text(column), utc=True, errors="coerce", format="ISO8601")
        if pd.isna(moment):
            self._problem(column, "an ISO 8601 timestamp like '2026-03-31T07:30:00Z'")
            return None
        return moment.tz_convert(None)

    def _parse(self, column: str, fmt: str, example: str) -> pd.Timestamp | None:
        if self.is_unknown(column):
            self._missing(column)
            return None
        moment = pd.to_datetime(self.text(column), format=fmt, errors="coerce")
        if pd.isna(moment):
            self._problem(column, f"a date written like {example!r}")
            return None
        return moment
