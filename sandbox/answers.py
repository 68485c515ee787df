"""The canned answers of the sandbox's HTTP layer: X's auth, rate-limit and budget problem
bodies, Graph's rate-limit and per-account refusals, and the rate-limit and usage headers
both platforms attach to every answer."""

from __future__ import annotations

import json
from collections.abc import Mapping

from sandbox.graph_routes import (
    GraphRoute,
)
from sandbox.x_schema import problem

HEALTH_PATH = "/_sandbox/health"
JSON_TYPE = "application/json; charset=utf-8"

UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}
TOO_MANY_REQUESTS = problem(429, "Too Many Requests")
CLIENT_FORBIDDEN = {
    "client_id": "123",
    "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys "
    "and tokens from a Twitter developer App that is attached to a Project. You can create a "
    "project via the developer portal.",
    "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
    "title": "Client Forbidden",
    "required_enrollment": "Appropriate Level of API Access",
    "reason": "client-not-enrolled",
    "type": "https://api.twitter.com/2/problems/client-forbidden",
}
PAGE_NOT_FOUND = {"errors": [{"message": "Sorry, that page does not exist", "code": 34}]}
# The App's paid budget is spent: a monthly cap (HTTP 429) or no credits left (HTTP 402).
USAGE_CAPPED = {
    "account_id": 1234567890,
    "product_name": "standard-basic",
    "title": "UsageCapExceeded",
    "period": "Monthly",
    "scope": "Product",
    "detail": "Usage cap exceeded: Monthly product cap",
    "type": "https://api.twitter.com/2/problems/usage-capped",
}
CREDITS_DEPLETED = {
    "account_id": 1234567890,
    "title": "CreditsDepleted",
    "detail": "Your enrolled account [1234567890] does not have any credits to fulfill this "
    "request.",
    "type": "https://api.twitter.com/2/problems/credits",
}

# Graph rate-limit errors: code -> (HTTP status, message, error_subcode)
GRAPH_RATE_LIMITS = {
    4: (403, "(#4) Application request limit reached", 1504022),
    17: (400, "(#17) User request limit reached", 2446079),
    32: (400, "(#32) Page request limit reached", None),
    613: (400, "(#613) Calls to this api have exceeded the rate limit.", None),
    341: (400, "(#341) Application limit reached", None),
}


# Graph errors about one account, by fault kind: (HTTP status, code, subcode, message).
GRAPH_REFUSALS = {
    "graph_page_throttle": (
        400,
        80001,
        None,
        "(#80001) There have been too many calls to this Page account. Wait a bit and try "
        "again. For more info, please refer to "
        "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
    ),
    "graph_ig_throttle": (
        400,
        80002,
        None,
        "(#80002) There have been too many calls to this Instagram account. Wait a bit and "
        "try again. For more info, please refer to "
        "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
    ),
    "graph_permission": (
        400,
        10,
        None,
        "(#10) Application does not have permission for this action",
    ),
    "graph_invalid_parameter": (400, 100, 2108006, "Invalid parameter"),
    "graph_not_found": (400, 100, 33, "Unsupported get request"),
}


def header_token(headers: Mapping[str, str]) -> str | None:
    value = headers.get("Authorization") or headers.get("authorization") or ""
    scheme, _, credentials = value.partition(" ")
    if scheme.lower() not in ("bearer", "oauth"):
        return None
    return credentials.strip() or None


def usage_headers(route: GraphRoute, percent: int, minutes: int) -> dict[str, str]:
    """Graph's usage headers: percentages of the limits, and the minutes until access."""
    app = {"call_count": percent, "total_cputime": percent // 4, "total_time": percent // 3}
    headers = {"X-App-Usage": json.dumps(app, separators=(",", ":"))}
    if route.account is not None:
        kind = "pages" if route.account.platform == "facebook" else "instagram"
        usage = {
            route.node_id: [
                {
                    "type": kind,
                    "call_count": percent,
                    "total_cputime": percent // 4,
                    "total_time": percent // 3,
                    "estimated_time_to_regain_access": minutes,
                }
            ]
        }
        headers["X-Business-Use-Case-Usage"] = json.dumps(usage, separators=(",", ":"))
    return headers


def rate_headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": str(reset),
    }
