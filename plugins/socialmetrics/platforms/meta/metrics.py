"""The one registry of Meta Graph API insights metrics and the dates they are valid.

Meta retires insights metrics over time; once retired, asking for one fails the whole call
with error #100 ("The value must be a valid insights metric"). The pipeline asks only for
metrics valid on the day of the request (:func:`metrics_valid_on`), and the client still
survives a metric retired earlier than this registry knows (it retries metric by metric and
records the unavailable ones). When Meta announces a deprecation, set ``retired_on`` (and
``replacement``) here: nothing else needs to change.

Dates are when the API accepts the metric, not the days its data cover: a metric retired on
2025-11-15 cannot be asked for after that day even for data of 2024.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = [
    "FOLLOWER_CITY_METRICS",
    "METRICS",
    "InsightMetric",
    "follower_city_metric",
    "metric",
    "metrics_valid_on",
    "replacement_chain",
]

PAGE_DAILY = "page_daily"  # /{page-id}/insights, period=day, one number per day
PAGE_CITY = "page_city"  # /{page-id}/insights, period=day, followers by city (top 45)
IG_DEMOGRAPHICS = "ig_demographics"  # /{ig-user-id}/insights, lifetime, total_value + breakdown
IG_DAILY = "ig_daily"  # /{ig-user-id}/insights, period=day


@dataclass(frozen=True)
class InsightMetric:
    """One insights metric: valid from ``valid_from`` (None: as far back as we know) until the
    day before ``retired_on`` (None: still valid); ``replacement`` names its successor."""

    name: str
    platform: str  # "facebook" or "instagram"
    use: str  # PAGE_DAILY, PAGE_CITY, IG_DEMOGRAPHICS or IG_DAILY
    period: str
    valid_from: date | None = None
    retired_on: date | None = None
    replacement: str | None = None
    description: str = ""

    def valid_on(self, day: date) -> bool:
        """Whether the API accepts the metric on ``day``."""
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.retired_on is None or day < self.retired_on


# Meta's Page Insights deprecations: impressions-based metrics by 2025-06-15, page fans and
# impressions on 2025-11-15 (developers.facebook.com, "Page Insights API Updates",
# 2025-08-15, and the deprecated-metrics list); Instagram `impressions` on 2025-04-21.
METRICS: tuple[InsightMetric, ...] = (
    InsightMetric("page_follows", "facebook", PAGE_DAILY, "day",
                  description="followers of the page at the end of the day"),
    InsightMetric("page_daily_follows_unique", "facebook", PAGE_DAILY, "day",
                  description="people who followed the page that day"),
    InsightMetric("page_daily_unfollows_unique", "facebook", PAGE_DAILY, "day",
                  description="people who unfollowed the page that day"),
    InsightMetric("page_media_view", "facebook", PAGE_DAILY, "day",
                  description="times the page's content was played or displayed"),
    InsightMetric("page_total_media_view_unique", "facebook", PAGE_DAILY, "day",
                  description="people who saw the page's content"),
    InsightMetric("page_post_engagements", "facebook", PAGE_DAILY, "day",
                  description="reactions, comments, shares and clicks on the page's posts"),
    InsightMetric("page_fans", "facebook", PAGE_DAILY, "day",
                  retired_on=date(2025, 11, 15), replacement="page_follows",
                  description="people who liked the page (classic pages)"),
    InsightMetric("page_impressions", "facebook", PAGE_DAILY, "day",
                  retired_on=date(2025, 11, 15), replacement="page_media_view",
                  description="times any content of the page entered a screen"),
    InsightMetric("page_impressions_unique", "facebook", PAGE_DAILY, "day",
                  retired_on=date(2025, 6, 15), replacement="page_total_media_view_unique",
                  description="people who had any content of the page on screen"),
    InsightMetric("page_follows_city", "facebook", PAGE_CITY, "day",
                  description="followers by city, top 45 cities"),
    InsightMetric("page_fans_city", "facebook", PAGE_CITY, "day",
                  retired_on=date(2025, 11, 15), replacement="page_follows_city",
                  description="people who liked the page by city, top 45 cities"),
    InsightMetric("follower_demographics", "instagram", IG_DEMOGRAPHICS, "lifetime",
                  description="followers by age, city, country or gender (cities: top 45)"),
    InsightMetric("impressions", "instagram", IG_DAILY, "day",
                  retired_on=date(2025, 4, 21), replacement="views",
                  description="times the account's media were viewed"),
)  # fmt: skip

_BY_NAME = {(m.platform, m.name): m for m in METRICS}
FOLLOWER_CITY_METRICS = {"facebook": PAGE_CITY, "instagram": IG_DEMOGRAPHICS}


def metric(name: str, platform: str = "facebook") -> InsightMetric:
    """The registry entry of a metric; KeyError names the metric when it is unknown."""
    try:
        return _BY_NAME[(platform, name)]
    except KeyError:
        raise KeyError(f"{platform} insights metric {name!r} is not in the registry") from None


def metrics_valid_on(platform: str, day: date, use: str = PAGE_DAILY) -> list[str]:
    """Names of the ``platform``'s metrics of one ``use`` the API accepts on ``day``, in
    registry order."""
    return [m.name for m in METRICS if m.platform == platform and m.use == use and m.valid_on(day)]


def follower_city_metric(platform: str, day: date) -> str | None:
    """The metric that gives followers by city on ``day`` (Facebook ``page_follows_city``,
    Instagram ``follower_demographics``), or ``None`` when none is valid."""
    names = metrics_valid_on(platform, day, FOLLOWER_CITY_METRICS[platform])
    return names[0] if names else None


def replacement_chain(name: str, platform: str = "facebook") -> list[str]:
    """The metric and its successors, oldest first (``page_fans`` -> ``page_follows``)."""
    chain = [name]
    current = metric(name, platform)
    while current.replacement and current.replacement not in chain:
        chain.append(current.replacement)
        key = (platform, current.replacement)
        if key not in _BY_NAME:
            break
        current = _BY_NAME[key]
    return chain
