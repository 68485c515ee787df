"""Fixtures shared by the connector tests (``test_x_api``, ``test_meta_graph``).

Each test module defines its own ``sandbox`` fixture (its token and faults differ);
``_fresh_sandbox`` here clears that server's faults and rate limit around every test.
"""

from __future__ import annotations

import pytest

from sandbox.scenario import default_scenario
from socialmetrics.connectors.http import ResponseRecord


@pytest.fixture(scope="module")
def scenario():
    return default_scenario()


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
