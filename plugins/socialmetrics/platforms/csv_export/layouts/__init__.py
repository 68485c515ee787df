"""The CSV layouts the export folder accepts (docs/csv_exports.md).

The platforms' own exports are recognised by their header row, whatever the file is called:
X Analytics content and account overview exports, the legacy X tweet activity export, and
Meta Business Suite's Facebook and Instagram post exports, one module each. Our own
documented layout (:mod:`.own`) is recognised by its file name.
"""

from __future__ import annotations

from socialmetrics.platforms.csv_export.layouts.layout import Layout
from socialmetrics.platforms.csv_export.layouts.meta_posts import FACEBOOK_POSTS, INSTAGRAM_POSTS
from socialmetrics.platforms.csv_export.layouts.x_content import X_CONTENT
from socialmetrics.platforms.csv_export.layouts.x_overview import X_OVERVIEW
from socialmetrics.platforms.csv_export.layouts.x_tweet_activity import X_TWEET_ACTIVITY

PLATFORM_LAYOUTS: tuple[Layout, ...] = (
    X_CONTENT,
    X_OVERVIEW,
    X_TWEET_ACTIVITY,
    FACEBOOK_POSTS,
    INSTAGRAM_POSTS,
)


def recognise(header_keys: set[str]) -> Layout | None:
    """The platform layout whose columns are all in the header (the one naming the most
    columns when several are), or None."""
    matching = [layout for layout in PLATFORM_LAYOUTS if layout.matches(header_keys)]
    return max(matching, key=lambda layout: len(layout.header), default=None)
