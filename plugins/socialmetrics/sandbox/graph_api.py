"""Meta Graph API request handling of the sandbox: Facebook pages and Instagram accounts.

Pure functions of a :class:`~socialmetrics.sandbox.scenario.Scenario` and the request: no
sockets, no clock. The HTTP layer (:mod:`socialmetrics.sandbox.server`) adds the access
token check, rate limits, usage headers and faults around :meth:`GraphApi.answer`.

Paths carry the API version, as the ``meta_graph_api`` connection's base URL does
(``/v24.0/{page-id}/posts``). Served, with the real answer shapes:

- ``GET /{page-id}?fields=name,followers_count,fan_count,...``
- ``GET /{page-id}/posts?since=&until=&limit=&after=&fields=id,created_time,message,shares,
  reactions.summary(true).limit(0),comments.summary(true).limit(0)``: newest first,
  ``paging.cursors.{before,after}`` and ``paging.next`` (absent on the last page);
- ``GET /{page-id}/insights?metric=a,b&period=day&since=&until=``: one object per metric
  with a ``values`` array of ``{"value", "end_time"}``, ``end_time`` being the end of the
  day in Pacific time (as Facebook reports days); at most 90 days per call; data for the
  last two years (730 days) before the sandbox's now; ``paging.previous/next`` shift the
  range as Graph's insights paging does;
- ``GET /{ig-user-id}?fields=followers_count,media_count,...`` and ``/{ig-user-id}/media``
  (cursor paging as for posts);
- ``GET /{ig-user-id}/insights?metric=follower_demographics&period=lifetime&
  metric_type=total_value&breakdown=city`` (top 45 cities; also ``country``, ``age``,
  ``gender``).

Errors are Graph error bodies ``{"error": {"message", "type", "code", "error_subcode",
"fbtrace_id"}}``. A metric retired on or before the sandbox's now (:data:`GRAPH_METRICS`)
answers ``(#100) The value must be a valid insights metric`` every time, in whatever
company it is asked for: a permanent property of the metric, not a random fault.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from socialmetrics.sandbox.scenario import Scenario, ScenarioAccount, ScenarioPost

__all__ = [
    "GRAPH_ENDPOINTS",
    "GRAPH_METRICS",
    "IG_INSIGHTS",
    "IG_MEDIA",
    "IG_USER",
    "INSIGHTS_MAX_DAYS",
    "PAGE",
    "PAGE_INSIGHTS",
    "PAGE_POSTS",
    "GraphApi",
    "GraphMetric",
    "GraphRoute",
    "graph_error",
    "match_graph_route",
]

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

_GRAPH_PATH = re.compile(r"^/(v\d+\.\d+)/([^/]+)(?:/([^/]+))?/?$")
_VERSIONED = re.compile(r"^/v\d+\.\d+(/|$)")
_NODE_ID = re.compile(r"^[0-9]{1,20}$")


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
_BREAKDOWNS = ("age", "city", "country", "gender")
_TIMEFRAMES = (
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
_REACTION_TYPES = ("LIKE", "LIKE", "LIKE", "LOVE", "CARE", "WOW", "HAHA", "SAD")
_COMMENTS = (
    "Thank you for all you do 👏",
    "Shared.",
    "Well done everyone",
    "Is this near the school?",
    "Great work 👍",
    "Stay safe out there",
)


# -- routes and errors ---------------------------------------------------------------------


@dataclass(frozen=True)
class GraphRoute:
    """A matched Graph path: endpoint template, API version, node id, edge, the account."""

    endpoint: str
    version: str
    node_id: str
    edge: str | None = None
    account: ScenarioAccount | None = field(default=None, compare=False)


@dataclass(frozen=True)
class GraphAnswer:
    """HTTP status and JSON body of one answer."""

    status: int
    body: dict[str, Any]


def is_graph_path(path: str) -> bool:
    """True for any path under a Graph version prefix (``/v24.0/...``)."""
    return bool(_VERSIONED.match(path))


def match_graph_route(path: str, scenario: Scenario) -> GraphRoute | None:
    """The Graph endpoint of a versioned path, or ``None`` for a path of another shape."""
    found = _GRAPH_PATH.match(path)
    if found is None:
        return None
    version, node_id, edge = found.groups()
    account = scenario.graph_account(node_id) if _NODE_ID.match(node_id) else None
    if account is None:
        return GraphRoute(UNKNOWN_EDGE if edge else UNKNOWN_NODE, version, node_id, edge)
    facebook = account.platform == "facebook"
    if edge is None:
        endpoint = PAGE if facebook else IG_USER
    elif edge == "insights":
        endpoint = PAGE_INSIGHTS if facebook else IG_INSIGHTS
    elif edge == "posts" and facebook:
        endpoint = PAGE_POSTS
    elif edge == "media" and not facebook:
        endpoint = IG_MEDIA
    else:
        endpoint = UNKNOWN_EDGE
    return GraphRoute(endpoint, version, node_id, edge, account)


def fbtrace_id(*parts: object) -> str:
    """An fbtrace_id-like opaque string (11 characters), stable for the same parts."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return base64.b64encode(digest).decode()[:11].replace("+", "A").replace("/", "B")


def graph_error(
    code: int,
    message: str,
    trace: str,
    *,
    subcode: int | None = None,
    error_type: str = "OAuthException",
    is_transient: bool | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A Graph API error body."""
    error: dict[str, Any] = {"message": message, "type": error_type, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if is_transient is not None:
        error["is_transient"] = is_transient
    error.update(extra)
    error["fbtrace_id"] = trace
    return {"error": error}


class _GraphFailure(Exception):
    def __init__(self, code: int, message: str, subcode: int | None = None, **extra: Any):
        super().__init__(message)
        self.code = code
        self.message = message
        self.subcode = subcode
        self.extra = extra


def _nonexisting_field(name: str, node_type: str) -> _GraphFailure:
    return _GraphFailure(
        100, f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})"
    )


# -- fields with modifiers: reactions.summary(true).limit(0){id,type} ------------------------


@dataclass(frozen=True)
class FieldSpec:
    """One requested field: its name, modifiers (``summary``, ``limit`` ...) and subfields."""

    name: str
    modifiers: dict[str, str]
    subfields: str = ""


def parse_fields(raw: str | None) -> list[FieldSpec]:
    """Split a Graph ``fields`` value into field specs (commas inside () and {} kept)."""
    if not raw:
        return []
    parts, depth, current = [], 0, ""
    for ch in raw:
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    specs = []
    for part in parts:
        part = part.strip()
        if not part:
            continue
        subfields = ""
        if part.endswith("}") and "{" in part:
            part, subfields = part[: part.index("{")], part[part.index("{") + 1 : -1]
        name, *mods = part.split(".")
        modifiers = {}
        for mod in mods:
            found = re.fullmatch(r"(\w+)\((.*)\)", mod)
            if found is None:
                raise _GraphFailure(
                    100,
                    f'(#100) Syntax error "Expected \\"(\\" instead of end of string." '
                    f"at character {len(raw)}: {raw}",
                )
            modifiers[found.group(1)] = found.group(2)
        specs.append(FieldSpec(name.strip(), modifiers, subfields))
    return specs


# -- the API ------------------------------------------------------------------------------


class GraphApi:
    """Answers Graph API GETs from a scenario.

    ``answer(route, query, base)`` takes the query as parsed by :func:`urllib.parse.parse_qs`
    (without the access token) and the URL prefix for ``paging.next`` links (scheme, host and
    version, e.g. ``http://127.0.0.1:8765/v24.0``). ``keep`` are query parameters to repeat in
    paging links (the server passes the ``access_token``, as Graph does). Cursors are opaque
    and signed with a key from the scenario's seed.
    """

    def __init__(self, scenario: Scenario, clock: Callable[[], datetime] | None = None) -> None:
        self.scenario = scenario
        self.clock = clock or (lambda: scenario.now)
        self._key = hashlib.sha256(f"sandbox-graph-cursor:{scenario.seed}".encode()).digest()

    @property
    def today(self) -> date:
        """The last whole day before the clock's moment: insights exist for whole days."""
        return self.clock().astimezone(UTC).date() - timedelta(days=1)

    def _settled(self, post: ScenarioPost) -> ScenarioPost:
        """``post`` with the counts it has at the clock's moment (they grow for days)."""
        metrics = post.public_metrics(self.clock())
        return replace(
            post,
            like_count=metrics["like_count"],
            reply_count=metrics["reply_count"],
            retweet_count=metrics["retweet_count"],
        )

    # -- dispatch ----------------------------------------------------------------------

    def answer(
        self,
        route: GraphRoute,
        query: Mapping[str, Sequence[str]],
        base: str,
        *,
        keep: Mapping[str, str] | None = None,
        trace: str = "",
    ) -> GraphAnswer:
        params = {name: values[-1] for name, values in query.items() if values}
        try:
            account = route.account
            if route.endpoint == UNKNOWN_NODE or (account is None and route.edge):
                raise _GraphFailure(
                    100,
                    f"Unsupported get request. Object with ID '{route.node_id}' does not exist, "
                    "cannot be loaded due to missing permissions, or does not support this "
                    "operation. Please read the Graph API documentation at "
                    "https://developers.facebook.com/docs/graph-api",
                    33,
                    error_type="GraphMethodException",
                )
            assert account is not None
            if route.endpoint == UNKNOWN_EDGE:
                node_type = "Page" if account.platform == "facebook" else "IGUser"
                raise _nonexisting_field(route.edge or "", node_type)
            links = _Links(base, route, params, dict(keep or {}))
            if route.endpoint == PAGE:
                return GraphAnswer(200, self._page(account, params))
            if route.endpoint == IG_USER:
                return GraphAnswer(200, self._ig_user(account, params))
            if route.endpoint == PAGE_POSTS:
                return GraphAnswer(200, self._posts(account, params, links, media=False))
            if route.endpoint == IG_MEDIA:
                return GraphAnswer(200, self._posts(account, params, links, media=True))
            if route.endpoint == PAGE_INSIGHTS:
                return GraphAnswer(200, self._page_insights(account, params, links))
            return GraphAnswer(200, self._ig_insights(account, params))
        except _GraphFailure as failure:
            error_type = failure.extra.pop("error_type", "OAuthException")
            body = graph_error(
                failure.code,
                failure.message,
                trace,
                subcode=failure.subcode,
                error_type=error_type,
                **failure.extra,
            )
            return GraphAnswer(400, body)

    # -- nodes -------------------------------------------------------------------------

    def _node_fields(
        self, params: Mapping[str, str], allowed: Sequence[str], default: Sequence[str], kind: str
    ) -> list[str]:
        specs = parse_fields(params.get("fields"))
        names = [s.name for s in specs] or list(default)
        for name in names:
            if name not in allowed:
                raise _nonexisting_field(name, kind)
        return list(dict.fromkeys(names))

    def _page(self, account: ScenarioAccount, params: Mapping[str, str]) -> dict[str, Any]:
        fields = self._node_fields(params, PAGE_FIELDS, ("name", "id"), "Page")
        values: dict[str, Any] = {
            "about": account.description,
            "category": "Police Station",
            "fan_count": int(self.scenario.followers_at(account, self.clock()) * 0.88),
            "followers_count": self.scenario.followers_at(account, self.clock()),
            "is_published": True,
            "link": f"https://www.facebook.com/{account.username}",
            "name": account.display_name,
            "talking_about_count": int(account.followers_count * 0.021),
            "username": account.username,
            "verification_status": "blue_verified" if account.verified else "not_verified",
            "website": f"https://www.{account.owner_email.split('@')[-1]}",
        }
        page = {name: values[name] for name in fields if name != "id"}
        page["id"] = account.user_id
        return page

    def _ig_user(self, account: ScenarioAccount, params: Mapping[str, str]) -> dict[str, Any]:
        fields = self._node_fields(params, IG_USER_FIELDS, ("id",), "IGUser")
        values: dict[str, Any] = {
            "biography": account.description,
            "followers_count": self.scenario.followers_at(account, self.clock()),
            "follows_count": 40 + account.index % 200,
            "ig_id": int(account.user_id) % 10_000_000_000,
            "media_count": self.scenario.post_count(account, self.today),
            "name": account.display_name,
            "profile_picture_url": f"https://scontent.cdninstagram.com/v/{account.user_id}.jpg",
            "username": account.username,
            "website": f"https://www.{account.owner_email.split('@')[-1]}",
        }
        user = {name: values[name] for name in fields if name != "id"}
        user["id"] = account.user_id
        return user

    # -- posts and media (cursor paging, newest first) ------------------------------------

    def _posts(
        self, account: ScenarioAccount, params: Mapping[str, str], links: _Links, *, media: bool
    ) -> dict[str, Any]:
        kind = "IGMedia" if media else "Post"
        allowed = MEDIA_FIELDS if media else POST_FIELDS
        default = ("id",) if media else ("created_time", "message", "id")
        specs = parse_fields(params.get("fields")) or [FieldSpec(n, {}) for n in default]
        for spec in specs:
            if spec.name not in allowed:
                raise _nonexisting_field(spec.name, kind)
        limit = _limit(params)
        since = _moment(params, "since")
        until = _moment(params, "until")
        until = self.clock() if until is None else min(until, self.clock())
        edge = "media" if media else "posts"
        after = self._cursor(params, "after", edge, account.user_id)
        before = self._cursor(params, "before", edge, account.user_id)
        if before is not None:
            # Newer than the cursor: the `limit` oldest of those, shown newest first.
            newer = self.scenario.iter_posts(
                account, start=since, end=until, min_id=before + 1, newest_first=False
            )
            page = list(_take(newer, limit + 1))
            more = len(page) > limit
            page = page[:limit][::-1]
            has_next, has_previous = True, more
        else:
            older = self.scenario.iter_posts(
                account,
                start=since,
                end=until,
                max_id=None if after is None else after - 1,
            )
            page = list(_take(older, limit + 1))
            has_next = len(page) > limit
            page = page[:limit]
            has_previous = after is not None
        render = self._media_object if media else self._post_object
        body: dict[str, Any] = {"data": [render(account, self._settled(p), specs) for p in page]}
        if page:
            first, last = page[0].id, page[-1].id
            paging: dict[str, Any] = {
                "cursors": {
                    "before": self._sign(edge, account.user_id, first),
                    "after": self._sign(edge, account.user_id, last),
                }
            }
            if has_previous:
                paging["previous"] = links.url(before=paging["cursors"]["before"])
            if has_next:
                paging["next"] = links.url(after=paging["cursors"]["after"])
            body["paging"] = paging
        return body

    def _post_object(
        self, account: ScenarioAccount, post: ScenarioPost, specs: Sequence[FieldSpec]
    ) -> dict[str, Any]:
        post_id = f"{account.user_id}_{post.id}"
        item: dict[str, Any] = {}
        for spec in specs:
            name = spec.name
            if name == "created_time":
                item[name] = _graph_time(post.created_at)
            elif name == "updated_time":
                item[name] = _graph_time(post.created_at + timedelta(minutes=post.id % 90))
            elif name == "message":
                item[name] = post.text
            elif name == "permalink_url":
                item[name] = f"https://www.facebook.com/{account.user_id}/posts/{post.id}"
            elif name == "status_type":
                item[name] = "added_photos" if post.id % 3 == 0 else "mobile_status_update"
            elif name == "is_published":
                item[name] = True
            elif name == "shares":
                if post.retweet_count:  # Graph leaves `shares` out of a post nobody shared
                    item[name] = {"count": post.retweet_count}
            elif name == "reactions":
                item[name] = self._edge_summary(
                    spec, post, post_id, post.like_count, {"viewer_reaction": "NONE"}
                )
            elif name == "comments":
                item[name] = self._edge_summary(
                    spec, post, post_id, post.reply_count, {"order": "ranked", "can_comment": True}
                )
        item["id"] = post_id
        return item

    def _edge_summary(
        self,
        spec: FieldSpec,
        post: ScenarioPost,
        post_id: str,
        total: int,
        summary_extra: dict[str, Any],
    ) -> dict[str, Any]:
        """A reactions or comments edge: up to ``limit`` items (25 by default, none with
        ``.limit(0)``) and, with ``.summary(true)``, the total count."""
        reactions = spec.name == "reactions"
        try:
            limit = int(spec.modifiers.get("limit", DEFAULT_LIMIT))
        except ValueError:
            raise _GraphFailure(100, "(#100) The limit modifier must be an integer") from None
        shown = max(0, min(limit, total, 100))
        data = []
        for k in range(shown):
            digest = int(hashlib.blake2b(f"{post_id}:{k}".encode(), digest_size=6).hexdigest(), 16)
            if reactions:
                data.append(
                    {
                        "id": str(10**14 + digest % (9 * 10**14)),
                        "name": f"Follower {digest % 100000}",
                        "type": _REACTION_TYPES[digest % len(_REACTION_TYPES)],
                    }
                )
            else:
                data.append(
                    {
                        "id": f"{post_id.split('_')[1]}_{digest % 10**15}",
                        "message": _COMMENTS[digest % len(_COMMENTS)],
                        "created_time": _graph_time(
                            post.created_at + timedelta(minutes=1 + digest % 600)
                        ),
                    }
                )
        edge: dict[str, Any] = {"data": data}
        if shown:
            edge["paging"] = {"cursors": {"before": "QVFIUk1", "after": "QVFIUkp"}}
        summary = spec.modifiers.get("summary", "").lower()
        if summary in ("true", "1", "total_count"):
            edge["summary"] = {"total_count": total, **summary_extra}
        return edge

    def _media_object(
        self, account: ScenarioAccount, post: ScenarioPost, specs: Sequence[FieldSpec]
    ) -> dict[str, Any]:
        shortcode = base64.urlsafe_b64encode(post.id.to_bytes(8, "big")).decode().rstrip("=")
        media_type = ("IMAGE", "IMAGE", "CAROUSEL_ALBUM", "VIDEO")[post.id % 4]
        values: dict[str, Any] = {
            "caption": post.text,
            "comments_count": post.reply_count,
            "is_comment_enabled": True,
            "like_count": post.like_count,
            "media_product_type": "REELS" if media_type == "VIDEO" else "FEED",
            "media_type": media_type,
            "media_url": f"https://scontent.cdninstagram.com/v/{post.id}.jpg",
            "owner": {"id": account.user_id},
            "permalink": f"https://www.instagram.com/p/{shortcode}/",
            "shortcode": shortcode,
            "timestamp": _graph_time(post.created_at),
            "username": account.username,
        }
        item = {spec.name: values[spec.name] for spec in specs if spec.name != "id"}
        item["id"] = str(post.id)
        return item

    # -- insights ---------------------------------------------------------------------

    def _metrics(self, params: Mapping[str, str], platform: str) -> list[GraphMetric]:
        raw = params.get("metric", "")
        names = [n.strip() for n in raw.split(",") if n.strip()]
        if not names:
            raise _GraphFailure(100, "(#100) The parameter metric is required")
        metrics = []
        for name in names:
            metric = GRAPH_METRICS.get(name)
            if metric is None or metric.platform != platform or not metric.served_on(self.today):
                raise _GraphFailure(100, "(#100) The value must be a valid insights metric")
            metrics.append(metric)
        return list(dict.fromkeys(metrics))

    def _page_insights(
        self, account: ScenarioAccount, params: Mapping[str, str], links: _Links
    ) -> dict[str, Any]:
        metrics = self._metrics(params, "facebook")
        period = params.get("period", "day")
        for metric in metrics:
            if period not in metric.periods:
                raise _GraphFailure(
                    100, f"(#100) Invalid period '{period}' for metric {metric.name}"
                )
        first, stop = self._insights_range(params)
        days = [first + timedelta(days=i) for i in range((stop - first).days)]
        history_start = self.today - timedelta(days=INSIGHTS_HISTORY_DAYS - 1)
        days = [d for d in days if max(history_start, self.scenario.start_date) <= d <= self.today]
        data = []
        for metric in metrics:
            values = [
                {"value": self._page_value(account, metric.name, period, d), "end_time": _end(d)}
                for d in days
            ]
            data.append(
                {
                    "name": metric.name,
                    "period": period,
                    "values": values,
                    "title": metric.title,
                    "description": metric.description,
                    "id": f"{account.user_id}/insights/{metric.name}/{period}",
                }
            )
        span = stop - first
        return {
            "data": data,
            "paging": {
                "previous": links.url(
                    since=_unix(first - span), until=_unix(first), replace_range=True
                ),
                "next": links.url(since=_unix(stop), until=_unix(stop + span), replace_range=True),
            },
        }

    def _insights_range(self, params: Mapping[str, str]) -> tuple[date, date]:
        since = _moment(params, "since")
        until = _moment(params, "until")
        if since is None and until is None:
            stop = self.today
            return stop - timedelta(days=2), stop
        if until is None:
            assert since is not None
            first = since.date()
            return first, min(first + timedelta(days=INSIGHTS_MAX_DAYS), self.today)
        if since is None:
            stop = until.date()
            return stop - timedelta(days=2), stop
        first, stop = since.date(), until.date()
        if stop <= first:
            raise _GraphFailure(100, "(#100) The since parameter must be before until")
        if (until - since).total_seconds() > INSIGHTS_MAX_DAYS * 86400:
            raise _GraphFailure(
                100,
                f"(#100) There cannot be more than {INSIGHTS_MAX_DAYS} days "
                f"({INSIGHTS_MAX_DAYS * 86400} s) between since and until",
            )
        return first, stop

    def _page_value(self, account: ScenarioAccount, metric: str, period: str, day: date) -> Any:
        if metric in ("page_follows_city", "page_fans_city"):
            return dict(self.scenario.city_breakdown(account).cities)
        series = self.scenario.page_metrics(account)
        offset = (day - self.scenario.start_date).days
        width = {"day": 1, "week": 7, "days_28": 28}.get(period, 1)
        lo = max(0, offset - width + 1)

        def total(name: str) -> int:
            return int(series[name][lo : offset + 1].sum())

        if metric in ("page_follows", "page_fans"):
            value = int(series["total_follows"][offset])
            return value if metric == "page_follows" else int(value * 0.88)
        if metric == "page_daily_follows_unique":
            return total("follows")
        if metric == "page_daily_unfollows_unique":
            return total("unfollows")
        if metric == "page_media_view":
            return total("views")
        if metric == "page_total_media_view_unique":
            return total("unique_views")
        if metric == "page_post_engagements":
            return total("engagements")
        if metric == "page_impressions":
            return int(total("views") * 1.2)
        if metric == "page_impressions_unique":
            return int(total("unique_views") * 1.1)
        raise _GraphFailure(100, "(#100) The value must be a valid insights metric")

    def _ig_insights(self, account: ScenarioAccount, params: Mapping[str, str]) -> dict[str, Any]:
        metrics = self._metrics(params, "instagram")
        period = params.get("period", "lifetime")
        data = []
        for metric in metrics:
            if period not in metric.periods:
                raise _GraphFailure(
                    100,
                    f"(#100) Incompatible period '{period}' for metric {metric.name}: use "
                    f"{', '.join(metric.periods)}",
                )
            if metric.name != "follower_demographics":
                raise _GraphFailure(100, "(#100) The value must be a valid insights metric")
            if params.get("metric_type") != "total_value":
                raise _GraphFailure(
                    100,
                    "(#100) The following metrics (follower_demographics) should be "
                    "specified with parameter metric_type=total_value",
                )
            timeframe = params.get("timeframe")
            if timeframe is not None and timeframe not in _TIMEFRAMES:
                raise _GraphFailure(
                    100,
                    f"(#100) timeframe must be one of the following values: "
                    f"{', '.join(_TIMEFRAMES)}",
                )
            breakdowns = [b for b in params.get("breakdown", "").split(",") if b]
            if not breakdowns:
                raise _GraphFailure(
                    100,
                    "(#100) The following metrics (follower_demographics) should be "
                    "specified with parameter breakdown",
                )
            for breakdown in breakdowns:
                if breakdown not in _BREAKDOWNS:
                    raise _GraphFailure(
                        100,
                        f"(#100) breakdown[0] must be one of the following values: "
                        f"{', '.join(_BREAKDOWNS)}",
                    )
            results = [
                {"dimension_values": [key], "value": value}
                for key, value in self.scenario.audience(account, breakdowns[0])
            ]
            data.append(
                {
                    "name": metric.name,
                    "period": period,
                    "title": metric.title,
                    "description": metric.description,
                    "total_value": {
                        "breakdowns": [{"dimension_keys": [breakdowns[0]], "results": results}]
                    },
                    "id": f"{account.user_id}/insights/{metric.name}/{period}",
                }
            )
        return {"data": data}

    # -- cursors -------------------------------------------------------------------------

    def _sign(self, edge: str, node_id: str, position: int) -> str:
        raw = f"{edge}.{node_id}.{position}".encode()
        signature = hmac.new(self._key, raw, "sha256").digest()[:6]
        return base64.urlsafe_b64encode(signature + raw).decode().rstrip("=")

    def _cursor(self, params: Mapping[str, str], name: str, edge: str, node_id: str) -> int | None:
        token = params.get(name)
        if token is None:
            return None
        try:
            decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            signature, raw = decoded[:6], decoded[6:]
            expected = hmac.new(self._key, raw, "sha256").digest()[:6]
            token_edge, token_node, position = raw.decode().split(".")
            if (
                not hmac.compare_digest(signature, expected)
                or token_edge != edge
                or token_node != node_id
            ):
                raise ValueError(token)
            return int(position)
        except (ValueError, UnicodeDecodeError):
            raise _GraphFailure(
                100, f"(#100) Invalid cursor: the `{name}` cursor is not valid for this request"
            ) from None


# -- helpers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Links:
    """Builds paging links: the request's URL with some parameters replaced."""

    base: str
    route: GraphRoute
    params: Mapping[str, str]
    keep: Mapping[str, str]

    def url(self, *, replace_range: bool = False, **changes: Any) -> str:
        params = {k: v for k, v in self.params.items() if k not in ("after", "before")}
        if replace_range:
            params.pop("since", None)
            params.pop("until", None)
        params.update(self.keep)
        params.update({k: str(v) for k, v in changes.items()})
        path = f"/{self.route.node_id}" + (f"/{self.route.edge}" if self.route.edge else "")
        return f"{self.base}{path}?{urlencode(params)}"


def _take(items, count: int):
    for number, item in enumerate(items):
        if number >= count:
            return
        yield item


def _limit(params: Mapping[str, str]) -> int:
    raw = params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit():
        raise _GraphFailure(100, "(#100) The parameter limit must be a positive integer")
    value = int(raw)
    low, high = PAGE_LIMIT
    if not low <= value <= high:
        raise _GraphFailure(100, f"(#100) The limit parameter must be between {low} and {high}")
    return value


def _moment(params: Mapping[str, str], name: str) -> datetime | None:
    """``since``/``until`` as Graph takes them: a Unix time, a date or an ISO date-time."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        if re.fullmatch(r"-?\d+", raw):
            return datetime.fromtimestamp(int(raw), tz=UTC)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        raise _GraphFailure(
            100, f"(#100) The {name} parameter is not a valid date or Unix timestamp"
        ) from None


def _graph_time(moment: datetime) -> str:
    """Graph's time format: ``2026-03-31T09:15:00+0000``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _end(day: date) -> str:
    """The end_time of a daily value: the following midnight in Pacific time, in UTC."""
    local = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=PACIFIC)
    return _graph_time(local)


def _unix(day: date) -> int:
    return int(datetime.combine(day, time(0, 0), tzinfo=UTC).timestamp())
