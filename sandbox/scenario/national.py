"""National-scale scenarios: many synthetic organisations, for the benchmark."""

from __future__ import annotations

import math
import random
import re
from datetime import date, timedelta

from sandbox.scenario.accounts import (
    DEFAULT_CONSOLIDATION,
    DEFAULT_END,
    DEFAULT_REVIEW,
    ScenarioAccount,
    ScenarioOrganisation,
)
from sandbox.scenario.generator import profile_extras, user_id_of
from sandbox.scenario.places import FIRST_NAMES, LAST_NAMES, check_locations
from sandbox.scenario.world import Scenario

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


def synthetic_organisations(
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
    accounts (the national finding: no correlation); about a third consolidate on
    ``consolidation``.
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
                **profile_extras(rng, followers),
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
    orgs, generated, gazetteer = synthetic_organisations(
        seed,
        start=start,
        review=review,
        consolidation=consolidation,
        end=end,
        posts_per_day=posts_per_day,
        accounts_budget=accounts,
    )
    check_locations(gazetteer)
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
