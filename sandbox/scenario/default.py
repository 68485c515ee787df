"""The default scenario: Norfolk, the regional organisations, the consolidating ones with
planted effects and the organisation whose accounts do what real ones do."""

from __future__ import annotations

from sandbox.scenario.accounts import (
    DEFAULT_CONSOLIDATION,
    DEFAULT_END,
    DEFAULT_REVIEW,
    DEFAULT_START,
    ScenarioOrganisation,
)
from sandbox.scenario.consolidating import consolidating_organisations
from sandbox.scenario.national import synthetic_organisations
from sandbox.scenario.norfolk import (
    NORFOLK,
    NORFOLK_DOMAIN,
    norfolk_accounts,
    norfolk_graph_accounts,
)
from sandbox.scenario.places import NORFOLK_PLACES, check_breakdowns, check_locations
from sandbox.scenario.quirks import quirks_organisation
from sandbox.scenario.regional import regional_organisations
from sandbox.scenario.world import Scenario


def default_scenario(
    seed: int = 42, extra_organisations: int = 0, posts_per_day: float = 2.0
) -> Scenario:
    """The default scenario: Norfolk Constabulary, whose published review it reproduces
    (docs/design.md#1-the-problem), and 17 further organisations.

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

    The further organisations (:data:`REGIONAL`) have 3 to 40 X accounts, engagement
    not correlated with their number of accounts, and 7 of the 13 a consolidation in
    2025/2026 with no planted effect; four more (:data:`_CONSOLIDATING`) consolidate with
    planted effects of +40%, +15%, -20% and +5% (:func:`planted_consolidation_effects`).
    ``extra_organisations`` adds that many synthetic
    organisations (:func:`national_scenario`'s kind) averaging ``posts_per_day`` per
    account. Results depend only on the arguments.
    """
    start, review, end = DEFAULT_START, DEFAULT_REVIEW, DEFAULT_END
    accounts = norfolk_accounts(seed, start, review, end)
    accounts += norfolk_graph_accounts(len(accounts), end)
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
    regional_orgs, regional_accounts, regional_places = regional_organisations(
        len(accounts), start, review, end, used
    )
    organisations += regional_orgs
    accounts += regional_accounts
    gazetteer.update(regional_places)
    planted_orgs, planted_accounts, planted_places = consolidating_organisations(
        len(accounts), used
    )
    organisations += planted_orgs
    accounts += planted_accounts
    gazetteer.update(planted_places)
    quirks, quirk_accounts, quirk_places = quirks_organisation(len(accounts), end)
    organisations.append(quirks)
    accounts += quirk_accounts
    gazetteer.update(quirk_places)
    if extra_organisations:
        more_orgs, more_accounts, more_places = synthetic_organisations(
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
    check_locations(gazetteer)
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
    check_breakdowns(scenario)
    return scenario
