"""Deterministic scenarios served by the platform sandbox (SPEC §5.4).

A :class:`Scenario` describes organisations, their accounts and the area gazetteer. Posts and
followers are not stored: they are generated on demand, per (account, day) and per
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
    "MAX_POSTS_PER_DAY",
    "REACHABLE_POSTS",
    "SAMPLE_CHUNK",
    "Scenario",
    "ScenarioAccount",
    "ScenarioFollower",
    "ScenarioOrganisation",
    "ScenarioPost",
    "default_scenario",
    "national_scenario",
    "post_id_datetime",
]

TWITTER_EPOCH_MS = 1288834974657
REACHABLE_POSTS = 3200  # X serves only the most recent 3,200 posts of a user
MAX_POSTS_PER_DAY = 63  # post ids keep 6 bits for the post's number within its day
SAMPLE_CHUNK = 1000  # follower classes are exact within each run of 1,000 followers
KNOWN_BLOCK = 25  # in-area counts are exact per 25 followers with a known location

DEFAULT_START = date(2024, 1, 1)
DEFAULT_REVIEW = date(2026, 3, 31)
DEFAULT_CONSOLIDATION = date(2026, 5, 1)
DEFAULT_END = date(2026, 10, 31)
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
    """One X account of a scenario and the parameters its posts and followers come from.

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

    @property
    def account_ref(self) -> str:
        """The registry's ``account_ref``: the X username without @."""
        return self.username

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
    """One generated post. ``impression_count`` is ``None`` where X would omit it."""

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

    @property
    def engagement(self) -> int:
        """Likes + replies + reposts + quotes (SPEC §7.2)."""
        return self.like_count + self.reply_count + self.retweet_count + self.quote_count

    def public_metrics(self) -> dict[str, int]:
        """The post's ``public_metrics`` object as X returns it."""
        metrics = {
            "retweet_count": self.retweet_count,
            "reply_count": self.reply_count,
            "like_count": self.like_count,
            "quote_count": self.quote_count,
            "bookmark_count": self.bookmark_count,
        }
        if self.impression_count is not None:
            metrics["impression_count"] = self.impression_count
        return metrics


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
        by_name = {a.username.lower(): a for a in self.accounts}
        by_id = {a.user_id: a for a in self.accounts}
        if len(by_name) != len(self.accounts) or len(by_id) != len(self.accounts):
            raise ValueError("usernames and user ids must be unique in a scenario")
        object.__setattr__(self, "_engine", _Engine(self, by_name, by_id))

    # -- lookups ---------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The sandbox's clock: the end of ``end_date`` (exclusive), UTC."""
        return _midnight(self.end_date + timedelta(days=1))

    def account(self, ref: str | ScenarioAccount) -> ScenarioAccount:
        """The account with this username (case-insensitive); KeyError if there is none."""
        if isinstance(ref, ScenarioAccount):
            mine = self.accounts[ref.index] if 0 <= ref.index < len(self.accounts) else None
            if mine is not ref and mine != ref:
                raise KeyError(f"{ref.username} is not an account of this scenario")
            return ref
        return self._engine.by_name[ref.lower()]

    def find_account(self, username: str) -> ScenarioAccount | None:
        """The account with this username (case-insensitive), or ``None``."""
        return self._engine.by_name.get(username.lower())

    def account_by_id(self, user_id: str) -> ScenarioAccount | None:
        """The account with this X user id, or ``None``."""
        return self._engine.by_id.get(user_id)

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
    ) -> None:
        self.scenario = scenario
        self.by_name = by_name
        self.by_id = by_id
        self.days = (scenario.end_date - scenario.start_date).days + 1
        self._counts: dict[int, np.ndarray] = {}
        self._floors: dict[int, int] = {}
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
            likes = engagement - retweets - replies - quotes
            impressions = None
            # X leaves impression_count out on some posts; about 8 % here.
            if draw() >= 0.08:
                reach = followers * (0.01 + 0.04 * draw())
                impressions = int(engagement * (30 + 50 * draw()) + reach)
            template = POST_TEMPLATES[int(draw() * len(POST_TEMPLATES))]
            text = template.format(
                place=places[int(draw() * len(places))],
                weekday=text_parts[0],
                month=text_parts[1],
                ref=f"36/{10000 + int(draw() * 89999)}{text_parts[2]}",
                n=3 + int(draw() * 37),
            )
            posts.append(
                ScenarioPost(
                    id=((midnight_ms + second * 1000) << 22) | low_bits | number,
                    user_id=account.user_id,
                    created_at=midnight + timedelta(seconds=second),
                    text=text,
                    like_count=likes,
                    reply_count=replies,
                    retweet_count=retweets,
                    quote_count=quotes,
                    bookmark_count=int(round(likes * (0.02 + 0.06 * draw()))),
                    impression_count=impressions,
                )
            )
        return tuple(posts)

    def _chunk(self, index: int, chunk: int) -> tuple[ScenarioFollower, ...]:
        """Followers ``chunk * 1000 ..`` of an account: exact class counts, then shuffled."""
        account = self.scenario.accounts[index]
        size = min(SAMPLE_CHUNK, account.followers_count - chunk * SAMPLE_CHUNK)
        if size <= 0:
            return ()
        known = KNOWN_BLOCK * round(size * (1 - account.unknown_share) / KNOWN_BLOCK)
        known = min(size, known)
        blocks, rest = divmod(known, KNOWN_BLOCK)
        in_area = blocks * round(KNOWN_BLOCK * account.in_area_share) + round(
            rest * account.in_area_share
        )
        classes = (
            ["in_area"] * in_area + ["outside"] * (known - in_area) + ["unknown"] * (size - known)
        )
        rng = random.Random(f"{self.scenario.seed}:{account.user_id}:followers:{chunk}")
        rng.shuffle(classes)
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


def post_id_datetime(post_id: int) -> datetime:
    """The UTC time encoded in a snowflake post id (millisecond precision)."""
    millis = (post_id >> 22) + TWITTER_EPOCH_MS
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def _seed_int(seed: int, *parts: object) -> int:
    text = ":".join(str(p) for p in (seed, *parts))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def _user_id(username: str) -> str:
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
            user_id=_user_id("NorfolkPolice"),
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
                user_id=_user_id(username),
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
                user_id=_user_id(username),
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
    accounts: list[ScenarioAccount], event: date, start: date
) -> list[ScenarioAccount]:
    """Set the district accounts' after-event rates so the organisation's expected total
    engagement per day over the IMPACT_WINDOW_DAYS after the event is CONSOLIDATION_EFFECT
    times that over the window before it (officers are closed at the event)."""
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
    per_post_gain = 1.10  # busier district accounts also earn a little more per post
    posts_gain = (CONSOLIDATION_EFFECT * before - others_after) / (district_before * per_post_gain)
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


def default_scenario(
    seed: int = 42, extra_organisations: int = 0, posts_per_day: float = 2.0
) -> Scenario:
    """The SPEC §1 scenario: Norfolk Constabulary with 1 force, 7 district, 12 officer accounts.

    History runs 2024-01-01 .. 2026-10-31 (the sandbox's now). At the review date
    2026-03-31, 6 of the 12 officer accounts last posted more than 30 days before (31, 45,
    90, 150 and 300 days, and one never posted) and 6 within 30 days (30, 20, 10, 5, 2 and
    1 days). Follower samples of the first 1,000 followers put exactly 72 % (districts) and
    48 % (officers) of the followers with a known location in Norfolk. On 2026-05-01 all
    officer accounts close into a district account; districts then post more and the
    organisation's expected engagement per day rises by 25 %.

    ``extra_organisations`` adds that many synthetic organisations (engagement not
    correlated with their number of accounts) averaging ``posts_per_day`` per account.
    Results depend only on the arguments.
    """
    start, review, end = DEFAULT_START, DEFAULT_REVIEW, DEFAULT_END
    accounts = _norfolk_accounts(seed, start, review, end)
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
    return Scenario(
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
                user_id=_user_id(username),
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
