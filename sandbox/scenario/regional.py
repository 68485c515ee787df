"""The default scenario's regional organisations: 3 to 40 X accounts each, engagement not
correlated with their number, about half with a consolidation of no planted effect."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence
from datetime import date, timedelta

from sandbox.scenario.accounts import ScenarioAccount, ScenarioOrganisation
from sandbox.scenario.generator import profile_extras, user_id_of
from sandbox.scenario.norfolk import plant_consolidation
from sandbox.scenario.places import FIRST_NAMES, LAST_NAMES, place_key

# -- regional organisations of the default scenario (national findings) ------------------------

# organisation, area, short tag, mail domain, towns (the gazetteer beyond the area's name;
# district accounts are named after the first ones), districts, officers, departments,
# nominal engagement per day (drawn independently of the number of accounts), consolidation.
REGIONAL = (
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
REGIONAL_RATE = {"force": 1.2, "district": 0.45, "department": 0.3, "officer": 0.18}
REGIONAL_WEIGHT = {"force": 3.0, "district": 1.5, "department": 1.0, "officer": 0.3}
_DEPARTMENTS = (("Roads", "Roads Policing Unit"), ("Rural", "Rural Crime Team"))
RANKS = ("PC", "PCSO", "Sgt", "Insp")


def unique_handle(candidates: Sequence[str], used: set[str], rng: random.Random) -> str:
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


def regional_organisations(
    first_index: int, start: date, review: date, end: date, used: set[str]
) -> tuple[list[ScenarioOrganisation], list[ScenarioAccount], dict[str, tuple[str, ...]]]:
    """The default scenario's further organisations (issue 4): 3 to 40 accounts
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
    ) in REGIONAL:  # fmt: skip
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
        district_towns = [t for t in towns if place_key(t) not in ("devon", "cornwall")]
        members: list[tuple[str, int]] = [("force", 0)]
        members += [("district", n) for n in range(n_districts)]
        members += [("department", n) for n in range(n_departments)]
        members += [("officer", n) for n in range(n_officers)]
        weight_sum = sum(REGIONAL_WEIGHT[kind] for kind, _ in members)
        org_accounts: list[ScenarioAccount] = []
        district_handles: list[str] = []
        for kind, n in members:
            rate = REGIONAL_RATE[kind]
            per_post = round(per_day * REGIONAL_WEIGHT[kind] / weight_sum / rate, 2)
            closed = successor = None
            last: date | None = end
            if kind == "force":
                handle = unique_handle([f"{short}Police", f"{short}Pol", short], used, rng)
                display, mailbox = name, "digital.comms"
                followers = int(rng.lognormvariate(math.log(45000), 0.5))
                in_area = rng.uniform(0.55, 0.7)
                opened = date(2009, 1, 1) + timedelta(days=rng.randrange(3 * 365))
            elif kind == "district":
                town = district_towns[n]
                squeezed = re.sub(r"[^A-Za-z]", "", town.title())
                handle = unique_handle(
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
                handle = unique_handle([f"{short}{tag}", f"{short}{tag[:3]}"], used, rng)
                display = f"{area} {unit}"
                mailbox = tag.lower() + ".policing"
                followers = rng.randrange(3000, 20000)
                in_area = rng.uniform(0.5, 0.7)
                opened = date(2013, 1, 1) + timedelta(days=rng.randrange(6 * 365))
            else:
                rank, first, surname = (
                    rng.choice(RANKS), rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                )  # fmt: skip
                handle = unique_handle(
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
                    **profile_extras(rng, followers),
                )
            )
            index += 1
        if event is not None:
            org_accounts = plant_consolidation(
                org_accounts, event, start, effect=1.0, per_post_gain=1.0
            )
        accounts += org_accounts
    return organisations, accounts, gazetteer
