"""A sandbox world: a :class:`Scenario` of organisations, accounts and a gazetteer, and the
lookups and generated data the sandbox's APIs answer from."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from sandbox.scenario.accounts import (
    FOLLOWER_GROWTH_PER_YEAR,
    PLATFORMS,
    CityBreakdown,
    ScenarioAccount,
    ScenarioFollower,
    ScenarioOrganisation,
    ScenarioPost,
    midnight,
)
from sandbox.scenario.generator import WorldGenerator, post_id_datetime

# -- the scenario ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """Organisations, accounts and gazetteer of one sandbox world, plus its generators.

    ``start_date`` is when generated history begins, ``end_date`` is the sandbox's "now"
    (no post after it). Methods that take an account accept a :class:`ScenarioAccount` of
    this scenario or its username (case-insensitive).
    """

    seed: int
    name: str
    start_date: date
    review_date: date
    consolidation_date: date
    end_date: date
    organisations: tuple[ScenarioOrganisation, ...]
    accounts: tuple[ScenarioAccount, ...]
    gazetteer: Mapping[str, tuple[str, ...]]
    extra_organisations: int = 0
    posts_per_day: float = 2.0
    _engine: WorldGenerator = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for position, account in enumerate(self.accounts):
            if account.index != position:
                raise ValueError(f"account {account.username} has index {account.index}")
            if account.platform not in PLATFORMS:
                raise ValueError(f"account {account.username} has platform {account.platform!r}")
        x_accounts = [a for a in self.accounts if a.platform == "x"]
        by_name = {a.username.lower(): a for a in x_accounts}
        by_name |= {a.former_username.lower(): a for a in x_accounts if a.former_username}
        by_id = {a.user_id: a for a in x_accounts}
        graph = {a.user_id: a for a in self.accounts if a.is_graph}
        handles = len(x_accounts) + sum(1 for a in x_accounts if a.former_username)
        if len(by_name) != handles or len(by_id) + len(graph) != len(self.accounts):
            raise ValueError("X usernames and all user/page ids must be unique in a scenario")
        object.__setattr__(self, "_engine", WorldGenerator(self, by_name, by_id, graph))

    # -- lookups ---------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The sandbox's clock: the end of ``end_date`` (exclusive), UTC."""
        return midnight(self.end_date + timedelta(days=1))

    def account(self, ref: str | ScenarioAccount) -> ScenarioAccount:
        """The account with this X username (case-insensitive) or Graph page/user id;
        KeyError if there is none."""
        if isinstance(ref, ScenarioAccount):
            mine = self.accounts[ref.index] if 0 <= ref.index < len(self.accounts) else None
            if mine is not ref and mine != ref:
                raise KeyError(f"{ref.username} is not an account of this scenario")
            return ref
        found = self._engine.by_name.get(ref.lower()) or self._engine.graph.get(ref)
        if found is None:
            raise KeyError(ref)
        return found

    def find_account(self, username: str, at: datetime | None = None) -> ScenarioAccount | None:
        """The X account with this username (case-insensitive) at ``at`` (default: now),
        or ``None``: a renamed account answers to its old handle only before the rename."""
        account = self._engine.by_name.get(username.lower())
        if account is None:
            return None
        if account.username_at(at or self.now).lower() != username.lower():
            return None
        return account

    def account_by_id(self, user_id: str) -> ScenarioAccount | None:
        """The X account with this X user id, or ``None``."""
        return self._engine.by_id.get(user_id)

    def graph_account(self, node_id: str) -> ScenarioAccount | None:
        """The Facebook page or Instagram account with this Graph id, or ``None``."""
        return self._engine.graph.get(node_id)

    def accounts_on(self, platform: str) -> list[ScenarioAccount]:
        """The accounts of one platform, in scenario order."""
        return [a for a in self.accounts if a.platform == platform]

    def accounts_of(self, organisation: str, kind: str | None = None) -> list[ScenarioAccount]:
        """The accounts of an organisation, optionally of one kind, in scenario order."""
        return [
            a
            for a in self.accounts
            if a.organisation == organisation and (kind is None or a.kind == kind)
        ]

    # -- posts -----------------------------------------------------------------------

    def daily_post_counts(self, account: str | ScenarioAccount) -> np.ndarray:
        """Posts per day of the account (read-only int16 array; index 0 is ``start_date``)."""
        return self._engine.counts(self.account(account).index)

    def posts_on(self, account: str | ScenarioAccount, day: date) -> tuple[ScenarioPost, ...]:
        """The account's posts on ``day``, oldest first (empty outside the history)."""
        offset = (day - self.start_date).days
        if offset < 0 or day > self.end_date:
            return ()
        return self._engine.day_posts(self.account(account).index, offset)

    def iter_posts(
        self,
        account: str | ScenarioAccount,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        min_id: int = 0,
        max_id: int | None = None,
        newest_first: bool = True,
    ) -> Iterator[ScenarioPost]:
        """Posts with ``start <= created_at < end`` and ``min_id <= id <= max_id``.

        Ordered newest first (reverse chronological, as the X timeline) unless
        ``newest_first`` is false. Times must be timezone-aware. Generation is lazy: only
        days with posts inside the bounds are generated.
        """
        acct = self.account(account)
        counts = self._engine.counts(acct.index)
        lo, hi = 0, len(counts) - 1
        if start is not None:
            lo = max(lo, (start.astimezone(UTC).date() - self.start_date).days)
        if end is not None:
            last = (end - timedelta(microseconds=1)).astimezone(UTC).date()
            hi = min(hi, (last - self.start_date).days)
        if min_id > 0:
            lo = max(lo, (post_id_datetime(min_id).date() - self.start_date).days)
        if max_id is not None:
            if max_id <= 0:
                return
            hi = min(hi, (post_id_datetime(max_id).date() - self.start_date).days)
        if lo > hi:
            return
        days = np.flatnonzero(counts[lo : hi + 1]) + lo
        if newest_first:
            days = days[::-1]
        for offset in days.tolist():
            posts = self._engine.day_posts(acct.index, offset)
            for post in reversed(posts) if newest_first else posts:
                if start is not None and post.created_at < start:
                    continue
                if end is not None and post.created_at >= end:
                    continue
                if post.id < min_id or (max_id is not None and post.id > max_id):
                    continue
                yield post

    def post_count(self, account: str | ScenarioAccount, until: date | None = None) -> int:
        """Number of posts of the account up to and including ``until`` (default: all)."""
        counts = self.daily_post_counts(account)
        if until is None:
            return int(counts.sum())
        offset = (until - self.start_date).days
        return 0 if offset < 0 else int(counts[: offset + 1].sum())

    def last_post_on_or_before(self, account: str | ScenarioAccount, day: date) -> date | None:
        """Day of the account's last post on or before ``day``; ``None`` if none."""
        counts = self.daily_post_counts(account)
        offset = min((day - self.start_date).days, len(counts) - 1)
        if offset < 0:
            return None
        days = np.flatnonzero(counts[: offset + 1])
        if not len(days):
            return None
        return self.start_date + timedelta(days=int(days[-1]))

    def reachable_floor_id(self, account: str | ScenarioAccount) -> int:
        """Id of the oldest post the timeline serves (the 3,200th most recent); 0 if all are."""
        return self._engine.floor_id(self.account(account).index)

    def daily_engagement(
        self, organisation: str, first: date, last: date, kind: str | None = None
    ) -> dict[date, int]:
        """Ground truth: total engagement per publish day of an organisation's posts.

        Covers ``first``..``last`` inclusive (days without posts are 0), optionally one
        account kind only. Meant for tests of the consolidation analysis.
        """
        totals = {first + timedelta(days=i): 0 for i in range((last - first).days + 1)}
        for account in self.accounts_of(organisation, kind):
            for post in self.iter_posts(
                account, start=midnight(first), end=midnight(last + timedelta(days=1))
            ):
                totals[post.created_at.date()] += post.engagement
        return totals

    # -- followers -------------------------------------------------------------------

    def followers_at(self, account: str | ScenarioAccount, moment: datetime) -> int:
        """The account's followers at ``moment``: ``followers_count`` from the scenario's
        end on, fewer before (FOLLOWER_GROWTH_PER_YEAR, with a small day-to-day wobble)."""
        acct = self.account(account)
        years = (self.now - moment).total_seconds() / (365.25 * 86400)
        if years <= 0:
            return acct.followers_count
        wobble = 1.0 + 0.002 * math.sin(moment.date().toordinal() * 1.7 + acct.index)
        grown = (1.0 + FOLLOWER_GROWTH_PER_YEAR) ** years
        return max(1, min(acct.followers_count, round(acct.followers_count * wobble / grown)))

    def follower(self, account: str | ScenarioAccount, index: int) -> ScenarioFollower:
        """Follower number ``index`` of the account (0 = newest); IndexError past the end."""
        acct = self.account(account)
        if not 0 <= index < acct.followers_count:
            raise IndexError(f"{acct.username} has {acct.followers_count} followers")
        return self._engine.follower(acct.index, index)

    def followers(
        self, account: str | ScenarioAccount, offset: int = 0, limit: int = 1000
    ) -> list[ScenarioFollower]:
        """Followers ``offset`` .. ``offset + limit - 1`` (newest first), fewer at the end."""
        return self._engine.followers(self.account(account).index, offset, limit)

    # -- Graph API data (Facebook pages, Instagram accounts) ----------------------------

    def city_breakdown(self, account: str | ScenarioAccount) -> CityBreakdown:
        """The Graph account's followers by city: the top 45 cities and the planted counts.

        The same on every day (like ``followers_count``). ValueError for an X account or a
        Graph account without a breakdown.
        """
        return self._engine.breakdown(self.account(account).index)

    def page_metrics(self, account: str | ScenarioAccount) -> Mapping[str, np.ndarray]:
        """Daily Page Insights series of a Facebook page (index 0 is ``start_date``).

        Keys: ``follows`` (new follows that day), ``unfollows``, ``total_follows`` (followers
        at the end of the day; the last day equals ``followers_count``), ``engagements``
        (engagement on the page's posts during the day), ``views`` and ``unique_views``.
        Read-only int64 arrays.
        """
        acct = self.account(account)
        if acct.platform != "facebook":
            raise ValueError(f"{acct.username} is not a Facebook page")
        return self._engine.page_metrics(acct.index)

    def audience(self, account: str | ScenarioAccount, breakdown: str) -> list[tuple[str, int]]:
        """An Instagram account's follower demographics by ``city``, ``country``, ``age`` or
        ``gender``: (key, followers) pairs, most followers first (cities: top 45 only)."""
        acct = self.account(account)
        if breakdown == "city":
            return list(self.city_breakdown(acct).cities)
        return self._engine.audience(acct.index, breakdown)

    # -- registry --------------------------------------------------------------------

    def write_registry(self, folder: str | Path) -> list[Path]:
        """Write the registry CSVs (README "Registry files") of this scenario into ``folder``.

        Files: accounts.csv, consolidations.csv, gazetteer.csv, organisations.csv; UTF-8,
        header row, ISO dates, ``\\n`` line ends, empty cells for missing values. The
        output depends only on the scenario, so it can be compared byte for byte. Returns
        the paths written.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tables: dict[str, tuple[tuple[str, ...], list[tuple[object, ...]]]] = {
            "accounts.csv": (
                (
                    "organisation",
                    "platform",
                    "account_ref",
                    "display_name",
                    "kind",
                    "area",
                    "owner_email",
                    "opened_on",
                    "closed_on",
                    "successor_ref",
                ),
                [
                    (
                        a.organisation,
                        a.platform,
                        a.account_ref,
                        a.display_name,
                        a.kind,
                        a.area,
                        a.owner_email,
                        a.opened_on,
                        a.closed_on,
                        a.successor_ref,
                    )
                    for a in self.accounts
                ],
            ),
            "consolidations.csv": (
                ("organisation", "event_date", "description"),
                [
                    (o.name, o.consolidation_date, o.consolidation_description)
                    for o in self.organisations
                    if o.consolidation_date is not None
                ],
            ),
            "gazetteer.csv": (
                ("area", "place"),
                [(area, place) for area, places in self.gazetteer.items() for place in places],
            ),
            "organisations.csv": (
                ("organisation", "comms_email"),
                [(o.name, o.comms_email) for o in self.organisations],
            ),
        }
        written = []
        for name, (header, rows) in tables.items():
            path = folder / name
            with path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(header)
                for row in rows:
                    writer.writerow(["" if value is None else str(value) for value in row])
            written.append(path)
        return written
