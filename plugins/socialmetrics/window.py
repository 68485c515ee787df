"""The slice of time one pipeline run covers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

# The first day any platform the pipeline reads has data for: X opened on 2006-03-21.
FIRST_DAY = date(2006, 3, 21)


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


@dataclass(frozen=True)
class RunWindow:
    """A run's id and data interval [start, end) in UTC; ``day`` is the day it reports on.

    ``day`` is the last day inside the interval, so a daily run for 2026-03-31 (interval
    2026-03-31T00:00 to 2026-04-01T00:00) reports on 2026-03-31, and a run over a longer
    interval reports on its last day.
    """

    run_id: str
    start: datetime
    end: datetime

    @classmethod
    def of(cls, run_id: str, start: datetime, end: datetime) -> RunWindow:
        return cls(run_id, _naive_utc(start), _naive_utc(end))

    @property
    def day(self) -> date:
        if self.end.time() == datetime.min.time() and self.end.date() > self.start.date():
            return date.fromordinal(self.end.date().toordinal() - 1)
        return self.end.date()

    def to_dict(self) -> dict[str, str]:
        return {"run_id": self.run_id, "start": self.start.isoformat(), "end": self.end.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> RunWindow:
        return cls.of(
            data["run_id"],
            datetime.fromisoformat(data["start"]),
            datetime.fromisoformat(data["end"]),
        )
