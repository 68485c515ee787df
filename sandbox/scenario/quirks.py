"""An organisation of the default scenario whose accounts do what real X accounts do to a
pipeline (issue 9): one is protected, one renames its handle, one only reposts others, and
the main account mixes originals with replies, quotes and reposts.

It stands apart from the published review (Norfolk) so that the review's table stays as it
is; its accounts come after every other account of the default scenario, so no existing post
id changes.
"""

from __future__ import annotations

from datetime import date

from sandbox.scenario.accounts import ScenarioAccount, ScenarioOrganisation
from sandbox.scenario.generator import user_id_of

QUIRKS_ORGANISATION = "Waveney Vale District Council"
QUIRKS_AREA = "Waveney Vale"
QUIRKS_PLACES = ("Waveney Vale", "Bungay", "Beccles", "Halesworth", "Ditchingham", "Earsham")
QUIRKS_DOMAIN = "waveneyvale.example"
RENAMED_ON = date(2026, 6, 1)

# username, display name, kind, followers, posts per day, engagement per post, post mix
# (original, reply, quote, repost), status, former username
_ACCOUNTS = (
    ("WaveneyCouncil", "Waveney Vale Council", "council", 8200, 1.4, 18.0,
     (0.75, 0.12, 0.05, 0.08), "active", None),
    ("WaveneyParking", "Waveney Vale Parking", "service", 640, 0.3, 4.0,
     (1.0, 0.0, 0.0, 0.0), "protected", None),
    ("WaveneyEvents", "What's on in Waveney Vale", "service", 2300, 0.5, 9.0,
     (0.85, 0.1, 0.05, 0.0), "active", "BecclesEvents"),
    ("WaveneyNews", "Waveney Vale News", "service", 1500, 1.0, 6.0,
     (0.0, 0.0, 0.0, 1.0), "active", None),
)  # fmt: skip


def quirks_organisation(
    first_index: int, end: date
) -> tuple[ScenarioOrganisation, list[ScenarioAccount], dict[str, tuple[str, ...]]]:
    """The organisation, its four X accounts (indexes from ``first_index``) and its places."""
    organisation = ScenarioOrganisation(
        name=QUIRKS_ORGANISATION, area=QUIRKS_AREA, comms_email=f"comms@{QUIRKS_DOMAIN}"
    )
    accounts = []
    for number, row in enumerate(_ACCOUNTS):
        username, display, kind, followers, rate, per_post, mix, status, former = row
        accounts.append(
            ScenarioAccount(
                organisation=QUIRKS_ORGANISATION,
                platform="x",
                username=username,
                user_id=user_id_of(former or username),
                display_name=display,
                kind=kind,
                area=QUIRKS_AREA,
                owner_email=f"{username.lower()}@{QUIRKS_DOMAIN}",
                opened_on=date(2017, 3, 1 + number),
                closed_on=None,
                successor_ref=None,
                followers_count=followers,
                last_post_date=end,
                in_area_share=0.6,
                posts_per_day=rate,
                engagement_per_post=per_post,
                location="Waveney Vale, UK",
                description=f"{display}. Not monitored 24/7.",
                index=first_index + number,
                status=status,
                former_username=former,
                renamed_on=RENAMED_ON if former else None,
                post_mix=mix,
            )
        )
    return organisation, accounts, {QUIRKS_AREA: QUIRKS_PLACES}
