"""The platforms the pipeline reads: one package each (its client, extract and parser) and
one line each here (docs/how-to/add-a-platform.md)."""

from __future__ import annotations

from socialmetrics.platforms.connector import ConnectionUnusable, Connector
from socialmetrics.platforms.csv_export.connector import CSV_EXPORT
from socialmetrics.platforms.meta.connector import META
from socialmetrics.platforms.x.connector import X

CONNECTORS: tuple[Connector, ...] = (X, META, CSV_EXPORT)

__all__ = [
    "CONNECTORS",
    "ConnectionUnusable",
    "Connector",
    "connector_named",
    "connector_of_platform",
    "platform_name",
    "registry_platforms",
]


def connector_named(name: str) -> Connector:
    """The registered connector called ``name`` (a batch's ``connector``)."""
    for connector in CONNECTORS:
        if connector.name == name:
            return connector
    raise KeyError(f"no connector {name!r}; registered: {[c.name for c in CONNECTORS]}")


def connector_of_platform(platform: str) -> Connector | None:
    """The connector whose API reads accounts of the registry platform ``platform``."""
    return next((c for c in CONNECTORS if platform in c.platforms), None)


def registry_platforms() -> tuple[str, ...]:
    """Every registry ``platform`` value some connector reads, in registration order."""
    return tuple(platform for connector in CONNECTORS for platform in connector.platforms)


def platform_name(platform: str) -> str:
    """How people name a platform (``X``, ``Facebook``)."""
    connector = connector_of_platform(platform)
    return connector.platforms[platform] if connector else platform
