"""Deterministic scenarios served by the platform sandbox (SPEC §5.4).

A :class:`Scenario` describes organisations, their accounts (X accounts, Facebook pages and
Instagram professional accounts) and the area gazetteer. Posts, followers and Graph API
insights are not stored: they are generated on demand, per (account, day) and per
(account, follower index), from the scenario's seed, so a national-scale scenario costs
nothing until a request touches it, and the same seed always gives the same data.

Randomness is always drawn from ``random.Random(f"{seed}:...")`` or a numpy generator seeded
from a hash of the seed and the account: never the global RNG, never the wall clock.

:func:`default_scenario` reproduces the Norfolk Constabulary review of SPEC §1;
:func:`national_scenario` generates many synthetic organisations for benchmarks and for the
national findings.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import itertools
import math
import random
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np

__all__ = [
    "BREAKDOWN_CITIES",
    "MAX_POSTS_PER_DAY",
    "PLATFORMS",
    "REACHABLE_POSTS",
    "SAMPLE_CHUNK",
    "CityBreakdown",
    "Scenario",
    "ScenarioAccount",
    "ScenarioFollower",
    "ScenarioOrganisation",
    "ScenarioPost",
    "POST_KINDS",
    "default_scenario",
    "national_scenario",
    "planted_consolidation_effects",
    "post_id_datetime",
]

TWITTER_EPOCH_MS = 1288834974657
REACHABLE_POSTS = 3200  # X serves only the most recent 3,200 posts of a user
MAX_POSTS_PER_DAY = 63  # post ids keep 6 bits for the post's number within its day
SAMPLE_CHUNK = 1000  # follower classes are exact within each run of 1,000 followers
PLATFORMS = ("x", "facebook", "instagram")
BREAKDOWN_CITIES = 45  # Graph city breakdowns list the top 45 cities only
KNOWN_BLOCK = 25  # in-area counts are exact per 25 followers with a known location

DEFAULT_START = date(2024, 1, 1)
DEFAULT_REVIEW = date(2026, 3, 31)
DEFAULT_CONSOLIDATION = date(2026, 5, 1)
DEFAULT_END = date(2026, 10, 31)
FOLLOWER_GROWTH_PER_YEAR = 0.08
CONSOLIDATION_EFFECT = 1.25  # planted change in an organisation's total engagement per day
IMPACT_WINDOW_DAYS = 90  # window (SPEC §7.4 default) over which the effect is planted


# -- data classes -------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioOrganisation:
    """An organisation: its name, the area it serves and its consolidation, if any."""

    name: str
    area: str
    comms_email: str | None
    consolidation_date: date | None = None
    consolidation_description: str = ""


@dataclass(frozen=True)
class ScenarioAccount:
    """One account of a scenario and the parameters its posts and followers come from.

    ``platform`` is ``x``, ``facebook`` or ``instagram``. For X, ``username`` is the handle
    and ``user_id`` the numeric X user id. For a Facebook page, ``user_id`` is the page id
    and ``username`` its vanity name; for an Instagram professional account, ``user_id`` is
    the Instagram user id and ``username`` its handle. The registry's ``account_ref`` is the
    username on X and the numeric id on the Graph platforms.

    ``last_post_date`` is the day of the account's last post ever (``None``: it never
    posted); the generator guarantees a post on that day and none after it. Posting starts
    at ``max(opened_on, scenario.start_date)`` at ``posts_per_day`` (Poisson per day); from
    ``change_date`` on, ``posts_per_day_after`` and ``engagement_per_post_after`` apply when
    set. ``in_area_share`` is the share of followers with a known location that live in the
    area; ``unknown_share`` the share of followers without a usable location.
    """

    organisation: str
    platform: str
    username: str
    user_id: str
    display_name: str
    kind: str
    area: str
    owner_email: str
    opened_on: date
    closed_on: date | None
    successor_ref: str | None
    followers_count: int
    last_post_date: date | None
    in_area_share: float
    posts_per_day: float
    engagement_per_post: float
    posts_per_day_after: float | None = None
    engagement_per_post_after: float | None = None
    change_date: date | None = None
    unknown_share: float = 0.10
    following_count: int = 0
    listed_count: int = 0
    like_count: int = 0
    location: str = ""
    description: str = ""
    verified: bool = False
    index: int = 0  # position in Scenario.accounts; part of every post id
    # Graph accounts: followers listed in the top-45 city breakdown (0: no breakdown); of
    # these, exactly round(breakdown_known * in_area_share) live in the area.
    breakdown_known: int = 0
    # What the platform says of the account: "active", "protected" (X answers its
    # timeline and followers with errors only) or "suspended" (left out of lookups).
    status: str = "active"
    # X only: the handle the account had until ``renamed_on`` (``username`` from then on).
    former_username: str | None = None
    renamed_on: date | None = None
    # Shares of the account's posts that are originals, replies, quotes and reposts (X);
    # the accounts of the published review post originals only.
    post_mix: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)

    @property
    def account_ref(self) -> str:
        """The registry's ``account_ref``: the X username without @ (the one the account had
        when it was registered, before any rename), or the Graph id."""
        if self.platform != "x":
            return self.user_id
        return self.former_username or self.username

    def username_at(self, moment: datetime) -> str:
        """The handle the account has at ``moment`` (a renamed account changes it)."""
        if self.renamed_on is not None and moment < _midnight(self.renamed_on):
            return self.former_username or self.username
        return self.username

    @property
    def is_graph(self) -> bool:
        """True for a Facebook page or an Instagram account (served by the Graph API)."""
        return self.platform in ("facebook", "instagram")

    def rate_on(self, day: date) -> tuple[float, float]:
        """Expected (posts, engagement per post) on ``day``, ignoring opening and last post."""
        if self.change_date is not None and day >= self.change_date:
            return (
                self.posts_per_day
                if self.posts_per_day_after is None
                else self.posts_per_day_after,
                self.engagement_per_post
                if self.engagement_per_post_after is None
                else self.engagement_per_post_after,
            )
        return self.posts_per_day, self.engagement_per_post


@dataclass(frozen=True, slots=True)
class ScenarioPost:
    """One generated post. ``impression_count`` is ``None`` where X would omit it.

    On Facebook, ``like_count`` is the reactions, ``reply_count`` the comments and
    ``retweet_count`` the shares (quotes and bookmarks are 0); on Instagram, likes and
    comments only.
    """

    id: int
    user_id: str
    created_at: datetime
    text: str
    like_count: int
    reply_count: int
    retweet_count: int
    quote_count: int
    bookmark_count: int
    impression_count: int | None
    # "original", "reply", "quote" or "repost"; a reply, quote or repost names the post it
    # refers to. A repost's counts are the original post's (X returns those on it); its own
    # engagement is none.
    kind: str = "original"
    referenced_id: int | None = None

    @property
    def engagement(self) -> int:
        """Likes + replies + reposts + quotes the account earned with it (a repost: 0)."""
        if self.kind == "repost":
            return 0
        return self.like_count + self.reply_count + self.retweet_count + self.quote_count

    def public_metrics(self, at: datetime | None = None) -> dict[str, int]:
        """The post's ``public_metrics`` object as X returns it at ``at`` (default: once
        they have settled): counts grow over the first days after posting."""
        share = 1.0 if at is None else settled_share(at - self.created_at)
        metrics = {
            "retweet_count": round(self.retweet_count * share),
            "reply_count": round(self.reply_count * share),
            "like_count": round(self.like_count * share),
            "quote_count": round(self.quote_count * share),
            "bookmark_count": round(self.bookmark_count * share),
        }
        if self.impression_count is not None:
            metrics["impression_count"] = round(self.impression_count * share)
        return metrics

    def referenced_tweets(self) -> list[dict[str, str]] | None:
        """X's ``referenced_tweets`` of the post (None for an original post)."""
        if self.kind == "original" or self.referenced_id is None:
            return None
        kind = {"reply": "replied_to", "quote": "quoted", "repost": "retweeted"}[self.kind]
        return [{"type": kind, "id": str(self.referenced_id)}]


POST_KINDS = ("original", "reply", "quote", "repost")
SETTLING_HALF_LIFE_HOURS = 6.0  # half of a post's missing engagement arrives every 6 hours


def settled_share(age: timedelta) -> float:
    """The share of its final counts a post has at ``age``: 0 when just posted, 0.94 after a
    day, indistinguishable from 1 after a week (the look-back window re-reads that long)."""
    hours = age.total_seconds() / 3600
    if hours <= 0:
        return 0.0
    return 1.0 - 0.5 ** (hours / SETTLING_HALF_LIFE_HOURS)


@dataclass(frozen=True)
class CityBreakdown:
    """A Graph account's follower breakdown by city (top 45 only) and what it plants.

    ``cities`` are (city, followers) pairs, most followers first, named as the platform
    names them (``Norwich, England`` on Instagram, ``Norwich, England, United Kingdom`` on
    Facebook). ``in_area`` of the ``known`` listed followers live in the account's area;
    ``followers - known`` are the remainder the breakdown does not name.
    """

    cities: tuple[tuple[str, int], ...]
    followers: int
    known: int
    in_area: int

    @property
    def unknown(self) -> int:
        """Followers outside the top-45 list: their place is not known."""
        return self.followers - self.known

    @property
    def in_area_share(self) -> float:
        """in_area / known: the share of followers with a known city who live in the area."""
        return self.in_area / self.known if self.known else float("nan")


@dataclass(frozen=True, slots=True)
class ScenarioFollower:
    """Follower ``index`` (0 = newest) of an account.

    ``location`` is ``None`` when the follower has none (X then omits the key);
    ``location_class`` is the class the generator intended: ``in_area``, ``outside`` or
    ``unknown`` (SPEC §7.3).
    """

    index: int
    id: str
    name: str
    username: str
    location: str | None
    location_class: str
    created_at: datetime


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
    _engine: _Engine = field(init=False, repr=False, compare=False)

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
        object.__setattr__(self, "_engine", _Engine(self, by_name, by_id, graph))

    # -- lookups ---------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The sandbox's clock: the end of ``end_date`` (exclusive), UTC."""
        return _midnight(self.end_date + timedelta(days=1))

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
                account, start=_midnight(first), end=_midnight(last + timedelta(days=1))
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
        """Write the registry CSVs of SPEC §5.1 for this scenario into ``folder``.

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


# -- generation engine ----------------------------------------------------------------------


class _Engine:
    """Caches and generators behind a Scenario (kept out of the frozen dataclass's fields)."""

    def __init__(
        self,
        scenario: Scenario,
        by_name: dict[str, ScenarioAccount],
        by_id: dict[str, ScenarioAccount],
        graph: dict[str, ScenarioAccount],
    ) -> None:
        self.scenario = scenario
        self.by_name = by_name
        self.by_id = by_id
        self.graph = graph
        self.days = (scenario.end_date - scenario.start_date).days + 1
        self._counts: dict[int, np.ndarray] = {}
        self._floors: dict[int, int] = {}
        self._breakdowns: dict[int, CityBreakdown] = {}
        self._page_metrics: dict[int, dict[str, np.ndarray]] = {}
        self._places = {
            area: [p for p in places if _place_key(p) != _place_key(area)] or list(places)
            for area, places in scenario.gazetteer.items()
        }
        self._in_area_variants = {
            area: _in_area_variants(area, places) for area, places in scenario.gazetteer.items()
        }
        # Sequential readers (paging) touch the same day or chunk twice at page edges.
        self.day_posts = functools.lru_cache(maxsize=16384)(self._day_posts)
        self.chunk = functools.lru_cache(maxsize=64)(self._chunk)

    # Dict writes of identical values from two threads are harmless: no lock needed.
    def counts(self, index: int) -> np.ndarray:
        cached = self._counts.get(index)
        if cached is None:
            cached = self._make_counts(index)
            self._counts[index] = cached
        return cached

    def _make_counts(self, index: int) -> np.ndarray:
        scenario = self.scenario
        account = scenario.accounts[index]
        counts = np.zeros(self.days, dtype=np.int16)
        if account.last_post_date is None:
            counts.flags.writeable = False
            return counts
        first = max(account.opened_on, scenario.start_date)
        last = min(account.last_post_date, scenario.end_date)
        i0 = (first - scenario.start_date).days
        i1 = (last - scenario.start_date).days
        if i1 >= i0 >= 0:
            rates = np.zeros(self.days)
            rates[i0 : i1 + 1] = account.posts_per_day
            if account.change_date is not None and account.posts_per_day_after is not None:
                j = max(i0, (account.change_date - scenario.start_date).days)
                if j <= i1:
                    rates[j : i1 + 1] = account.posts_per_day_after
            rng = np.random.Generator(np.random.PCG64(_seed_int(scenario.seed, account.user_id)))
            drawn = rng.poisson(rates)
            counts[:] = np.minimum(drawn, MAX_POSTS_PER_DAY)
            counts[i1] = max(1, int(counts[i1]))
        counts.flags.writeable = False
        return counts

    def floor_id(self, index: int) -> int:
        cached = self._floors.get(index)
        if cached is not None:
            return cached
        counts = self.counts(index)
        floor = 0
        if int(counts.sum()) > REACHABLE_POSTS:
            newest_first = np.cumsum(counts[::-1].astype(np.int64))
            back = int(np.searchsorted(newest_first, REACHABLE_POSTS))
            offset = len(counts) - 1 - back
            after = int(newest_first[back - 1]) if back > 0 else 0
            need = REACHABLE_POSTS - after
            posts = self.day_posts(index, offset)
            floor = posts[len(posts) - need].id
        self._floors[index] = floor
        return floor

    def _day_posts(self, index: int, offset: int) -> tuple[ScenarioPost, ...]:
        count = int(self.counts(index)[offset])
        if count == 0:
            return ()
        scenario = self.scenario
        account = scenario.accounts[index]
        day = scenario.start_date + timedelta(days=offset)
        rng = random.Random(f"{scenario.seed}:{account.user_id}:posts:{day.isoformat()}")
        # Plain rng.random() arithmetic instead of choice/randrange/uniform: posts are the
        # bulk of a national-scale run, and this is about twice as fast.
        draw = rng.random
        seconds = sorted(7 * 3600 + int(draw() * 55800) for _ in range(count))  # 07:00-22:30
        _, mean_engagement = account.rate_on(day)
        sigma = 0.55
        mu = math.log(max(mean_engagement, 0.1)) - sigma * sigma / 2
        midnight = _midnight(day)
        midnight_ms = int(midnight.timestamp()) * 1000 + (index >> 16) % 1000 - TWITTER_EPOCH_MS
        low_bits = (index & 0xFFFF) << 6  # with the millisecond above: unique across accounts
        places = self._places.get(account.area) or [account.area]
        followers = account.followers_count
        platform = account.platform
        text_parts = (_WEEKDAYS[day.weekday()], _MONTHS[day.month % 12], f"/{day.year % 100:02d}")
        posts = []
        for number, second in enumerate(seconds):
            engagement = int(round(math.exp(mu + sigma * rng.gauss(0.0, 1.0))))
            weights = (
                0.68 * (0.7 + 0.6 * draw()),
                0.14 * (0.7 + 0.6 * draw()),
                0.12 * (0.7 + 0.6 * draw()),
                0.06 * (0.7 + 0.6 * draw()),
            )
            scale = engagement / sum(weights)
            retweets, replies, quotes = (int(w * scale) for w in weights[1:])
            if platform == "facebook":  # reactions, comments, shares (none on a third)
                quotes = 0
                if draw() < 0.3:
                    retweets = 0
            elif platform == "instagram":  # likes and comments
                retweets = quotes = 0
            likes = engagement - retweets - replies - quotes
            impressions = None
            # X leaves impression_count out on some posts; about 8 % here.
            if draw() >= 0.08:
                reach = followers * (0.01 + 0.04 * draw())
                impressions = int(engagement * (30 + 50 * draw()) + reach)
            if platform != "x":  # post insights are not part of the Graph sandbox
                impressions = None
            template = POST_TEMPLATES[int(draw() * len(POST_TEMPLATES))]
            text = template.format(
                place=places[int(draw() * len(places))],
                weekday=text_parts[0],
                month=text_parts[1],
                ref=f"36/{10000 + int(draw() * 89999)}{text_parts[2]}",
                n=3 + int(draw() * 37),
            )
            post_id = ((midnight_ms + second * 1000) << 22) | low_bits | number
            post = ScenarioPost(
                id=post_id,
                user_id=account.user_id,
                created_at=midnight + timedelta(seconds=second),
                text=text,
                like_count=likes,
                reply_count=replies,
                retweet_count=retweets,
                quote_count=quotes,
                bookmark_count=(
                    int(round(likes * (0.02 + 0.06 * draw()))) if platform == "x" else 0
                ),
                impression_count=impressions,
            )
            # Accounts of the published review post originals only: no extra draws for them,
            # so their posts stay what they have always been.
            if account.post_mix[0] < 1.0:
                post = _with_kind(post, account.post_mix, random.Random(f"{post_id}:kind"))
            posts.append(post)
        return tuple(posts)

    def _chunk(self, index: int, chunk: int) -> tuple[ScenarioFollower, ...]:
        """Followers ``chunk * 1000 ..`` of an account: exact class counts, then shuffled."""
        account = self.scenario.accounts[index]
        size = min(SAMPLE_CHUNK, account.followers_count - chunk * SAMPLE_CHUNK)
        if size <= 0:
            return ()
        known = KNOWN_BLOCK * round(size * (1 - account.unknown_share) / KNOWN_BLOCK)
        known = min(size, known)
        # The newest 1,000 followers carry the planted share exactly; older ones are a little
        # more local (people who followed early tend to live nearby), so a sample of the
        # newest followers is not the whole audience.
        share = min(0.95, account.in_area_share * (1 + 0.04 * min(chunk, 5)))
        blocks, rest = divmod(known, KNOWN_BLOCK)
        in_area = blocks * round(KNOWN_BLOCK * share) + round(rest * share)
        counts = {"in_area": in_area, "outside": known - in_area, "unknown": size - known}
        rng = random.Random(f"{self.scenario.seed}:{account.user_id}:followers:{chunk}")
        classes = _in_runs(counts, rng)
        # One generator per chunk, drawn with rng.random(): a page of 1,000 followers is
        # built in a few milliseconds.
        draw = rng.random
        inside = self._in_area_variants.get(account.area) or [account.area]
        by_class = {"in_area": inside, "outside": OUTSIDE_LOCATIONS, "unknown": UNKNOWN_LOCATIONS}
        firsts, lasts = FIRST_NAMES, LAST_NAMES
        epoch = datetime(2008, 1, 1, tzinfo=UTC)
        followers = []
        for within, location_class in enumerate(classes):
            options = by_class[location_class]
            location = options[int(draw() * len(options))]
            first = firsts[int(draw() * len(firsts))]
            last = lasts[int(draw() * len(lasts))]
            style = int(draw() * 4)
            number = 10 + int(draw() * 9989)
            if style == 0:
                username = f"{first}{last}"[:11] + str(number)
            elif style == 1:
                username = f"{first[0]}{last}_{number % 100}"
            elif style == 2:
                username = f"{last.lower()}{first.lower()}"[:13] + str(number % 100)
            else:
                username = f"{first}_{last}"
            followers.append(
                ScenarioFollower(
                    index=chunk * SAMPLE_CHUNK + within,
                    id=str(10**9 + rng.getrandbits(60)),
                    name=f"{first} {last}",
                    username=username[:15],
                    location=location,
                    location_class=location_class,
                    created_at=epoch + timedelta(seconds=int(draw() * 560_000_000)),
                )
            )
        return tuple(followers)

    def follower(self, index: int, position: int) -> ScenarioFollower:
        chunk, within = divmod(position, SAMPLE_CHUNK)
        return self.chunk(index, chunk)[within]

    # -- Graph data ----------------------------------------------------------------------

    def breakdown(self, index: int) -> CityBreakdown:
        cached = self._breakdowns.get(index)
        if cached is None:
            cached = self._make_breakdown(index)
            self._breakdowns[index] = cached
        return cached

    def _make_breakdown(self, index: int) -> CityBreakdown:
        account = self.scenario.accounts[index]
        if not account.is_graph or account.breakdown_known <= 0:
            raise ValueError(f"{account.username} ({account.platform}) has no city breakdown")
        known = min(account.breakdown_known, account.followers_count)
        in_area = round(known * account.in_area_share)
        inside = _area_cities(account.area, self.scenario.gazetteer.get(account.area, ()))
        n_in = min(len(inside), max(3, round(BREAKDOWN_CITIES * account.in_area_share)))
        n_out = BREAKDOWN_CITIES - n_in
        if n_out > len(OUTSIDE_CITIES):
            raise ValueError(f"not enough outside cities for {account.username}")
        rng = random.Random(f"{self.scenario.seed}:{account.user_id}:cities")
        outside = list(OUTSIDE_CITIES[:n_out])
        counts = _allocate(in_area, _zipf(n_in, rng))
        counts += _allocate(known - in_area, _zipf(n_out, rng))
        places = inside[:n_in] + outside
        named = [
            (_city_name(city, region, country, account.platform), count)
            for (city, region, country), count in zip(places, counts, strict=True)
        ]
        named.sort(key=lambda pair: (-pair[1], pair[0]))
        return CityBreakdown(
            cities=tuple(named), followers=account.followers_count, known=known, in_area=in_area
        )

    def page_metrics(self, index: int) -> dict[str, np.ndarray]:
        cached = self._page_metrics.get(index)
        if cached is None:
            cached = self._make_page_metrics(index)
            self._page_metrics[index] = cached
        return cached

    def _make_page_metrics(self, index: int) -> dict[str, np.ndarray]:
        account = self.scenario.accounts[index]
        days = self.days
        rng = np.random.Generator(
            np.random.PCG64(_seed_int(self.scenario.seed, account.user_id, "insights"))
        )
        followers = account.followers_count
        follows = rng.poisson(followers * 0.0005, days).astype(np.int64)
        unfollows = rng.poisson(followers * 0.0002, days).astype(np.int64)
        net = follows - unfollows
        later = np.concatenate([np.cumsum(net[::-1])[::-1][1:], np.zeros(1, dtype=np.int64)])
        total = np.maximum(followers - later, 0)
        engagements = rng.poisson(max(1.0, account.engagement_per_post * 0.15), days)
        engagements = engagements.astype(np.int64)
        counts = self.counts(index)
        for offset in np.flatnonzero(counts).tolist():
            engagements[offset] += sum(p.engagement for p in self.day_posts(index, offset))
        views = engagements * rng.uniform(25, 45, days) + followers * rng.uniform(0.02, 0.06, days)
        views = views.astype(np.int64)
        unique = (views * rng.uniform(0.55, 0.7, days)).astype(np.int64)
        series = {
            "follows": follows,
            "unfollows": unfollows,
            "total_follows": total,
            "engagements": engagements,
            "views": views,
            "unique_views": unique,
        }
        for values in series.values():
            values.flags.writeable = False
        return series

    def audience(self, index: int, breakdown: str) -> list[tuple[str, int]]:
        account = self.scenario.accounts[index]
        followers = account.followers_count
        shares: Sequence[tuple[str, float]]
        if breakdown == "country":
            shares = (("GB", 0.9), ("IE", 0.025), ("US", 0.02), ("ES", 0.015), ("AU", 0.012),
                      ("PL", 0.01), ("DE", 0.008), ("FR", 0.006), ("IN", 0.004))  # fmt: skip
        elif breakdown == "age":
            shares = (("13-17", 0.02), ("18-24", 0.11), ("25-34", 0.24), ("35-44", 0.23),
                      ("45-54", 0.19), ("55-64", 0.13), ("65+", 0.08))  # fmt: skip
        elif breakdown == "gender":
            shares = (("F", 0.55), ("M", 0.43), ("U", 0.02))
        else:
            raise ValueError(f"unknown breakdown {breakdown!r}")
        rng = random.Random(f"{self.scenario.seed}:{account.user_id}:audience:{breakdown}")
        pairs = [(key, int(followers * share * rng.uniform(0.9, 1.0))) for key, share in shares]
        return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))

    def followers(self, index: int, offset: int, limit: int) -> list[ScenarioFollower]:
        stop = min(self.scenario.accounts[index].followers_count, offset + limit)
        found: list[ScenarioFollower] = []
        position = max(0, offset)
        while position < stop:
            chunk, within = divmod(position, SAMPLE_CHUNK)
            part = self.chunk(index, chunk)[within : within + stop - position]
            found += part
            position += len(part)
        return found


# -- ids, text and numbers ----------------------------------------------------------------


FOLLOWER_RUN_MEAN = 12  # followers arrive in bursts: a local news story, a national appeal


def _in_runs(counts: dict[str, int], rng: random.Random) -> list[str]:
    """The classes of ``counts`` in runs of about FOLLOWER_RUN_MEAN of one class, as they
    arrive on a real account (newest first), not evenly mixed. Exact counts per class."""
    remaining = dict(counts)
    order: list[str] = []
    while any(remaining.values()):
        name = _weighted_choice(remaining, rng.random() * sum(remaining.values()))
        run = min(remaining[name], 1 + int(rng.expovariate(1 / FOLLOWER_RUN_MEAN)))
        order += [name] * run
        remaining[name] -= run
    return order


def _weighted_choice(weights: dict[str, int], roll: float) -> str:
    """The key whose share of the weights' total ``roll`` falls in."""
    for name, weight in weights.items():
        if roll < weight:
            return name
        roll -= weight
    return next(name for name, weight in reversed(weights.items()) if weight)


REPOSTED_ACCOUNTS = ("NPCCnews", "CrimestoppersUK", "ActionFrauduk", "MetOffice")


def _with_kind(
    post: ScenarioPost, mix: tuple[float, float, float, float], rng: random.Random
) -> ScenarioPost:
    """``post`` made a reply, quote or repost with the probabilities of ``mix``.

    The post it refers to is an older post of another account. A repost shows that post's
    text and counts, as X does (``RT @name: ...``); a reply or quote keeps its own counts.
    """
    roll, kind = rng.random(), "original"
    for candidate, share in zip(POST_KINDS, itertools.accumulate(mix), strict=True):
        if roll < share:
            kind = candidate
            break
    if kind == "original":
        return post
    referenced = post.id - (rng.randrange(1, 86_400_000) << 22)
    source = REPOSTED_ACCOUNTS[rng.randrange(len(REPOSTED_ACCOUNTS))]
    if kind == "reply":
        return replace(post, kind=kind, referenced_id=referenced, text=f"@{source} {post.text}")
    if kind == "quote":
        link = f"https://x.com/{source}/status/{referenced}"
        return replace(post, kind=kind, referenced_id=referenced, text=f"{post.text} {link}")
    scale = 5 + rng.random() * 20  # the original was seen by far more people
    return replace(
        post,
        kind=kind,
        referenced_id=referenced,
        text=f"RT @{source}: {post.text}"[:140],
        like_count=round(post.like_count * scale),
        reply_count=round(post.reply_count * scale),
        retweet_count=round(post.retweet_count * scale) + 1,
        quote_count=round(post.quote_count * scale),
        bookmark_count=round(post.bookmark_count * scale),
        impression_count=None if post.impression_count is None else post.impression_count * 20,
    )


def post_id_datetime(post_id: int) -> datetime:
    """The UTC time encoded in a snowflake post id (millisecond precision)."""
    millis = (post_id >> 22) + TWITTER_EPOCH_MS
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def _seed_int(seed: int, *parts: object) -> int:
    text = ":".join(str(p) for p in (seed, *parts))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def user_id_of(username: str) -> str:
    """A stable numeric X user id for a username (independent of the seed)."""
    digest = hashlib.blake2b(f"x-user:{username.lower()}".encode(), digest_size=8).digest()
    return str(10**8 + int.from_bytes(digest, "big") % (1_500_000_000_000_000_000))


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January February March April May June July August September October November December"
).split()

POST_TEMPLATES = (
    "Officers in {place} are out on patrol this {weekday}. See something suspicious? "
    "Call 101, or 999 in an emergency. 👮",
    'Our message this weekend: "lock it or lose it" 🔒 Keep valuables out of sight in {place}.',
    "Thanks to everyone who came to the community meeting in {place} today. "
    "The next one is in {month}.",
    "Road closed near {place} after a collision. Please avoid the area if you can 🚧",
    "Have you seen this bike? Stolen in {place} on {weekday}. Call 101 quoting {ref}. 🚲",
    '"We won\'t tolerate anti-social behaviour" – a dispersal order is in place in {place} '
    "until Sunday.",
    "Speed checks in {place} this morning: {n} drivers stopped. Slow down, it's not worth it ⚠️",
    "Scam alert 📞 Callers claiming to be from your bank are targeting {place}. Hang up and "
    "call the number on your card.",
    "Beat surgery at {place} library 10:00-12:00 on {weekday}. Pop in for a chat ☕",
    "Missing person appeal: have you seen Sam, 15, last seen in {place}? Call 101 quoting "
    "{ref}. Please share 🙏",
    'Great to meet pupils at {place} primary school today for our "Be Safe" talk. 🏫',
    "Thank you, {place}! {n} bikes security-marked at this {weekday}'s event. 🙌",
)


# -- follower locations ---------------------------------------------------------------------

# Outside every gazetteer area of the scenarios (checked when a scenario is built).
# Lowestoft and Southwold are in Suffolk, just over the Norfolk border.
OUTSIDE_LOCATIONS = (
    "London",
    "Ipswich, Suffolk",
    "Manchester",
    "UK",
    "England",
    "Cambridge",
    "Peterborough",
    "Lowestoft",
    "London, England",
    "United Kingdom",
    "Bury St Edmunds",
    "Leeds",
    "Birmingham, UK",
    "Bristol",
    "Essex",
    "Southwold",
    "Edinburgh, Scotland",
    "Spain 🇪🇸",
)
# No letter at all, or nothing: SPEC §7.3 "unknown". None means X omits the key.
UNKNOWN_LOCATIONS = ("", None, "🌍", "123", " - ")

NORFOLK_PLACES = (
    "Norfolk",
    "Norwich",
    "Kings Lynn",
    "Great Yarmouth",
    "Gt Yarmouth",
    "Gorleston",
    "Thetford",
    "Dereham",
    "Wymondham",
    "Cromer",
    "Sheringham",
    "Fakenham",
    "Swaffham",
    "Diss",
    "Attleborough",
    "North Walsham",
    "Downham Market",
    "Hunstanton",
    "Aylsham",
    "Holt",
    "Wells-next-the-Sea",
    "Watton",
    "Hethersett",
    "Costessey",
    "Sprowston",
    "Taverham",
    "Hellesdon",
    "Acle",
    "Stalham",
    "Wroxham",
    "Hoveton",
    "Caister-on-Sea",
    "Harleston",
    "Long Stratton",
    "Loddon",
    "Mundesley",
    "Heacham",
    "Broadland",
    "Breckland",
)
NORFOLK_IN_AREA = (
    "Norwich",
    "NORWICH, UK",
    "norwich.",
    "Norwich, Norfolk",
    "King's Lynn",
    "Kings Lynn, Norfolk",
    "Great Yarmouth",
    "Gt Yarmouth",
    "Gorleston-on-Sea",
    "Cromer 🌊",
    "Wymondham, England",
    "Norfolk, UK",
    "norfolk",
    "Thetford",
    "Dereham",
    "Diss, South Norfolk",
    "North Walsham",
    "Sheringham",
    "Wells-next-the-Sea",
    "Hunstanton ☀️",
    "Aylsham",
    "Attleborough",
    "Fakenham",
    "Swaffham",
    "Downham Market",
    "Holt, Norfolk",
    "Wroxham ⛵",
    "Café in Norwich",
)

# Towns of Norfolk as the Graph city breakdowns name them, largest follower counts first.
NORFOLK_CITIES = (
    "Norwich", "Great Yarmouth", "King's Lynn", "Thetford", "Dereham", "Wymondham",
    "Gorleston-on-Sea", "Sprowston", "Costessey", "North Walsham", "Attleborough", "Diss",
    "Cromer", "Fakenham", "Swaffham", "Hellesdon", "Downham Market", "Sheringham", "Taverham",
    "Hunstanton", "Aylsham", "Watton", "Hethersett", "Caister-on-Sea", "Holt", "Harleston",
    "Acle", "Stalham",
)  # fmt: skip
# Cities outside every gazetteer area of the scenarios (checked when a scenario is built),
# as (city, region, country), largest follower counts first.
OUTSIDE_CITIES = (
    ("London", "England", "United Kingdom"),
    ("Ipswich", "England", "United Kingdom"),
    ("Lowestoft", "England", "United Kingdom"),
    ("Cambridge", "England", "United Kingdom"),
    ("Peterborough", "England", "United Kingdom"),
    ("Bury St Edmunds", "England", "United Kingdom"),
    ("Colchester", "England", "United Kingdom"),
    ("Beccles", "England", "United Kingdom"),
    ("Manchester", "England", "United Kingdom"),
    ("Chelmsford", "England", "United Kingdom"),
    ("Birmingham", "England", "United Kingdom"),
    ("Wisbech", "England", "United Kingdom"),
    ("Leeds", "England", "United Kingdom"),
    ("Newmarket", "England", "United Kingdom"),
    ("Bristol", "England", "United Kingdom"),
    ("Ely", "England", "United Kingdom"),
    ("Nottingham", "England", "United Kingdom"),
    ("Sudbury", "England", "United Kingdom"),
    ("Leicester", "England", "United Kingdom"),
    ("Stowmarket", "England", "United Kingdom"),
    ("Sheffield", "England", "United Kingdom"),
    ("Liverpool", "England", "United Kingdom"),
    ("Haverhill", "England", "United Kingdom"),
    ("Southend-on-Sea", "England", "United Kingdom"),
    ("Luton", "England", "United Kingdom"),
    ("Northampton", "England", "United Kingdom"),
    ("Brighton", "England", "United Kingdom"),
    ("Southampton", "England", "United Kingdom"),
    ("Edinburgh", "Scotland", "United Kingdom"),
    ("Glasgow", "Scotland", "United Kingdom"),
    ("Cardiff", "Wales", "United Kingdom"),
    ("Portsmouth", "England", "United Kingdom"),
    ("Bedford", "England", "United Kingdom"),
    ("Stevenage", "England", "United Kingdom"),
    ("Derby", "England", "United Kingdom"),
    ("Hull", "England", "United Kingdom"),
    ("Belfast", "Northern Ireland", "United Kingdom"),
    ("Dublin", "Dublin", "Ireland"),
    ("Watford", "England", "United Kingdom"),
    ("Milton Keynes", "England", "United Kingdom"),
)
_WELSH_AREAS = frozenset({"Dyfed-Powys"})


def _area_cities(area: str, places: Sequence[str]) -> list[tuple[str, str, str]]:
    """The towns of an area as (city, region, country), for Graph city breakdowns."""
    if area == "Norfolk":
        towns: Sequence[str] = NORFOLK_CITIES
    else:
        towns = [p for p in places if _place_key(p) != _place_key(area)] or [area]
    region = "Wales" if area in _WELSH_AREAS else "England"
    return [(town, region, "United Kingdom") for town in towns]


def _city_name(city: str, region: str, country: str, platform: str) -> str:
    """Facebook names ``City, Region, Country``; Instagram ``City, Region``."""
    return f"{city}, {region}, {country}" if platform == "facebook" else f"{city}, {region}"


def _zipf(n: int, rng: random.Random) -> list[float]:
    return [rng.uniform(0.9, 1.1) / (rank + 1) ** 1.05 for rank in range(n)]


def _allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainders)."""
    if not weights:
        return []
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    parts = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


FIRST_NAMES = (
    "Jane Tom Amy Raj Liam Mia Owen Ella Sam Chloe Noah Ruby Olivia Jack Isla Harry Grace "
    "Oscar Lily George Freya Leo Ava Alfie Emily Arthur Sophie Zara Ben Hannah Dev Priya "
    "Kwame Aisha Piotr Ewa Sean Niamh Callum Eilidh Rhys Cerys"
).split()
LAST_NAMES = (
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Wright Walker Robinson "
    "Thompson White Hughes Edwards Green Hall Wood Harris Lewis Martin Jackson Clarke Clark "
    "Turner Hill Scott Cooper Moore Ward King Baker Khan Ali Nowak Murphy Kelly Evans"
).split()


def _place_key(text: str | None) -> str:
    """SPEC §7.3 matching key: casefold, no accents or apostrophes, one space per other run."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = re.sub(r"['’‘`´]", "", stripped.casefold()).replace("&", " and ")
    key = re.sub(r"[\W_]+", " ", folded).strip()
    return key if any(ch.isalpha() for ch in key) else ""


def _classify(location: str | None, places: Sequence[str]) -> str:
    key = _place_key(location)
    if not key:
        return "unknown"
    padded = f" {key} "
    if any(f" {_place_key(p)} " in padded for p in places if _place_key(p)):
        return "in_area"
    return "outside"


def _in_area_variants(area: str, places: Sequence[str]) -> list[str]:
    if area == "Norfolk":
        return list(NORFOLK_IN_AREA)
    towns = [p for p in places if p != area] or [area]
    variants = [area, f"{area}, UK", area.lower()]
    for town in towns:
        variants += [town, f"{town.upper()}, UK", f"{town.lower()}.", f"{town}, {area}"]
        variants.append(f"{town} 🏡")
    return variants


def _check_breakdowns(scenario: Scenario) -> None:
    """Fail loudly if a Graph city breakdown would be classified otherwise than planted."""
    for account in scenario.accounts:
        if not account.is_graph or not account.breakdown_known:
            continue
        places = scenario.gazetteer[account.area]
        breakdown = scenario.city_breakdown(account)
        inside = sum(n for city, n in breakdown.cities if _classify(city, places) == "in_area")
        if len(breakdown.cities) != BREAKDOWN_CITIES or inside != breakdown.in_area:
            raise ValueError(f"city breakdown of {account.username} does not match its area")


def _check_locations(gazetteer: Mapping[str, Sequence[str]]) -> None:
    """Fail loudly if a location would be classified differently from what was planted."""
    for area, places in gazetteer.items():
        for location in _in_area_variants(area, places):
            if _classify(location, places) != "in_area":
                raise ValueError(f"in-area location {location!r} does not match area {area!r}")
        for location in OUTSIDE_LOCATIONS:
            if _classify(location, places) != "outside":
                raise ValueError(f"outside location {location!r} matches area {area!r}")
    for location in UNKNOWN_LOCATIONS:
        if _place_key(location):
            raise ValueError(f"unknown location {location!r} has letters")


# -- the default scenario (SPEC §1) -----------------------------------------------------------

NORFOLK = "Norfolk Constabulary"
NORFOLK_DOMAIN = "norfolk-police.example"

# username, display name, owner mailbox, followers, posts/day, opened on
_NORFOLK_DISTRICTS = (
    ("NorwichPolice", "Norwich Police", "norwich.snt", 14820, 1.5, date(2011, 2, 14)),
    ("BroadlandPolice", "Broadland Police", "broadland.snt", 5410, 1.2, date(2012, 5, 21)),
    ("BrecklandPolice", "Breckland Police", "breckland.snt", 4960, 1.2, date(2012, 5, 21)),
    ("SNorfolkPolice", "South Norfolk Police", "south.norfolk.snt", 6230, 1.3, date(2012, 6, 4)),
    ("NNorfolkPolice", "North Norfolk Police", "north.norfolk.snt", 7150, 1.3, date(2012, 6, 4)),
    ("GYarmouthPolice", "Great Yarmouth Police", "great.yarmouth.snt", 5870, 1.3, date(2013, 1, 7)),
    ("KLWNPolice", "King's Lynn & West Norfolk Police", "klwn.snt", 6640, 1.2, date(2013, 1, 7)),
)

# username, display name, owner mailbox, successor district, followers, opened on,
# days between the last post and the review date (None: never posted)
_NORFOLK_OFFICERS = (
    ("PCJaneSmith", "PC Jane Smith", "pc.jane.smith", "NorwichPolice", 1840, date(2019, 4, 15), 1),
    ("SgtTomBaker", "Sgt Tom Baker", "sgt.tom.baker", "BroadlandPolice", 655, date(2018, 9, 3), 31),
    ("PCSOAmyClarke", "PCSO Amy Clarke", "pcso.amy.clarke", "BrecklandPolice", 312,
     date(2021, 1, 11), 30),
    ("InspRajPatel", "Insp Raj Patel", "insp.raj.patel", "SNorfolkPolice", 2480,
     date(2016, 6, 20), 45),
    ("PCLiamHughes", "PC Liam Hughes", "pc.liam.hughes", "NNorfolkPolice", 975,
     date(2020, 2, 24), 10),
    ("PCSOMiaWright", "PCSO Mia Wright", "pcso.mia.wright", "GYarmouthPolice", 430,
     date(2022, 5, 9), 90),
    ("SgtOwenDavies", "Sgt Owen Davies", "sgt.owen.davies", "KLWNPolice", 1500,
     date(2017, 11, 6), 5),
    ("PCEllaMoore", "PC Ella Moore", "pc.ella.moore", "NorwichPolice", 820, date(2021, 8, 16), 150),
    ("PCSOSamKhan", "PCSO Sam Khan", "pcso.sam.khan", "BroadlandPolice", 2105,
     date(2019, 10, 7), 20),
    ("PCChloeEvans", "PC Chloe Evans", "pc.chloe.evans", "BrecklandPolice", 540,
     date(2024, 9, 16), None),
    ("SgtNoahWilson", "Sgt Noah Wilson", "sgt.noah.wilson", "GYarmouthPolice", 1190,
     date(2018, 3, 12), 300),
    ("PCRubyTaylor", "PC Ruby Taylor", "pc.ruby.taylor", "KLWNPolice", 760, date(2020, 7, 27), 2),
)  # fmt: skip


def _extras(rng: random.Random, followers: int) -> dict[str, int]:
    return {
        "following_count": rng.randrange(50, 1200),
        "listed_count": max(1, followers // rng.randrange(40, 120)),
        "like_count": rng.randrange(100, 9000),
    }


def _norfolk_accounts(seed: int, start: date, review: date, end: date) -> list[ScenarioAccount]:
    consolidation = DEFAULT_CONSOLIDATION
    rng = random.Random(f"{seed}:norfolk:profiles")
    accounts = [
        ScenarioAccount(
            organisation=NORFOLK,
            platform="x",
            username="NorfolkPolice",
            user_id=user_id_of("NorfolkPolice"),
            display_name="Norfolk Police",
            kind="force",
            area="Norfolk",
            owner_email=f"digital.comms@{NORFOLK_DOMAIN}",
            opened_on=date(2009, 3, 2),
            closed_on=None,
            successor_ref=None,
            followers_count=40215,
            last_post_date=end,
            in_area_share=0.64,
            posts_per_day=4.0,
            engagement_per_post=45.0,
            location="Norfolk, UK",
            description="Official account of Norfolk Constabulary. Not monitored 24/7: "
            "in an emergency call 999.",
            verified=True,
            index=0,
            **_extras(rng, 40215),
        )
    ]
    for username, display, mailbox, followers, rate, opened in _NORFOLK_DISTRICTS:
        accounts.append(
            ScenarioAccount(
                organisation=NORFOLK,
                platform="x",
                username=username,
                user_id=user_id_of(username),
                display_name=display,
                kind="district",
                area="Norfolk",
                owner_email=f"{mailbox}@{NORFOLK_DOMAIN}",
                opened_on=opened,
                closed_on=None,
                successor_ref=None,
                followers_count=followers,
                last_post_date=end,
                in_area_share=0.72,
                posts_per_day=rate,
                engagement_per_post=round(8 + followers / 500, 2),
                change_date=consolidation,
                location="Norfolk, UK",
                description=f"{display}: news and appeals from your local policing team.",
                verified=True,
                index=len(accounts),
                **_extras(rng, followers),
            )
        )
    for username, display, mailbox, successor, followers, opened, quiet in _NORFOLK_OFFICERS:
        accounts.append(
            ScenarioAccount(
                organisation=NORFOLK,
                platform="x",
                username=username,
                user_id=user_id_of(username),
                display_name=display,
                kind="officer",
                area="Norfolk",
                owner_email=f"{mailbox}@{NORFOLK_DOMAIN}",
                opened_on=opened,
                closed_on=consolidation,
                successor_ref=successor,
                followers_count=followers,
                last_post_date=None if quiet is None else review - timedelta(days=quiet),
                in_area_share=0.48,
                posts_per_day=round(rng.uniform(0.5, 0.8), 2),
                engagement_per_post=round(3 + followers / 250, 2),
                location=rng.choice(("Norfolk", "Norwich, England", "Norfolk, UK", "")),
                description=f"{display}, Norfolk Constabulary. Account not monitored 24/7.",
                index=len(accounts),
                **_extras(rng, followers),
            )
        )
    return _plant_consolidation(accounts, consolidation, start)


def _plant_consolidation(
    accounts: list[ScenarioAccount],
    event: date,
    start: date,
    effect: float = CONSOLIDATION_EFFECT,
    per_post_gain: float = 1.10,
) -> list[ScenarioAccount]:
    """Set the district accounts' after-event rates so the organisation's expected total
    engagement per day over the IMPACT_WINDOW_DAYS after the event is ``effect`` times that
    over the window before it (officers are closed at the event). Busier district accounts
    also earn ``per_post_gain`` times more per post."""
    before_days = [event - timedelta(days=i) for i in range(1, IMPACT_WINDOW_DAYS + 1)]

    def expected(account: ScenarioAccount, day: date) -> float:
        if account.last_post_date is None or day > account.last_post_date:
            return 0.0
        if day < max(account.opened_on, start):
            return 0.0
        rate, per_post = account.rate_on(day)
        return rate * per_post

    before = sum(expected(a, d) for a in accounts for d in before_days) / IMPACT_WINDOW_DAYS
    districts = [a for a in accounts if a.kind == "district" and a.change_date == event]
    others_after = sum(
        a.posts_per_day * a.engagement_per_post
        for a in accounts
        if a.kind not in ("district", "officer") and a.closed_on is None
    )
    district_before = sum(a.posts_per_day * a.engagement_per_post for a in districts)
    posts_gain = (effect * before - others_after) / (district_before * per_post_gain)
    if posts_gain <= 1.0:
        raise ValueError("consolidation effect cannot be planted with these rates")
    result = []
    for account in accounts:
        if account in districts:
            account = replace(
                account,
                posts_per_day_after=round(account.posts_per_day * posts_gain, 4),
                engagement_per_post_after=round(account.engagement_per_post * per_post_gain, 4),
            )
        result.append(account)
    return result


def _graph_id(platform: str, name: str) -> str:
    """A stable numeric Graph id: a 15-digit page id or a 17-digit Instagram user id."""
    digest = hashlib.blake2b(f"{platform}:{name.lower()}".encode(), digest_size=8).digest()
    number = int.from_bytes(digest, "big")
    if platform == "facebook":
        return str(100_000_000_000_000 + number % 900_000_000_000_000)
    return str(17_841_400_000_000_000 + number % 100_000_000_000)


# Norfolk's Facebook page and Instagram account: (platform, username, followers, followers
# in the top-45 city breakdown, share of those in Norfolk, posts/day, engagement per post,
# opened on). Both post 25 % more from the consolidation on, like the organisation.
_NORFOLK_GRAPH = (
    ("facebook", "NorfolkPolice", 61870, 50450, 0.74, 2.0, 95.0, date(2009, 5, 11)),
    ("instagram", "norfolkpolice", 14930, 10900, 0.58, 0.6, 240.0, date(2015, 6, 1)),
)


def _norfolk_graph_accounts(first_index: int, end: date) -> list[ScenarioAccount]:
    accounts = []
    for platform, username, followers, known, share, rate, per_post, opened in _NORFOLK_GRAPH:
        accounts.append(
            ScenarioAccount(
                organisation=NORFOLK,
                platform=platform,
                username=username,
                user_id=_graph_id(platform, username),
                display_name="Norfolk Constabulary",
                kind="force",
                area="Norfolk",
                owner_email=f"digital.comms@{NORFOLK_DOMAIN}",
                opened_on=opened,
                closed_on=None,
                successor_ref=None,
                followers_count=followers,
                last_post_date=end,
                in_area_share=share,
                posts_per_day=rate,
                engagement_per_post=per_post,
                posts_per_day_after=round(rate * CONSOLIDATION_EFFECT, 4),
                change_date=DEFAULT_CONSOLIDATION,
                location="Norwich, United Kingdom",
                description="Official page of Norfolk Constabulary. Not monitored 24/7: "
                "in an emergency call 999.",
                verified=True,
                index=first_index + len(accounts),
                breakdown_known=known,
            )
        )
    return accounts


# -- regional organisations of the default scenario (national findings) ------------------------

# organisation, area, short tag, mail domain, towns (the gazetteer beyond the area's name;
# district accounts are named after the first ones), districts, officers, departments,
# nominal engagement per day (drawn independently of the number of accounts), consolidation.
_REGIONAL = (
    ("Cumbria Constabulary", "Cumbria", "Cumbria", "cumbria",
     ("Carlisle", "Kendal", "Barrow-in-Furness", "Workington", "Whitehaven", "Penrith",
      "Keswick", "Ulverston", "Cockermouth", "Windermere"), 4, 3, 1, 380, None),
    ("Durham Constabulary", "County Durham", "Durham", "durham",
     ("Durham", "Darlington", "Chester-le-Street", "Consett", "Bishop Auckland", "Peterlee",
      "Newton Aycliffe", "Seaham", "Stanley", "Spennymoor"), 5, 8, 0, 520, date(2025, 3, 3)),
    ("Dyfed-Powys Police", "Dyfed-Powys", "DyfedPowys", "dyfed-powys",
     ("Carmarthen", "Aberystwyth", "Llanelli", "Haverfordwest", "Brecon", "Newtown",
      "Welshpool", "Pembroke", "Ammanford", "Llandrindod Wells"), 4, 0, 0, 1400, None),
    ("Gloucestershire Constabulary", "Gloucestershire", "Glos", "gloucestershire",
     ("Gloucester", "Cheltenham", "Stroud", "Tewkesbury", "Cirencester", "Forest of Dean",
      "Cinderford", "Lydney", "Stow-on-the-Wold", "Dursley"), 6, 14, 1, 900, date(2025, 6, 2)),
    ("Lincolnshire Police", "Lincolnshire", "Lincs", "lincolnshire",
     ("Lincoln", "Boston", "Grantham", "Skegness", "Spalding", "Stamford", "Louth",
      "Gainsborough", "Sleaford", "Mablethorpe"), 7, 22, 1, 1100, None),
    ("North Yorkshire Police", "North Yorkshire", "NYP", "northyorkshire",
     ("York", "Harrogate", "Scarborough", "Northallerton", "Selby", "Skipton", "Whitby",
      "Ripon", "Richmond", "Thirsk"), 6, 10, 1, 1250, date(2025, 9, 1)),
    ("Warwickshire Police", "Warwickshire", "Warks", "warwickshire",
     ("Warwick", "Leamington Spa", "Nuneaton", "Rugby", "Stratford-upon-Avon", "Bedworth",
      "Kenilworth", "Atherstone", "Alcester", "Southam"), 2, 0, 0, 450, None),
    ("Wiltshire Police", "Wiltshire", "Wilts", "wiltshire",
     ("Swindon", "Salisbury", "Chippenham", "Trowbridge", "Devizes", "Marlborough",
      "Warminster", "Melksham", "Calne", "Corsham"), 4, 6, 1, 640, None),
    ("Dorset Police", "Dorset", "Dorset", "dorset",
     ("Bournemouth", "Poole", "Weymouth", "Dorchester", "Bridport", "Christchurch",
      "Shaftesbury", "Wimborne Minster", "Swanage", "Sherborne"), 6, 18, 1, 760,
     date(2025, 11, 3)),
    ("Cheshire Constabulary", "Cheshire", "Cheshire", "cheshire",
     ("Chester", "Warrington", "Crewe", "Macclesfield", "Northwich", "Ellesmere Port",
      "Widnes", "Runcorn", "Congleton", "Nantwich"), 8, 29, 2, 260, date(2026, 1, 12)),
    ("Northumbria Police", "Northumbria", "Northumbria", "northumbria",
     ("Newcastle upon Tyne", "Sunderland", "Gateshead", "South Shields", "North Shields",
      "Hexham", "Morpeth", "Blyth", "Cramlington", "Alnwick"), 8, 24, 2, 1950, None),
    ("Devon and Cornwall Police", "Devon and Cornwall", "DC", "devon-cornwall",
     ("Devon", "Cornwall", "Exeter", "Plymouth", "Torquay", "Truro", "Barnstaple", "Penzance",
      "Newquay", "Falmouth", "Bodmin"), 4, 2, 0, 2300, date(2026, 6, 1)),
    ("Thames Valley Police", "Thames Valley", "TVP", "thamesvalley",
     ("Oxford", "Reading", "Milton Keynes", "Slough", "High Wycombe", "Aylesbury", "Banbury",
      "Newbury", "Maidenhead", "Bicester"), 6, 8, 1, 1750, date(2026, 2, 2)),
)  # fmt: skip
_REGIONAL_RATE = {"force": 1.2, "district": 0.45, "department": 0.3, "officer": 0.18}
_REGIONAL_WEIGHT = {"force": 3.0, "district": 1.5, "department": 1.0, "officer": 0.3}
_DEPARTMENTS = (("Roads", "Roads Policing Unit"), ("Rural", "Rural Crime Team"))
_RANKS = ("PC", "PCSO", "Sgt", "Insp")


def _handle(candidates: Sequence[str], used: set[str], rng: random.Random) -> str:
    """The first candidate of at most 15 characters not yet used (numbered if need be)."""
    for candidate in candidates:
        candidate = re.sub(r"[^A-Za-z0-9_]", "", candidate)
        if len(candidate) <= 15 and candidate.lower() not in used:
            used.add(candidate.lower())
            return candidate
    while True:
        candidate = re.sub(r"[^A-Za-z0-9_]", "", candidates[0])[:12] + str(rng.randrange(100, 999))
        if candidate.lower() not in used:
            used.add(candidate.lower())
            return candidate


def _regional_organisations(
    first_index: int, start: date, review: date, end: date, used: set[str]
) -> tuple[list[ScenarioOrganisation], list[ScenarioAccount], dict[str, tuple[str, ...]]]:
    """The default scenario's further organisations (SPEC §5.4, issue 4): 3 to 40 accounts
    each, nominal engagement drawn independently of the account count, about half with a
    consolidation (officer accounts closed into districts) that leaves the organisation's
    expected engagement per day unchanged. Independent of the seed: same registry always."""
    organisations: list[ScenarioOrganisation] = []
    accounts: list[ScenarioAccount] = []
    gazetteer: dict[str, tuple[str, ...]] = {}
    index = first_index
    for (
        name, area, short, domain, towns, n_districts, n_officers, n_departments, per_day,
        event,
    ) in _REGIONAL:  # fmt: skip
        rng = random.Random(f"regional:{name}")
        mail = f"{domain}-police.example"
        gazetteer[area] = tuple(dict.fromkeys((area, *towns)))
        organisations.append(
            ScenarioOrganisation(
                name=name,
                area=area,
                comms_email=f"comms@{mail}",
                consolidation_date=event,
                consolidation_description=(
                    f"{n_officers} officer accounts closed into {n_districts} district accounts"
                    if event
                    else ""
                ),
            )
        )
        district_towns = [t for t in towns if _place_key(t) not in ("devon", "cornwall")]
        members: list[tuple[str, int]] = [("force", 0)]
        members += [("district", n) for n in range(n_districts)]
        members += [("department", n) for n in range(n_departments)]
        members += [("officer", n) for n in range(n_officers)]
        weight_sum = sum(_REGIONAL_WEIGHT[kind] for kind, _ in members)
        org_accounts: list[ScenarioAccount] = []
        district_handles: list[str] = []
        for kind, n in members:
            rate = _REGIONAL_RATE[kind]
            per_post = round(per_day * _REGIONAL_WEIGHT[kind] / weight_sum / rate, 2)
            closed = successor = None
            last: date | None = end
            if kind == "force":
                handle = _handle([f"{short}Police", f"{short}Pol", short], used, rng)
                display, mailbox = name, "digital.comms"
                followers = int(rng.lognormvariate(math.log(45000), 0.5))
                in_area = rng.uniform(0.55, 0.7)
                opened = date(2009, 1, 1) + timedelta(days=rng.randrange(3 * 365))
            elif kind == "district":
                town = district_towns[n]
                squeezed = re.sub(r"[^A-Za-z]", "", town.title())
                handle = _handle(
                    [f"{squeezed}Police", f"{squeezed}Pol", f"{squeezed[:12]}Pol"],
                    used,
                    rng,
                )
                district_handles.append(handle)
                display = f"{town} Police"
                mailbox = re.sub(r"[^a-z]+", ".", town.lower()).strip(".") + ".snt"
                followers = rng.randrange(2000, 16000)
                in_area = rng.uniform(0.6, 0.8)
                opened = date(2011, 1, 1) + timedelta(days=rng.randrange(5 * 365))
            elif kind == "department":
                tag, unit = _DEPARTMENTS[n % len(_DEPARTMENTS)]
                handle = _handle([f"{short}{tag}", f"{short}{tag[:3]}"], used, rng)
                display = f"{area} {unit}"
                mailbox = tag.lower() + ".policing"
                followers = rng.randrange(3000, 20000)
                in_area = rng.uniform(0.5, 0.7)
                opened = date(2013, 1, 1) + timedelta(days=rng.randrange(6 * 365))
            else:
                rank, first, surname = (
                    rng.choice(_RANKS), rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                )  # fmt: skip
                handle = _handle(
                    [f"{rank}{first}{surname}", f"{rank}{first[0]}{surname}", f"{first}{surname}"],
                    used,
                    rng,
                )
                display = f"{rank} {first} {surname}"
                mailbox = f"{rank}.{first}.{surname}".lower()
                followers = rng.randrange(200, 3000)
                in_area = rng.uniform(0.35, 0.6)
                latest = (event or review) - timedelta(days=60)
                opened = date(2015, 1, 1) + timedelta(
                    days=rng.randrange((latest - date(2015, 1, 1)).days)
                )
                roll = rng.random()
                if roll < 0.06:
                    last = None  # opened, never posted
                elif roll < 0.30:
                    quiet = start + timedelta(days=rng.randrange((review - start).days - 31))
                    last = max(quiet, opened + timedelta(days=1))
                if event is not None:
                    closed = event
                    successor = district_handles[n % len(district_handles)]
                    if last is not None:
                        last = min(last, event - timedelta(days=1))
            if last is not None and last < max(opened, start):
                last = max(opened, start)
            org_accounts.append(
                ScenarioAccount(
                    organisation=name,
                    platform="x",
                    username=handle,
                    user_id=user_id_of(handle),
                    display_name=display,
                    kind=kind,
                    area=area,
                    owner_email=f"{mailbox}@{mail}",
                    opened_on=opened,
                    closed_on=closed,
                    successor_ref=successor,
                    followers_count=followers,
                    last_post_date=last,
                    in_area_share=round(in_area, 2),
                    posts_per_day=rate,
                    engagement_per_post=per_post,
                    change_date=event if kind == "district" and event is not None else None,
                    location=f"{area}, UK",
                    description=f"{display}: news and appeals. Not monitored 24/7.",
                    verified=kind != "officer",
                    index=index,
                    **_extras(rng, followers),
                )
            )
            index += 1
        if event is not None:
            org_accounts = _plant_consolidation(
                org_accounts, event, start, effect=1.0, per_post_gain=1.0
            )
        accounts += org_accounts
    return organisations, accounts, gazetteer


# -- consolidating organisations with planted effects (the pooled national finding) ------------

# organisation, area, short tag, mail domain, towns, districts, officers, nominal engagement
# per day, consolidation date, planted change of total engagement per day (1.40 = +40%).
_CONSOLIDATING = (
    ("Staffordshire Police", "Staffordshire", "Staffs", "staffordshire",
     ("Stafford", "Stoke-on-Trent", "Tamworth", "Lichfield", "Burton upon Trent", "Leek",
      "Cannock"), 3, 2, 1600, date(2025, 4, 7), 1.40),
    ("Kent Police", "Kent", "Kent", "kent",
     ("Maidstone", "Canterbury", "Dover", "Ashford", "Folkestone", "Margate", "Sevenoaks"),
     4, 3, 700, date(2025, 8, 4), 1.15),
    ("Sussex Police", "Sussex", "Sussex", "sussex",
     ("Crawley", "Worthing", "Eastbourne", "Hastings", "Chichester", "Horsham", "Lewes"),
     5, 4, 1300, date(2025, 10, 6), 0.80),
    ("Hampshire Constabulary", "Hampshire", "Hants", "hampshire",
     ("Winchester", "Basingstoke", "Andover", "Fareham", "Eastleigh", "Havant", "Romsey"),
     5, 5, 500, date(2026, 3, 2), 1.05),
)  # fmt: skip
# After the event the district accounts post this many times as often; their engagement per
# post is set so that the organisation's total engagement per day changes by the effect.
_CONSOLIDATING_POSTS_GAIN = 1.2


def planted_consolidation_effects() -> dict[str, float]:
    """Organisation -> planted change of total engagement per day at its consolidation, for
    every consolidating organisation of the default scenario (1.0: no effect)."""
    effects = {NORFOLK: CONSOLIDATION_EFFECT}
    effects |= {row[0]: 1.0 for row in _REGIONAL if row[-1] is not None}
    effects |= {row[0]: row[-1] for row in _CONSOLIDATING}
    return effects


def _planted(accounts: list[ScenarioAccount], event: date, effect: float):
    """Close the officers at ``event`` and set the districts' after-event rates so that the
    expected total engagement per day is ``effect`` times what it was (every account posts
    steadily until the event)."""
    daily = {a.username: a.posts_per_day * a.engagement_per_post for a in accounts}
    force = sum(daily[a.username] for a in accounts if a.kind == "force")
    districts = sum(daily[a.username] for a in accounts if a.kind == "district")
    per_post_gain = (effect * sum(daily.values()) - force) / (_CONSOLIDATING_POSTS_GAIN * districts)
    if per_post_gain <= 0:
        raise ValueError("consolidation effect cannot be planted with these rates")
    return [
        replace(
            a,
            posts_per_day_after=round(a.posts_per_day * _CONSOLIDATING_POSTS_GAIN, 4),
            engagement_per_post_after=round(a.engagement_per_post * per_post_gain, 4),
        )
        if a.kind == "district"
        else a
        for a in accounts
    ]


def _consolidating_account(
    organisation: str, area: str, mail: str, kind: str, handle: str, display: str,
    rng: random.Random, per_post: float, event: date, successor: str | None, index: int,
) -> ScenarioAccount:  # fmt: skip
    followers = {"force": 30000, "district": 6000, "officer": 900}[kind]
    followers = int(followers * rng.uniform(0.7, 1.3))
    return ScenarioAccount(
        organisation=organisation,
        platform="x",
        username=handle,
        user_id=user_id_of(handle),
        display_name=display,
        kind=kind,
        area=area,
        owner_email=f"{re.sub(r'[^a-z]+', '.', display.lower()).strip('.')}@{mail}",
        opened_on=date(2016, 1, 4) + timedelta(days=rng.randrange(3 * 365)),
        closed_on=event if kind == "officer" else None,
        successor_ref=successor,
        followers_count=followers,
        last_post_date=event - timedelta(days=1) if kind == "officer" else DEFAULT_END,
        in_area_share=round(rng.uniform(0.5, 0.75), 2),
        posts_per_day=_REGIONAL_RATE[kind],
        engagement_per_post=per_post,
        change_date=event if kind == "district" else None,
        location=f"{area}, UK",
        description=f"{display}: news and appeals. Not monitored 24/7.",
        verified=kind != "officer",
        index=index,
        **_extras(rng, followers),
    )


def _consolidating_organisations(
    first_index: int, used: set[str]
) -> tuple[list[ScenarioOrganisation], list[ScenarioAccount], dict[str, tuple[str, ...]]]:
    """Four further organisations, 6 to 11 X accounts each, whose consolidation changes their
    expected engagement per day by a planted effect (+40%, +15%, -20%, +5%): the events the
    pooled national finding (marts.consolidation_effect_pooled) averages. Independent of the
    seed, like the regional organisations."""
    organisations, accounts, gazetteer = [], [], {}
    index = first_index
    for (
        name,
        area,
        short,
        domain,
        towns,
        n_districts,
        n_officers,
        per_day,
        event,
        effect,
    ) in _CONSOLIDATING:
        rng = random.Random(f"consolidating:{name}")
        mail = f"{domain}-police.example"
        gazetteer[area] = (area, *towns)
        organisations.append(
            ScenarioOrganisation(
                name=name,
                area=area,
                comms_email=f"comms@{mail}",
                consolidation_date=event,
                consolidation_description=(
                    f"{n_officers} officer accounts closed into {n_districts} district accounts"
                ),
            )
        )
        members = [("force", short, name)]
        members += [("district", t, f"{t} Police") for t in towns[:n_districts]]
        for _ in range(n_officers):
            rank, first, surname = (
                rng.choice(_RANKS),
                rng.choice(FIRST_NAMES),
                rng.choice(LAST_NAMES),
            )
            members.append(("officer", f"{rank}{first}{surname}", f"{rank} {first} {surname}"))
        weight_sum = sum(_REGIONAL_WEIGHT[kind] for kind, _, _ in members)
        org_accounts: list[ScenarioAccount] = []
        districts: list[str] = []
        for kind, tag, display in members:
            squeezed = re.sub(r"[^A-Za-z]", "", tag.title() if kind == "district" else tag)
            handle = _handle([f"{squeezed}Police", f"{squeezed}Pol", squeezed[:12]], used, rng)
            if kind == "district":
                districts.append(handle)
            rate = _REGIONAL_RATE[kind]
            per_post = round(per_day * _REGIONAL_WEIGHT[kind] / weight_sum / rate, 2)
            successor = districts[len(org_accounts) % len(districts)] if kind == "officer" else None
            org_accounts.append(
                _consolidating_account(
                    name,
                    area,
                    mail,
                    kind,
                    handle,
                    display,
                    rng,
                    per_post,
                    event,
                    successor,
                    index,
                )  # fmt: skip
            )
            index += 1
        accounts += _planted(org_accounts, event, effect)
    return organisations, accounts, gazetteer


def default_scenario(
    seed: int = 42, extra_organisations: int = 0, posts_per_day: float = 2.0
) -> Scenario:
    """The SPEC §1 scenario: Norfolk Constabulary and 17 further organisations.

    History runs 2024-01-01 .. 2026-10-31 (the sandbox's now). Norfolk has 1 force, 7
    district and 12 officer accounts on X, a Facebook page and an Instagram account (both
    kind ``force``). At the review date 2026-03-31, 6 of the 12 officer accounts last posted
    more than 30 days before (31, 45, 90, 150 and 300 days, and one never posted) and 6
    within 30 days (30, 20, 10, 5, 2 and 1 days). Follower samples of the first 1,000
    followers put exactly 72 % (districts) and 48 % (officers) of the followers with a
    known location in Norfolk. On 2026-05-01 all officer accounts close into a district
    account; districts then post more and the organisation's expected engagement per day
    rises by 25 %. The Facebook page's top-45 city breakdown puts 37,333 of 50,450 listed
    followers (74 %) in Norfolk, of 61,870 followers; Instagram's 6,322 of 10,900 (58 %),
    of 14,930.

    The further organisations (:data:`_REGIONAL`) have 3 to 40 X accounts, engagement
    not correlated with their number of accounts, and 7 of the 13 a consolidation in
    2025/2026 with no planted effect; four more (:data:`_CONSOLIDATING`) consolidate with
    planted effects of +40%, +15%, -20% and +5% (:func:`planted_consolidation_effects`).
    ``extra_organisations`` adds that many synthetic
    organisations (:func:`national_scenario`'s kind) averaging ``posts_per_day`` per
    account. Results depend only on the arguments.
    """
    start, review, end = DEFAULT_START, DEFAULT_REVIEW, DEFAULT_END
    accounts = _norfolk_accounts(seed, start, review, end)
    accounts += _norfolk_graph_accounts(len(accounts), end)
    organisations = [
        ScenarioOrganisation(
            name=NORFOLK,
            area="Norfolk",
            comms_email=f"comms@{NORFOLK_DOMAIN}",
            consolidation_date=DEFAULT_CONSOLIDATION,
            consolidation_description=(
                "12 officer accounts closed; their content moves to the 7 district accounts"
            ),
        )
    ]
    gazetteer: dict[str, tuple[str, ...]] = {"Norfolk": NORFOLK_PLACES}
    used = {a.username.lower() for a in accounts if a.platform == "x"}
    regional_orgs, regional_accounts, regional_places = _regional_organisations(
        len(accounts), start, review, end, used
    )
    organisations += regional_orgs
    accounts += regional_accounts
    gazetteer.update(regional_places)
    planted_orgs, planted_accounts, planted_places = _consolidating_organisations(
        len(accounts), used
    )
    organisations += planted_orgs
    accounts += planted_accounts
    gazetteer.update(planted_places)
    from socialmetrics.sandbox.quirks import quirks_organisation

    quirks, quirk_accounts, quirk_places = quirks_organisation(len(accounts), end)
    organisations.append(quirks)
    accounts += quirk_accounts
    gazetteer.update(quirk_places)
    if extra_organisations:
        more_orgs, more_accounts, more_places = _synthetic_organisations(
            seed,
            start=start,
            review=review,
            consolidation=DEFAULT_CONSOLIDATION,
            end=end,
            posts_per_day=posts_per_day,
            organisations=extra_organisations,
            first_index=len(accounts),
        )
        organisations += more_orgs
        accounts += more_accounts
        gazetteer.update(more_places)
    _check_locations(gazetteer)
    scenario = Scenario(
        seed=seed,
        name="default",
        start_date=start,
        review_date=review,
        consolidation_date=DEFAULT_CONSOLIDATION,
        end_date=end,
        organisations=tuple(organisations),
        accounts=tuple(accounts),
        gazetteer=gazetteer,
        extra_organisations=extra_organisations,
        posts_per_day=posts_per_day,
    )
    _check_breakdowns(scenario)
    return scenario


# -- synthetic organisations (national scale) --------------------------------------------------

_AREA_HEADS = (
    "Ash Bram Cal Dun Elder Fen Glen Hazel Ivy Kes Lark Moss Nettle Oaken Pil Quar Rush "
    "Sedge Thistle Umber Vern Willow Yew Zel"
).split()
_AREA_TAILS = (
    "mere ford ley bury wick combe field worth stead holm dale thorpe ton by well hurst "
    "wood bridge cote haven"
).split()
_AREA_QUARTERS = ("", " North", " South", " East", " West", " Central", " Vale", " Downs")
# Relative posting rates and engagement weights of the account kinds in synthetic orgs.
_KIND_RATE = {"force": 2.0, "district": 1.25, "officer": 0.6}
_KIND_WEIGHT = {"force": 3.0, "district": 1.5, "officer": 0.3}


def _synthetic_area(number: int) -> tuple[str, tuple[str, ...]]:
    heads, tails = len(_AREA_HEADS), len(_AREA_TAILS)
    base = heads * tails
    quarter, rest = divmod(number, base)
    suffix = _AREA_QUARTERS[quarter % len(_AREA_QUARTERS)]
    if quarter >= len(_AREA_QUARTERS):
        suffix += f" {quarter // len(_AREA_QUARTERS) + 1}"
    area = f"{_AREA_HEADS[rest % heads]}{_AREA_TAILS[rest // heads]}{suffix}"
    towns = tuple(
        _AREA_HEADS[(rest * 7 + 3 + k * 5) % heads] + _AREA_TAILS[(rest * 11 + 5 + k * 3) % tails]
        for k in range(2)
    )
    towns = tuple(dict.fromkeys(t for t in towns if t != area))
    return area, (area, *towns)


def _synthetic_organisations(
    seed: int,
    *,
    start: date,
    review: date,
    consolidation: date,
    end: date,
    posts_per_day: float,
    organisations: int | None = None,
    accounts_budget: int | None = None,
    first_index: int = 0,
    first_org: int = 0,
) -> tuple[list[ScenarioOrganisation], list[ScenarioAccount], dict[str, tuple[str, ...]]]:
    """Generate organisations until ``organisations`` orgs or ``accounts_budget`` accounts.

    Each organisation's expected engagement per day is drawn independently of its number of
    accounts (SPEC §1: no correlation); about a third consolidate on ``consolidation``.
    """
    orgs: list[ScenarioOrganisation] = []
    plans: list[tuple[str, str, str, int, list[dict[str, object]]]] = []
    gazetteer: dict[str, tuple[str, ...]] = {}
    total = 0
    number = first_org
    while True:
        if organisations is not None and len(orgs) >= organisations:
            break
        if accounts_budget is not None and total >= accounts_budget:
            break
        rng = random.Random(f"{seed}:org:{number}")
        area, places = _synthetic_area(number)
        gazetteer[area] = places
        slug = re.sub(r"[^a-z0-9]+", "-", area.lower()).strip("-")
        name = f"{area} Police"
        districts = rng.randint(2, 10)
        officers = rng.randint(0, 30)
        size = 1 + districts + officers
        if accounts_budget is not None and total + size > accounts_budget:
            size = accounts_budget - total
            districts = min(districts, max(0, size - 1))
            officers = max(0, size - 1 - districts)
        consolidates = officers > 0 and districts > 0 and rng.random() < 0.35
        orgs.append(
            ScenarioOrganisation(
                name=name,
                area=area,
                comms_email=f"comms@{slug}-police.example",
                consolidation_date=consolidation if consolidates else None,
                consolidation_description=(
                    f"{officers} officer accounts closed into {districts} district accounts"
                    if consolidates
                    else ""
                ),
            )
        )
        members: list[dict[str, object]] = [{"kind": "force", "n": 0}]
        members += [{"kind": "district", "n": n} for n in range(1, districts + 1)]
        members += [{"kind": "officer", "n": n} for n in range(1, officers + 1)]
        plans.append((name, area, slug, number, members[:size]))
        total += len(members[:size])
        number += 1

    all_kinds = [m["kind"] for *_, members in plans for m in members]
    mean_rate = sum(_KIND_RATE[k] for k in all_kinds) / max(1, len(all_kinds))
    accounts: list[ScenarioAccount] = []
    index = first_index
    for (name, area, slug, number, members), org in zip(plans, orgs, strict=True):
        rng = random.Random(f"{seed}:org:{number}:accounts")
        org_engagement = rng.lognormvariate(math.log(400), 0.6)  # independent of size
        weight_sum = sum(_KIND_WEIGHT[str(m["kind"])] for m in members)
        short = re.sub(r"[^A-Za-z0-9]", "", area)[:6]
        district_names = [
            f"{short}{number:04d}D{m['n']:02d}" for m in members if m["kind"] == "district"
        ]
        org_accounts = []
        for member in members:
            kind, n = str(member["kind"]), int(member["n"])
            tag = {"force": "F", "district": f"D{n:02d}", "officer": f"O{n:03d}"}[kind]
            username = f"{short}{number:04d}{tag}"
            rate = posts_per_day * _KIND_RATE[kind] / mean_rate
            share = org_engagement * _KIND_WEIGHT[kind] / weight_sum
            if kind == "force":
                followers = int(rng.lognormvariate(math.log(30000), 0.4))
                in_area = rng.uniform(0.55, 0.7)
                opened = date(2009, 1, 1) + timedelta(days=rng.randrange(6 * 365))
            elif kind == "district":
                followers = rng.randrange(2000, 15000)
                in_area = rng.uniform(0.6, 0.8)
                opened = date(2012, 1, 1) + timedelta(days=rng.randrange(8 * 365))
            else:
                followers = rng.randrange(200, 3000)
                in_area = rng.uniform(0.35, 0.6)
                opened = date(2015, 1, 1) + timedelta(days=rng.randrange(9 * 365))
            closed = successor = None
            last: date | None = end
            if kind == "officer":
                if org.consolidation_date is not None:
                    closed = org.consolidation_date
                    successor = district_names[(n - 1) % len(district_names)]
                    last = closed - timedelta(days=1)
                roll = rng.random()
                if roll < 0.05:
                    opened = start + timedelta(days=rng.randrange(max(1, (review - start).days)))
                    last = None
                elif roll < 0.35:
                    quiet = start + timedelta(days=rng.randrange(max(1, (review - start).days)))
                    last = min(quiet, review - timedelta(days=31))
                    if last < start:
                        last = None
            if closed is not None and opened >= closed:
                opened = closed - timedelta(days=1)
            if last is not None and last < max(opened, start):
                last = max(opened, start)
            after = kind == "district" and org.consolidation_date is not None
            account = ScenarioAccount(
                organisation=name,
                platform="x",
                username=username,
                user_id=user_id_of(username),
                display_name={
                    "force": f"{area} Police",
                    "district": f"{area} Police District {n}",
                    "officer": f"{rng.choice(('PC', 'PCSO', 'Sgt'))} {rng.choice(FIRST_NAMES)} "
                    f"{rng.choice(LAST_NAMES)}",
                }[kind],
                kind=kind,
                area=area,
                owner_email=f"{username.lower()}@{slug}-police.example",
                opened_on=opened,
                closed_on=closed,
                successor_ref=successor,
                followers_count=followers,
                last_post_date=last,
                in_area_share=round(in_area, 2),
                posts_per_day=round(rate, 4),
                engagement_per_post=round(max(0.5, share / rate), 3),
                posts_per_day_after=round(rate * 1.4, 4) if after else None,
                engagement_per_post_after=round(max(0.5, share / rate) * 1.1, 3) if after else None,
                change_date=org.consolidation_date if after else None,
                location=f"{area}, UK",
                index=index,
                **_extras(rng, followers),
            )
            org_accounts.append(account)
            index += 1
        accounts += org_accounts
    return orgs, accounts, gazetteer


def national_scenario(
    accounts: int = 6000, days: int = 365, posts_per_day: float = 2.0, seed: int = 42
) -> Scenario:
    """A national-scale scenario of synthetic police organisations, for benchmarks.

    Exactly ``accounts`` accounts over ``days`` days of history ending 2026-10-31, averaging
    ``posts_per_day`` posts per account per active day. Each organisation has a force
    account, 2-10 district accounts and 0-30 officer accounts; about a third consolidate
    (officers closed into districts, districts busier afterwards). Nothing is generated up
    front: posts and followers come lazily per account and day.
    """
    if accounts < 1 or days < 1:
        raise ValueError("accounts and days must be positive")
    end = DEFAULT_END
    start = end - timedelta(days=days - 1)
    review = DEFAULT_REVIEW if start + timedelta(days=31) <= DEFAULT_REVIEW else None
    review = review or start + timedelta(days=days // 2)
    consolidation = DEFAULT_CONSOLIDATION
    if not start + timedelta(days=30) <= consolidation <= end - timedelta(days=30):
        consolidation = start + timedelta(days=(2 * days) // 3)
    orgs, generated, gazetteer = _synthetic_organisations(
        seed,
        start=start,
        review=review,
        consolidation=consolidation,
        end=end,
        posts_per_day=posts_per_day,
        accounts_budget=accounts,
    )
    _check_locations(gazetteer)
    return Scenario(
        seed=seed,
        name="national",
        start_date=start,
        review_date=review,
        consolidation_date=consolidation,
        end_date=end,
        organisations=tuple(orgs),
        accounts=tuple(generated),
        gazetteer=gazetteer,
        extra_organisations=len(orgs),
        posts_per_day=posts_per_day,
    )
