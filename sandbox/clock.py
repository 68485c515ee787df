"""The sandbox world's clock: what "now" is for the platforms it plays.

Real platforms answer as of the moment they are asked: today's follower count, the likes a
post has so far, no post from the future. The sandbox does the same for the moment its clock
shows, and stamps that moment on every answer (the HTTP ``Date`` header), which is what the
pipeline dates its snapshots by. Whoever drives the world sets the clock: the demo and the
tests move it to the moment a scheduled run would happen (``SandboxClock.run_of``), so a day
of the scenario's past is extracted as it would have been on that day.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

SCHEDULE_DELAY = timedelta(minutes=5)  # a daily run starts a few minutes after midnight UTC


class SandboxClock:
    """A settable, thread-safe "now" (timezone-aware, UTC)."""

    def __init__(self, moment: datetime) -> None:
        self._lock = threading.Lock()
        self._moment = _aware(moment)

    def now(self) -> datetime:
        """The moment the sandbox answers as of."""
        with self._lock:
            return self._moment

    def set(self, moment: datetime) -> None:
        """Move the clock to ``moment`` (naive means UTC)."""
        with self._lock:
            self._moment = _aware(moment)

    def run_of(self, day: date) -> datetime:
        """Move the clock to when the scheduled daily run for ``day`` happens: just after the
        day ends. Returns the new moment."""
        moment = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=UTC)
        self.set(moment + SCHEDULE_DELAY)
        return self.now()


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
