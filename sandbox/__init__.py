"""The platform sandbox: a local X API v2 and Meta Graph API server over a deterministic
scenario (docs/decisions/0003-sandbox-instead-of-mocks.md).

``python -m sandbox serve`` runs it; tests and the demo use
:class:`SandboxServer` directly. Scenarios come from :func:`default_scenario` (the Norfolk
review, docs/design.md#1-the-problem) and :func:`national_scenario` (benchmark scale).
"""

from sandbox.faults import ALL_KINDS, DEFAULT_KINDS, FaultConfig
from sandbox.scenario import (
    CityBreakdown,
    Scenario,
    ScenarioAccount,
    ScenarioFollower,
    ScenarioOrganisation,
    ScenarioPost,
    default_scenario,
    national_scenario,
)
from sandbox.server import SandboxServer

__all__ = [
    "ALL_KINDS",
    "DEFAULT_KINDS",
    "CityBreakdown",
    "FaultConfig",
    "SandboxServer",
    "Scenario",
    "ScenarioAccount",
    "ScenarioFollower",
    "ScenarioOrganisation",
    "ScenarioPost",
    "default_scenario",
    "national_scenario",
]
