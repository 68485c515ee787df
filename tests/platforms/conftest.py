"""Fixtures shared by the platform tests.

The client tests define their own ``sandbox`` fixture (their token and faults differ);
``_fresh_sandbox`` here clears whichever server a test uses of faults and rate limit.
"""

from __future__ import annotations

import pytest

from socialmetrics.platforms.answers import ResponseRecord


@pytest.fixture(autouse=True)
def _fresh_sandbox(sandbox):
    sandbox.faults.clear()
    sandbox.rate_limiter.reset()
    yield
    sandbox.faults.clear()


class Recorder:
    """Collects what the client hands over: landed records and requested sleeps."""

    def __init__(self) -> None:
        self.records: list[ResponseRecord] = []
        self.sleeps: list[float] = []

    def land(self, record: ResponseRecord) -> None:
        self.records.append(record)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    @property
    def statuses(self) -> list[int]:
        return [r.status for r in self.records]


@pytest.fixture
def rec():
    return Recorder()
