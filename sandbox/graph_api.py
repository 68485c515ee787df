"""Meta Graph API request handling of the sandbox: Facebook pages and Instagram accounts.

Pure functions of a :class:`~sandbox.scenario.Scenario` and the request: no
sockets, no clock. The HTTP layer (:mod:`sandbox.server`) adds the access
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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sandbox.graph_insights import GraphInsights
from sandbox.graph_routes import (
    FieldSpec,
    GraphAnswer,
    GraphFailure,
    GraphRoute,
    PagingLinks,
    graph_error,
    graph_time,
    nonexisting_field,
    page_limit,
    parse_fields,
    query_moment,
    take,
)
from sandbox.graph_schema import (
    COMMENTS,
    DEFAULT_LIMIT,
    IG_MEDIA,
    IG_USER,
    IG_USER_FIELDS,
    MEDIA_FIELDS,
    PAGE,
    PAGE_FIELDS,
    PAGE_INSIGHTS,
    PAGE_POSTS,
    POST_FIELDS,
    REACTION_TYPES,
    UNKNOWN_EDGE,
    UNKNOWN_NODE,
)
from sandbox.scenario import Scenario, ScenarioAccount, ScenarioPost

# -- the API ------------------------------------------------------------------------------


class GraphApi(GraphInsights):
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
                raise GraphFailure(
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
                raise nonexisting_field(route.edge or "", node_type)
            links = PagingLinks(base, route, params, dict(keep or {}))
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
        except GraphFailure as failure:
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
                raise nonexisting_field(name, kind)
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
        self,
        account: ScenarioAccount,
        params: Mapping[str, str],
        links: PagingLinks,
        *,
        media: bool,
    ) -> dict[str, Any]:
        kind = "IGMedia" if media else "Post"
        allowed = MEDIA_FIELDS if media else POST_FIELDS
        default = ("id",) if media else ("created_time", "message", "id")
        specs = parse_fields(params.get("fields")) or [FieldSpec(n, {}) for n in default]
        for spec in specs:
            if spec.name not in allowed:
                raise nonexisting_field(spec.name, kind)
        limit = page_limit(params)
        since = query_moment(params, "since")
        until = query_moment(params, "until")
        until = self.clock() if until is None else min(until, self.clock())
        edge = "media" if media else "posts"
        after = self._cursor(params, "after", edge, account.user_id)
        before = self._cursor(params, "before", edge, account.user_id)
        if before is not None:
            # Newer than the cursor: the `limit` oldest of those, shown newest first.
            newer = self.scenario.iter_posts(
                account, start=since, end=until, min_id=before + 1, newest_first=False
            )
            page = list(take(newer, limit + 1))
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
            page = list(take(older, limit + 1))
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
                item[name] = graph_time(post.created_at)
            elif name == "updated_time":
                item[name] = graph_time(post.created_at + timedelta(minutes=post.id % 90))
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
            raise GraphFailure(100, "(#100) The limit modifier must be an integer") from None
        shown = max(0, min(limit, total, 100))
        data = []
        for k in range(shown):
            digest = int(hashlib.blake2b(f"{post_id}:{k}".encode(), digest_size=6).hexdigest(), 16)
            if reactions:
                data.append(
                    {
                        "id": str(10**14 + digest % (9 * 10**14)),
                        "name": f"Follower {digest % 100000}",
                        "type": REACTION_TYPES[digest % len(REACTION_TYPES)],
                    }
                )
            else:
                data.append(
                    {
                        "id": f"{post_id.split('_')[1]}_{digest % 10**15}",
                        "message": COMMENTS[digest % len(COMMENTS)],
                        "created_time": graph_time(
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
            "timestamp": graph_time(post.created_at),
            "username": account.username,
        }
        item = {spec.name: values[spec.name] for spec in specs if spec.name != "id"}
        item["id"] = str(post.id)
        return item

    # -- insights ---------------------------------------------------------------------

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
            raise GraphFailure(
                100, f"(#100) Invalid cursor: the `{name}` cursor is not valid for this request"
            ) from None
