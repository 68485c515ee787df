"""Graph API sandbox plumbing: matching paths to endpoints, Graph error bodies, the field
syntax with modifiers (``reactions.summary(true).limit(0)``), paging links and times."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from sandbox.graph_schema import (
    DEFAULT_LIMIT,
    GRAPH_PATH,
    IG_INSIGHTS,
    IG_MEDIA,
    IG_USER,
    NODE_ID,
    PACIFIC,
    PAGE,
    PAGE_INSIGHTS,
    PAGE_LIMIT,
    PAGE_POSTS,
    UNKNOWN_EDGE,
    UNKNOWN_NODE,
    VERSIONED,
)
from sandbox.scenario import Scenario, ScenarioAccount

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
    return bool(VERSIONED.match(path))


def match_graph_route(path: str, scenario: Scenario) -> GraphRoute | None:
    """The Graph endpoint of a versioned path, or ``None`` for a path of another shape."""
    found = GRAPH_PATH.match(path)
    if found is None:
        return None
    version, node_id, edge = found.groups()
    account = scenario.graph_account(node_id) if NODE_ID.match(node_id) else None
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


class GraphFailure(Exception):
    def __init__(self, code: int, message: str, subcode: int | None = None, **extra: Any):
        super().__init__(message)
        self.code = code
        self.message = message
        self.subcode = subcode
        self.extra = extra


def nonexisting_field(name: str, node_type: str) -> GraphFailure:
    return GraphFailure(
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
                raise GraphFailure(
                    100,
                    f'(#100) Syntax error "Expected \\"(\\" instead of end of string." '
                    f"at character {len(raw)}: {raw}",
                )
            modifiers[found.group(1)] = found.group(2)
        specs.append(FieldSpec(name.strip(), modifiers, subfields))
    return specs


# -- helpers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PagingLinks:
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


def take(items, count: int):
    for number, item in enumerate(items):
        if number >= count:
            return
        yield item


def page_limit(params: Mapping[str, str]) -> int:
    raw = params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit():
        raise GraphFailure(100, "(#100) The parameter limit must be a positive integer")
    value = int(raw)
    low, high = PAGE_LIMIT
    if not low <= value <= high:
        raise GraphFailure(100, f"(#100) The limit parameter must be between {low} and {high}")
    return value


def query_moment(params: Mapping[str, str], name: str) -> datetime | None:
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
        raise GraphFailure(
            100, f"(#100) The {name} parameter is not a valid date or Unix timestamp"
        ) from None


def graph_time(moment: datetime) -> str:
    """Graph's time format: ``2026-03-31T09:15:00+0000``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def day_end(day: date) -> str:
    """The end_time of a daily value: the following midnight in Pacific time, in UTC."""
    local = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=PACIFIC)
    return graph_time(local)


def unix_day(day: date) -> int:
    return int(datetime.combine(day, time(0, 0), tzinfo=UTC).timestamp())
