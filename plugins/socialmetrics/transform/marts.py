"""The marts of the BI contract, as ``transform/models/marts/_marts.yml`` declares them: the
dbt models, and the statistical marts that Python writes (declared there as dbt sources)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import yaml

from socialmetrics.paths import TRANSFORM_DIR

MARTS_YML = TRANSFORM_DIR / "models" / "marts" / "_marts.yml"
STAT_MARTS_SOURCE = "stat_marts"


@dataclass(frozen=True)
class MartColumn:
    name: str
    data_type: str
    description: str
    constraints: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mart:
    name: str
    description: str
    grain: str
    columns: tuple[MartColumn, ...]
    built_by: str  # "dbt" or "python"


@cache
def declared_marts() -> tuple[Mart, ...]:
    """Every mart of ``_marts.yml``, dbt models first, in the order the file lists them."""
    spec = yaml.safe_load(MARTS_YML.read_text(encoding="utf-8"))
    entries = [(model, "dbt") for model in spec.get("models", [])]
    for source in spec.get("sources", []):
        if source["name"] == STAT_MARTS_SOURCE:
            entries += [(table, "python") for table in source.get("tables", [])]
    return tuple(
        Mart(
            name=entry["name"],
            description=" ".join(entry.get("description", "").split()),
            grain=entry.get("meta", {}).get("grain", ""),
            columns=tuple(
                MartColumn(
                    column["name"],
                    column.get("data_type", ""),
                    " ".join(column.get("description", "").split()),
                    tuple(_constraint_sql(c) for c in column.get("constraints", [])),
                )
                for column in entry.get("columns", [])
            ),
            built_by=built_by,
        )
        for entry, built_by in entries
    )


def _constraint_sql(constraint: dict) -> str:
    if constraint["type"] == "not_null":
        return "not null"
    if constraint["type"] == "check":
        return f"check ({constraint['expression']})"
    raise ValueError(f"{MARTS_YML}: constraint {constraint!r} is not one a mart uses")


def mart(name: str) -> Mart:
    """The declared mart ``name``; KeyError when ``_marts.yml`` declares none by that name."""
    for declared in declared_marts():
        if declared.name == name:
            return declared
    raise KeyError(f"{MARTS_YML} declares no mart named {name!r}")
