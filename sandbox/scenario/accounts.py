"""The things a sandbox world is made of: organisations, accounts, posts, followers and
city breakdowns, and the constants every part of the world shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

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
IMPACT_WINDOW_DAYS = 90  # window (the marts' default) over which the effect is planted


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


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
        if self.renamed_on is not None and moment < midnight(self.renamed_on):
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
    ``unknown`` (docs/design.md#7-follower-locality).
    """

    index: int
    id: str
    name: str
    username: str
    location: str | None
    location_class: str
    created_at: datetime
