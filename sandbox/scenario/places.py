"""The words of a world: post texts, follower locations as people write them, place and
city names, and the checks that what is planted in an area is classified as planted."""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from sandbox.scenario.accounts import BREAKDOWN_CITIES

if TYPE_CHECKING:
    from sandbox.scenario.world import Scenario

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
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
# No letter at all, or nothing: "unknown" (docs/design.md#7-follower-locality). None means X
# omits the key.
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


def area_cities(area: str, places: Sequence[str]) -> list[tuple[str, str, str]]:
    """The towns of an area as (city, region, country), for Graph city breakdowns."""
    if area == "Norfolk":
        towns: Sequence[str] = NORFOLK_CITIES
    else:
        towns = [p for p in places if place_key(p) != place_key(area)] or [area]
    region = "Wales" if area in _WELSH_AREAS else "England"
    return [(town, region, "United Kingdom") for town in towns]


def city_name(city: str, region: str, country: str, platform: str) -> str:
    """Facebook names ``City, Region, Country``; Instagram ``City, Region``."""
    return f"{city}, {region}, {country}" if platform == "facebook" else f"{city}, {region}"


def zipf(n: int, rng: random.Random) -> list[float]:
    return [rng.uniform(0.9, 1.1) / (rank + 1) ** 1.05 for rank in range(n)]


def allocate(total: int, weights: Sequence[float]) -> list[int]:
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


def place_key(text: str | None) -> str:
    """The matching key of docs/design.md#7-follower-locality: casefold, no accents or
    apostrophes, one space per other run."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = re.sub(r"['’‘`´]", "", stripped.casefold()).replace("&", " and ")
    key = re.sub(r"[\W_]+", " ", folded).strip()
    return key if any(ch.isalpha() for ch in key) else ""


def _classify(location: str | None, places: Sequence[str]) -> str:
    key = place_key(location)
    if not key:
        return "unknown"
    padded = f" {key} "
    if any(f" {place_key(p)} " in padded for p in places if place_key(p)):
        return "in_area"
    return "outside"


def in_area_variants(area: str, places: Sequence[str]) -> list[str]:
    if area == "Norfolk":
        return list(NORFOLK_IN_AREA)
    towns = [p for p in places if p != area] or [area]
    variants = [area, f"{area}, UK", area.lower()]
    for town in towns:
        variants += [town, f"{town.upper()}, UK", f"{town.lower()}.", f"{town}, {area}"]
        variants.append(f"{town} 🏡")
    return variants


def check_breakdowns(scenario: Scenario) -> None:
    """Fail loudly if a Graph city breakdown would be classified otherwise than planted."""
    for account in scenario.accounts:
        if not account.is_graph or not account.breakdown_known:
            continue
        places = scenario.gazetteer[account.area]
        breakdown = scenario.city_breakdown(account)
        inside = sum(n for city, n in breakdown.cities if _classify(city, places) == "in_area")
        if len(breakdown.cities) != BREAKDOWN_CITIES or inside != breakdown.in_area:
            raise ValueError(f"city breakdown of {account.username} does not match its area")


def check_locations(gazetteer: Mapping[str, Sequence[str]]) -> None:
    """Fail loudly if a location would be classified differently from what was planted."""
    for area, places in gazetteer.items():
        for location in in_area_variants(area, places):
            if _classify(location, places) != "in_area":
                raise ValueError(f"in-area location {location!r} does not match area {area!r}")
        for location in OUTSIDE_LOCATIONS:
            if _classify(location, places) != "outside":
                raise ValueError(f"outside location {location!r} matches area {area!r}")
    for location in UNKNOWN_LOCATIONS:
        if place_key(location):
            raise ValueError(f"unknown location {location!r} has letters")
