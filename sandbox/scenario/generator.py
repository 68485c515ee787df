"""How a world's posts and followers are generated on demand, from the seed: per (account,
day) and per (account, run of 1,000 followers), cached, never stored."""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from sandbox.scenario.accounts import (
    BREAKDOWN_CITIES,
    KNOWN_BLOCK,
    MAX_POSTS_PER_DAY,
    POST_KINDS,
    REACHABLE_POSTS,
    SAMPLE_CHUNK,
    TWITTER_EPOCH_MS,
    CityBreakdown,
    ScenarioAccount,
    ScenarioFollower,
    ScenarioPost,
    midnight,
)
from sandbox.scenario.places import (
    FIRST_NAMES,
    LAST_NAMES,
    MONTHS,
    OUTSIDE_CITIES,
    OUTSIDE_LOCATIONS,
    POST_TEMPLATES,
    UNKNOWN_LOCATIONS,
    WEEKDAYS,
    allocate,
    area_cities,
    city_name,
    in_area_variants,
    place_key,
    zipf,
)

if TYPE_CHECKING:
    from sandbox.scenario.world import Scenario

# -- generation engine ----------------------------------------------------------------------


class WorldGenerator:
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
            area: [p for p in places if place_key(p) != place_key(area)] or list(places)
            for area, places in scenario.gazetteer.items()
        }
        self._in_area_variants = {
            area: in_area_variants(area, places) for area, places in scenario.gazetteer.items()
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
        day_start = midnight(day)
        midnight_ms = int(day_start.timestamp()) * 1000 + (index >> 16) % 1000 - TWITTER_EPOCH_MS
        low_bits = (index & 0xFFFF) << 6  # with the millisecond above: unique across accounts
        places = self._places.get(account.area) or [account.area]
        followers = account.followers_count
        platform = account.platform
        text_parts = (WEEKDAYS[day.weekday()], MONTHS[day.month % 12], f"/{day.year % 100:02d}")
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
                created_at=day_start + timedelta(seconds=second),
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
        inside = area_cities(account.area, self.scenario.gazetteer.get(account.area, ()))
        n_in = min(len(inside), max(3, round(BREAKDOWN_CITIES * account.in_area_share)))
        n_out = BREAKDOWN_CITIES - n_in
        if n_out > len(OUTSIDE_CITIES):
            raise ValueError(f"not enough outside cities for {account.username}")
        rng = random.Random(f"{self.scenario.seed}:{account.user_id}:cities")
        outside = list(OUTSIDE_CITIES[:n_out])
        counts = allocate(in_area, zipf(n_in, rng))
        counts += allocate(known - in_area, zipf(n_out, rng))
        places = inside[:n_in] + outside
        named = [
            (city_name(city, region, country, account.platform), count)
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


def _seed_int(seed: int, *parts: object) -> int:
    text = ":".join(str(p) for p in (seed, *parts))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def user_id_of(username: str) -> str:
    """A stable numeric X user id for a username (independent of the seed)."""
    digest = hashlib.blake2b(f"x-user:{username.lower()}".encode(), digest_size=8).digest()
    return str(10**8 + int.from_bytes(digest, "big") % (1_500_000_000_000_000_000))


def profile_extras(rng: random.Random, followers: int) -> dict[str, int]:
    return {
        "following_count": rng.randrange(50, 1200),
        "listed_count": max(1, followers // rng.randrange(40, 120)),
        "like_count": rng.randrange(100, 9000),
    }
