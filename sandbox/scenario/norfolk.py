"""Norfolk Constabulary, the published review the default scenario reproduces: 1 force,
7 district and 12 officer accounts on X, a Facebook page and an Instagram account, and the
consolidation of 2026-05-01."""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace
from datetime import date, timedelta

from sandbox.scenario.accounts import (
    CONSOLIDATION_EFFECT,
    DEFAULT_CONSOLIDATION,
    IMPACT_WINDOW_DAYS,
    ScenarioAccount,
)
from sandbox.scenario.generator import profile_extras, user_id_of

# -- the default scenario (docs/design.md#1-the-problem) ---------------------------------------

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


def norfolk_accounts(seed: int, start: date, review: date, end: date) -> list[ScenarioAccount]:
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
            **profile_extras(rng, 40215),
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
                **profile_extras(rng, followers),
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
                **profile_extras(rng, followers),
            )
        )
    return plant_consolidation(accounts, consolidation, start)


def plant_consolidation(
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


def norfolk_graph_accounts(first_index: int, end: date) -> list[ScenarioAccount]:
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
