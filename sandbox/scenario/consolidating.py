"""Consolidating organisations with planted effects (+40%, +15%, -20%, +5%): what the
pooled national finding must recover."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import date, timedelta

from sandbox.scenario.accounts import (
    CONSOLIDATION_EFFECT,
    DEFAULT_END,
    ScenarioAccount,
    ScenarioOrganisation,
)
from sandbox.scenario.generator import profile_extras, user_id_of
from sandbox.scenario.norfolk import NORFOLK
from sandbox.scenario.places import FIRST_NAMES, LAST_NAMES
from sandbox.scenario.regional import RANKS, REGIONAL, REGIONAL_RATE, REGIONAL_WEIGHT, unique_handle

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
    effects |= {row[0]: 1.0 for row in REGIONAL if row[-1] is not None}
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
        posts_per_day=REGIONAL_RATE[kind],
        engagement_per_post=per_post,
        change_date=event if kind == "district" else None,
        location=f"{area}, UK",
        description=f"{display}: news and appeals. Not monitored 24/7.",
        verified=kind != "officer",
        index=index,
        **profile_extras(rng, followers),
    )


def consolidating_organisations(
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
                rng.choice(RANKS),
                rng.choice(FIRST_NAMES),
                rng.choice(LAST_NAMES),
            )
            members.append(("officer", f"{rank}{first}{surname}", f"{rank} {first} {surname}"))
        weight_sum = sum(REGIONAL_WEIGHT[kind] for kind, _, _ in members)
        org_accounts: list[ScenarioAccount] = []
        districts: list[str] = []
        for kind, tag, display in members:
            squeezed = re.sub(r"[^A-Za-z]", "", tag.title() if kind == "district" else tag)
            handle = unique_handle(
                [f"{squeezed}Police", f"{squeezed}Pol", squeezed[:12]], used, rng
            )
            if kind == "district":
                districts.append(handle)
            rate = REGIONAL_RATE[kind]
            per_post = round(per_day * REGIONAL_WEIGHT[kind] / weight_sum / rate, 2)
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
