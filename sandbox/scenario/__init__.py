"""Deterministic worlds served by the platform sandbox.

A :class:`Scenario` describes organisations, their accounts (X accounts, Facebook pages and
Instagram professional accounts) and the area gazetteer. Posts, followers and Graph API
insights are not stored: they are generated on demand, per (account, day) and per
(account, follower index), from the scenario's seed, so a national-scale scenario costs
nothing until a request touches it, and the same seed always gives the same data.

Randomness is always drawn from ``random.Random(f"{seed}:...")`` or a numpy generator seeded
from a hash of the seed and the account: never the global RNG, never the wall clock.

:func:`default_scenario` reproduces the published Norfolk Constabulary review
(``docs/design.md``); :func:`national_scenario` generates many synthetic organisations for
benchmarks and for the national findings.
"""

from sandbox.scenario.accounts import (
    BREAKDOWN_CITIES,
    MAX_POSTS_PER_DAY,
    PLATFORMS,
    POST_KINDS,
    REACHABLE_POSTS,
    SAMPLE_CHUNK,
    CityBreakdown,
    ScenarioAccount,
    ScenarioFollower,
    ScenarioOrganisation,
    ScenarioPost,
    settled_share,
)
from sandbox.scenario.consolidating import planted_consolidation_effects
from sandbox.scenario.default import default_scenario
from sandbox.scenario.generator import post_id_datetime, user_id_of
from sandbox.scenario.national import national_scenario
from sandbox.scenario.world import Scenario

__all__ = [
    "BREAKDOWN_CITIES",
    "MAX_POSTS_PER_DAY",
    "PLATFORMS",
    "POST_KINDS",
    "REACHABLE_POSTS",
    "SAMPLE_CHUNK",
    "CityBreakdown",
    "Scenario",
    "ScenarioAccount",
    "ScenarioFollower",
    "ScenarioOrganisation",
    "ScenarioPost",
    "default_scenario",
    "national_scenario",
    "planted_consolidation_effects",
    "post_id_datetime",
    "settled_share",
    "user_id_of",
]
