"""What the Graph API sandbox serves: its endpoints, the insights metrics with the dates the
platform accepts them, and the fields of each node and edge."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

PAGE = "/{page-id}"
PAGE_POSTS = "/{page-id}/posts"
PAGE_INSIGHTS = "/{page-id}/insights"
IG_USER = "/{ig-user-id}"
IG_MEDIA = "/{ig-user-id}/media"
IG_INSIGHTS = "/{ig-user-id}/insights"
UNKNOWN_NODE = "/{id}"  # an id the scenario does not have
UNKNOWN_EDGE = "/{id}/{edge}"
GRAPH_ENDPOINTS = (
    PAGE,
    PAGE_POSTS,
    PAGE_INSIGHTS,
    IG_USER,
    IG_MEDIA,
    IG_INSIGHTS,
    UNKNOWN_NODE,
    UNKNOWN_EDGE,
)

INSIGHTS_MAX_DAYS = 90  # days between since and until in one insights call
INSIGHTS_HISTORY_DAYS = 730  # insights reach back two years
PAGE_LIMIT = (1, 100)  # allowed `limit` on posts and media edges
DEFAULT_LIMIT = 25
PACIFIC = ZoneInfo("America/Los_Angeles")

GRAPH_PATH = re.compile(r"^/(v\d+\.\d+)/([^/]+)(?:/([^/]+))?/?$")
VERSIONED = re.compile(r"^/v\d+\.\d+(/|$)")
NODE_ID = re.compile(r"^[0-9]{1,20}$")


# -- metrics the sandbox knows, with the dates the platform accepts them ----------------------


@dataclass(frozen=True)
class GraphMetric:
    """An insights metric as the platform serves it: accepted from ``valid_from`` (None:
    always) until the day before ``retired_on`` (None: still served)."""

    name: str
    platform: str
    periods: tuple[str, ...]
    title: str
    description: str
    valid_from: date | None = None
    retired_on: date | None = None

    def served_on(self, day: date) -> bool:
        """Whether the API accepts this metric on ``day``."""
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.retired_on is None or day < self.retired_on


_DEPRECATED_2025_06 = date(2025, 6, 15)
_DEPRECATED_2025_11 = date(2025, 11, 15)
GRAPH_METRICS: dict[str, GraphMetric] = {
    m.name: m
    for m in (
        GraphMetric(
            "page_follows", "facebook", ("day",), "Page follows",
            "Lifetime: the number of people who follow your Page.",
        ),
        GraphMetric(
            "page_daily_follows_unique", "facebook", ("day",), "Daily new follows",
            "Daily: the number of people who followed your Page.",
        ),
        GraphMetric(
            "page_daily_unfollows_unique", "facebook", ("day",), "Daily unfollows",
            "Daily: the number of people who unfollowed your Page.",
        ),
        GraphMetric(
            "page_media_view", "facebook", ("day", "week", "days_28"), "Views",
            "Daily: the number of times your Page's content was played or displayed.",
        ),
        GraphMetric(
            "page_total_media_view_unique", "facebook", ("day", "week", "days_28"),
            "Viewers", "Daily: the number of people who saw your Page's content.",
        ),
        GraphMetric(
            "page_post_engagements", "facebook", ("day", "week", "days_28"),
            "Daily Post Engagements",
            "Daily: the number of times people engaged with your posts through reactions, "
            "comments, shares and more.",
        ),
        GraphMetric(
            "page_follows_city", "facebook", ("day",), "Follows by city",
            "Lifetime: the number of people who follow your Page, by city (top 45 cities).",
        ),
        GraphMetric(
            "page_fans", "facebook", ("day",), "Lifetime Total Likes",
            "Lifetime: the total number of people who have liked your Page.",
            retired_on=_DEPRECATED_2025_11,
        ),
        GraphMetric(
            "page_fans_city", "facebook", ("day",), "Lifetime Likes by City",
            "Lifetime: the people who like your Page, by city (top 45 cities).",
            retired_on=_DEPRECATED_2025_11,
        ),
        GraphMetric(
            "page_impressions", "facebook", ("day", "week", "days_28"),
            "Daily Total Impressions",
            "Daily: the number of times any content from or about your Page entered a "
            "person's screen.",
            retired_on=_DEPRECATED_2025_11,
        ),
        GraphMetric(
            "page_impressions_unique", "facebook", ("day", "week", "days_28"),
            "Daily Total Reach",
            "Daily: the number of people who had any content from or about your Page enter "
            "their screen.",
            retired_on=_DEPRECATED_2025_06,
        ),
        GraphMetric(
            "follower_demographics", "instagram", ("lifetime",), "Follower demographics",
            "The demographic characteristics of followers, including countries, cities and "
            "gender distribution.",
        ),
        GraphMetric(
            "impressions", "instagram", ("day",), "Impressions",
            "Total number of times the IG User's IG Media have been viewed.",
            retired_on=date(2025, 4, 21),
        ),
    )
}  # fmt: skip
BREAKDOWNS = ("age", "city", "country", "gender")
TIMEFRAMES = (
    "last_14_days",
    "last_30_days",
    "last_90_days",
    "prev_month",
    "this_month",
    "this_week",
)

PAGE_FIELDS = (
    "about",
    "category",
    "fan_count",
    "followers_count",
    "id",
    "is_published",
    "link",
    "name",
    "talking_about_count",
    "username",
    "verification_status",
    "website",
)
POST_FIELDS = (
    "comments",
    "created_time",
    "id",
    "is_published",
    "message",
    "permalink_url",
    "reactions",
    "shares",
    "status_type",
    "updated_time",
)
IG_USER_FIELDS = (
    "biography",
    "followers_count",
    "follows_count",
    "id",
    "ig_id",
    "media_count",
    "name",
    "profile_picture_url",
    "username",
    "website",
)
MEDIA_FIELDS = (
    "caption",
    "comments_count",
    "id",
    "is_comment_enabled",
    "like_count",
    "media_product_type",
    "media_type",
    "media_url",
    "owner",
    "permalink",
    "shortcode",
    "timestamp",
    "username",
)
REACTION_TYPES = ("LIKE", "LIKE", "LIKE", "LOVE", "CARE", "WOW", "HAHA", "SAD")
COMMENTS = (
    "Thank you for all you do 👏",
    "Shared.",
    "Well done everyone",
    "Is this near the school?",
    "Great work 👍",
    "Stay safe out there",
)
