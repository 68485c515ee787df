"""Pipeline settings from Airflow Variables (or AIRFLOW_VAR_* environment variables).

Every setting has a documented default (README 'Connections and Variables'); a value that
cannot be used raises ConfigurationError naming the Variable.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from socialmetrics.airflow_support import get_variable
from socialmetrics.errors import ConfigurationError
from socialmetrics.paths import DEMO_REGISTRY_DIR
from socialmetrics.rows import POST_KINDS


@dataclass(frozen=True)
class Settings:
    """What a run needs to know besides its data interval."""

    registry_dir: Path = DEMO_REGISTRY_DIR
    landing_dir: Path = Path(os.environ.get("AIRFLOW_HOME", "."), "landing")
    lookback_days: int = 7
    dormancy_days: dict[str, int] = field(default_factory=lambda: {"*": 30})
    follower_sample_size: int = 1000
    follower_sample_every_days: int = 7
    extract_batches: int = 4
    http_timeout_seconds: float = 10.0
    export_dir: Path | None = None
    active_post_kinds: tuple[str, ...] = ("original", "reply", "quote")
    stale_after_days: int = 3
    max_rate_limit_wait_seconds: float = 900.0
    impact_window_days: int = 90
    impact_settling_days: int = 0
    national_period_days: int = 90
    stat_resamples: int = 1999


def _integer(key: str, raw: str | None, default: int, minimum: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ConfigurationError(
            f"Airflow Variable {key!r} is {raw!r}; it must be a whole number >= {minimum}."
        )
    return value


def _seconds(key: str, raw: str | None, default: float) -> float:
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise ConfigurationError(
            f"Airflow Variable {key!r} is {raw!r}; it must be a number of seconds > 0."
        )
    return value


def _dormancy(raw: str | None) -> dict[str, int]:
    key = "socialmetrics_dormancy_days"
    if raw is None or raw == "":
        return {"*": 30}
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError:
        parsed = None
    if isinstance(parsed, int):
        parsed = {"*": parsed}
    if not isinstance(parsed, dict) or not all(
        isinstance(days, int) and days > 0 for days in parsed.values()
    ):
        raise ConfigurationError(
            f"Airflow Variable {key!r} is {raw!r}; give a number of days (30) or a JSON object "
            'by account kind, "*" for the default: {"*": 30, "officer": 45}.'
        )
    return {"*": 30, **{str(kind).lower(): days for kind, days in parsed.items()}}


def _post_kinds(raw: str | None) -> tuple[str, ...]:
    key = "socialmetrics_active_post_kinds"
    if raw is None or raw.strip() == "":
        return Settings().active_post_kinds
    kinds = tuple(dict.fromkeys(k.strip().lower() for k in raw.split(",") if k.strip()))
    unknown = [k for k in kinds if k not in POST_KINDS]
    if unknown or not kinds:
        raise ConfigurationError(
            f"Airflow Variable {key!r} is {raw!r}; give the post kinds that count as posting, "
            f"comma-separated, from {', '.join(POST_KINDS)} (default original,reply,quote)."
        )
    return kinds


def load_settings() -> Settings:
    """Read the settings from Airflow Variables, falling back to the defaults."""
    defaults = Settings()
    registry = get_variable("socialmetrics_registry_dir")
    landing = get_variable("socialmetrics_landing_dir")
    return Settings(
        registry_dir=Path(registry) if registry else defaults.registry_dir,
        landing_dir=Path(landing) if landing else defaults.landing_dir,
        lookback_days=_integer(
            "socialmetrics_lookback_days", get_variable("socialmetrics_lookback_days"), 7, 0
        ),
        dormancy_days=_dormancy(get_variable("socialmetrics_dormancy_days")),
        follower_sample_size=_integer(
            "socialmetrics_follower_sample_size",
            get_variable("socialmetrics_follower_sample_size"),
            1000,
            1,
        ),
        follower_sample_every_days=_integer(
            "socialmetrics_follower_sample_every_days",
            get_variable("socialmetrics_follower_sample_every_days"),
            7,
            1,
        ),
        extract_batches=_integer(
            "socialmetrics_extract_batches", get_variable("socialmetrics_extract_batches"), 4, 1
        ),
        export_dir=Path(export) if (export := get_variable("socialmetrics_export_dir")) else None,
        impact_window_days=_integer(
            "socialmetrics_impact_window_days",
            get_variable("socialmetrics_impact_window_days"),
            90,
            1,
        ),
        impact_settling_days=_integer(
            "socialmetrics_impact_settling_days",
            get_variable("socialmetrics_impact_settling_days"),
            0,
            0,
        ),
        national_period_days=_integer(
            "socialmetrics_national_period_days",
            get_variable("socialmetrics_national_period_days"),
            90,
            1,
        ),
        stat_resamples=_integer(
            "socialmetrics_stat_resamples", get_variable("socialmetrics_stat_resamples"), 1999, 99
        ),
        http_timeout_seconds=_seconds(
            "socialmetrics_http_timeout_seconds",
            get_variable("socialmetrics_http_timeout_seconds"),
            10.0,
        ),
        active_post_kinds=_post_kinds(get_variable("socialmetrics_active_post_kinds")),
        stale_after_days=_integer(
            "socialmetrics_stale_after_days", get_variable("socialmetrics_stale_after_days"), 3, 1
        ),
        max_rate_limit_wait_seconds=_seconds(
            "socialmetrics_max_rate_limit_wait_seconds",
            get_variable("socialmetrics_max_rate_limit_wait_seconds"),
            900.0,
        ),
    )
