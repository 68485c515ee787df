"""What a platform provides to the pipeline: the connector interface.

Each platform is one package under ``platforms/`` (its client, its extract, its parser) with
one :class:`Connector` object, registered in ``platforms/__init__.py``. The DAG's steps, the
plan, the registry check and the alerts call connectors and never branch on a platform's
name (docs/how-to/add-a-platform.md).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from socialmetrics.payloads import Batch, ExtractSummary
    from socialmetrics.plan import PlanState
    from socialmetrics.registry import Registry
    from socialmetrics.rows import Parsed
    from socialmetrics.settings import Settings
    from socialmetrics.window import RunWindow


class ConnectionUnusable(Exception):
    """The platform refuses the connection as a whole (a bad token, a spent budget): no
    account can be read, so the run fails at once with this message. Never retried."""


class Connector(ABC):
    """One platform (or one family of platforms served by one API) as the pipeline sees it.

    ``name`` is the connector's key in batches and ops tables; ``platforms`` maps each
    registry ``platform`` value it reads to how people name it (``{"x": "X"}``);
    ``connection_id`` is the Airflow connection it needs (None: none); ``source`` is the
    registry ``source`` of the accounts it reads (``api`` or ``export``) and how validation
    treats its rows.
    """

    name: ClassVar[str]
    platforms: ClassVar[dict[str, str]]
    connection_id: ClassVar[str | None] = None
    source: ClassVar[str] = "api"

    @abstractmethod
    def plan(
        self, registry: Registry, state: PlanState, window: RunWindow, settings: Settings
    ) -> list[Batch]:
        """The run's batches of this connector (a fixed number, some may be empty)."""

    @abstractmethod
    def extract(
        self, batch: Batch, window: RunWindow, settings: Settings, landing_path: Path
    ) -> ExtractSummary:
        """Read the batch's accounts and land every answer, as received, in
        ``landing_path``. One account the platform will not show is noted in the summary and
        the others go on; raise :class:`ConnectionUnusable` when no account can be read."""

    @abstractmethod
    def parse(self, records: Iterable[dict], window: RunWindow, summary: ExtractSummary) -> Parsed:
        """Turn the batch's landed answers into rows of the entities (socialmetrics.rows)."""

    def account_ref_problem(self, platform: str, ref: str) -> str | None:
        """Why ``ref`` cannot be an account of ``platform`` in the registry (what to
        write instead), or None when it can."""
        return None

    def account_label(self, platform: str, ref: str) -> str | None:
        """How people write the account's name when it has a handle (``@NorfolkPolice``);
        None: by its display name and platform."""
        return None

    def profile_url(self, platform: str, ref: str) -> str | None:
        """The public address of an account, where the platform has one for its ref."""
        return None
