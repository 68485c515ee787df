"""The sandbox's HTTP server: X API v2 and the Meta Graph API over a scenario, with auth,
rate limits and faults.

:class:`SandboxServer` runs a :class:`http.server.ThreadingHTTPServer` (one thread per
connection, HTTP/1.1 keep-alive) in a daemon thread. Paths under a version prefix
(``/v24.0/...``) are Graph API requests (:mod:`sandbox.graph_api`); the rest
are X API v2. Per request, in this order:

1. unknown path -> 404 (``/_sandbox/health`` answers without auth, for readiness checks);
2. the token missing or wrong -> X: 401; Graph: 400 with error code 104 or 190. X takes
   ``Authorization: Bearer <token>``; Graph takes that or an ``access_token`` parameter;
3. a fault, queued with :meth:`SandboxServer.inject` or drawn at the configured rate;
4. the rate limit of the endpoint (fixed window starting at its first request) -> X: 429;
   Graph: error code 4 with the usage headers at 100 %;
5. the API answer.

Every answer to an X endpoint carries ``x-rate-limit-limit``, ``x-rate-limit-remaining``
and ``x-rate-limit-reset`` (Unix seconds); every Graph answer ``X-App-Usage`` and, for a
page or Instagram account, ``X-Business-Use-Case-Usage`` (usage in % of the window's
limit, ``estimated_time_to_regain_access`` in minutes). The wall clock is used only for
rate-limit windows and ``slow`` delays, never for data.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import Counter
from collections.abc import Mapping
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox.answers import (
    CLIENT_FORBIDDEN,
    CREDITS_DEPLETED,
    GRAPH_RATE_LIMITS,
    GRAPH_REFUSALS,
    HEALTH_PATH,
    PAGE_NOT_FOUND,
    TOO_MANY_REQUESTS,
    UNAUTHORIZED,
    USAGE_CAPPED,
    header_token,
    rate_headers,
    usage_headers,
)
from sandbox.clock import SandboxClock
from sandbox.faults import GRAPH_RATE_LIMIT_CODES, FaultConfig, FaultPlan
from sandbox.graph_api import GraphApi
from sandbox.graph_routes import (
    GraphRoute,
    fbtrace_id,
    graph_error,
    is_graph_path,
    match_graph_route,
)
from sandbox.graph_schema import UNKNOWN_EDGE
from sandbox.http_handler import Reply, SandboxHTTPServer, SandboxRequestHandler, json_bytes
from sandbox.rate_limits import RateLimiter
from sandbox.scenario import Scenario
from sandbox.x_api import XApiV2
from sandbox.x_schema import USERS_BY, Route, match_route, problem

__all__ = ["HEALTH_PATH", "SandboxServer"]


class SandboxServer:
    """The platform sandbox serving ``scenario`` over HTTP on ``host:port`` (0 = any free
    port): X API v2 at ``base_url`` and the Graph API at ``base_url + "/v24.0"`` (any
    version prefix).

    The socket is bound on construction; :meth:`start` serves in a daemon thread and
    :meth:`stop` shuts down. Use as a context manager::

        with SandboxServer(default_scenario()) as sandbox:
            requests.get(sandbox.base_url + "/2/users/by?usernames=NorfolkPolice",
                         headers={"Authorization": "Bearer sandbox-token"})

    ``rate_limit`` requests per ``rate_window_seconds`` are allowed per endpoint (an int for
    all endpoints or a mapping endpoint template -> limit, e.g. ``"/{page-id}/insights"``).
    ``faults`` sets random faults; :meth:`inject` queues deterministic ones. ``token`` is
    the X bearer token and the Graph access token. ``clock`` is the world's "now" (default:
    the scenario's end; :attr:`clock` moves it): answers are as of that moment and carry it
    in their ``Date`` header. ``verbose`` logs requests to stderr.
    """

    def __init__(
        self,
        scenario: Scenario,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = "sandbox-token",
        faults: FaultConfig | None = None,
        rate_limit: int | Mapping[str, int] = 900,
        rate_window_seconds: int = 900,
        verbose: bool = False,
        clock: SandboxClock | None = None,
    ) -> None:
        if not token:
            raise ValueError("the sandbox needs a non-empty bearer token")
        self.scenario = scenario
        self.token = token
        self.verbose = verbose
        self.clock = clock or SandboxClock(scenario.now)
        self.api = XApiV2(scenario, self.clock.now)
        self.graph = GraphApi(scenario, self.clock.now)
        self.faults = FaultPlan(faults)
        self._graph_faults = 0  # rotates the codes of graph_rate_limit faults
        self._traces = 0
        self.rate_limiter = RateLimiter(rate_limit, rate_window_seconds)
        self._counts: Counter[str] = Counter()
        self._statuses: Counter[tuple[str, int]] = Counter()
        self._count_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._httpd = SandboxHTTPServer((host, port), SandboxRequestHandler, self)

    # -- lifecycle -------------------------------------------------------------------

    @property
    def host(self) -> str:
        """The address the server listens on."""
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://host:port``, the value for the ``x_api`` connection's host."""
        return f"http://{self.host}:{self.port}"

    def graph_url(self, version: str = "v24.0") -> str:
        """``http://host:port/v24.0``, the value for the ``meta_graph_api`` connection's host."""
        return f"{self.base_url}/{version}"

    def start(self) -> SandboxServer:
        """Serve in a daemon thread (idempotent). Returns the server."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"sandbox-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def serve_forever(self) -> None:
        """Serve on the calling thread until :meth:`stop` is called from another thread."""
        self._httpd.serve_forever(poll_interval=0.05)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- observation and control -------------------------------------------------------

    @property
    def requests_served(self) -> dict[str, int]:
        """Requests received per endpoint template (every status, faults included)."""
        with self._count_lock:
            return dict(self._counts)

    @property
    def status_counts(self) -> dict[tuple[str, int], int]:
        """Answers per (endpoint template, HTTP status)."""
        with self._count_lock:
            return dict(self._statuses)

    def inject(self, kind: str, endpoint_prefix: str | None = None, count: int = 1) -> None:
        """Make the next ``count`` requests whose path starts with ``endpoint_prefix``
        (e.g. ``"/2/users/by"``; any when ``None``) fail with fault ``kind``
        (see :mod:`sandbox.faults`)."""
        self.faults.inject(kind, endpoint_prefix, count)

    # -- one request -----------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, str]) -> Reply:
        """Answer one request (``target`` is the path with its query string)."""
        parts = urlsplit(target)
        path = parts.path
        if path == HEALTH_PATH:
            return self._json(
                200, {"status": "ok", "scenario": self.scenario.name, "seed": self.scenario.seed}
            )
        if is_graph_path(path):
            graph_route = match_graph_route(path, self.scenario)
            if graph_route is None:
                graph_route = GraphRoute(UNKNOWN_EDGE, path.split("/")[1], "", "")
            reply = self._handle_graph(method, path, parts.query, graph_route, headers)
            with self._count_lock:
                self._counts[graph_route.endpoint] += 1
                self._statuses[(graph_route.endpoint, reply.status)] += 1
            return reply
        route = match_route(path)
        if route is None:
            return self._json(404, PAGE_NOT_FOUND)
        endpoint = route.endpoint
        reply = self._handle_endpoint(method, path, parts.query, endpoint, route, headers)
        with self._count_lock:
            self._counts[endpoint] += 1
            self._statuses[(endpoint, reply.status)] += 1
        return reply

    def _handle_endpoint(
        self,
        method: str,
        path: str,
        query_string: str,
        endpoint: str,
        route: Route,
        headers: Mapping[str, str],
    ) -> Reply:
        if method != "GET":
            return self._json(405, problem(405, "Method Not Allowed"), self._peek(endpoint))
        if not self._authorised(headers):
            return self._json(401, UNAUTHORIZED, self._peek(endpoint))
        fault = self.faults.draw(path, endpoint)
        if fault == "401":
            return self._json(401, UNAUTHORIZED, self._peek(endpoint))
        if fault == "403":
            return self._json(403, CLIENT_FORBIDDEN, self._peek(endpoint))
        if fault == "usage_cap":
            return self._json(429, USAGE_CAPPED, self._peek(endpoint))
        if fault == "credits":
            return self._json(402, CREDITS_DEPLETED, self._peek(endpoint))
        if fault == "429":
            limit = self.rate_limiter.limit(endpoint)
            reset = int(time.time()) + 2  # 1-2 s ahead
            return self._json(429, TOO_MANY_REQUESTS, rate_headers(limit, 0, reset))
        allowed, limit, remaining, reset = self.rate_limiter.take(endpoint)
        headers = rate_headers(limit, remaining, reset)
        if not allowed:
            return self._json(429, TOO_MANY_REQUESTS, headers)
        if fault == "500":
            body = problem(500, "Internal Server Error", "Internal error, please try again")
            return self._json(500, body, headers)
        if fault == "503":
            body = problem(503, "Service Unavailable", "Service Unavailable, over capacity")
            return self._json(503, body, headers)
        query = parse_qs(query_string, keep_blank_values=True)
        answer = self.api.answer(route, query, partial=fault == "partial" and endpoint == USERS_BY)
        reply = self._json(answer.status, answer.body, headers)
        if fault == "truncated":
            reply.body = reply.body[: max(1, len(reply.body) // 2)]
        if fault == "slow":
            reply.delay = self.faults.config.slow_seconds
        return reply

    # -- Graph API ---------------------------------------------------------------------

    def _handle_graph(
        self,
        method: str,
        path: str,
        query_string: str,
        route: GraphRoute,
        headers: Mapping[str, str],
    ) -> Reply:
        endpoint = route.endpoint
        trace = self._trace()
        usage = self._graph_usage(route, *self.rate_limiter.peek(endpoint))
        if route.node_id == "":
            body = graph_error(2500, f"Unknown path components: {path}", trace)
            return self._json(400, body, usage)
        if method != "GET":
            body = graph_error(100, f"Unsupported {method.lower()} request.", trace, subcode=33)
            return self._json(400, body, usage)
        query = parse_qs(query_string, keep_blank_values=True)
        token = (query.pop("access_token", None) or [None])[-1]
        if token is None:
            token = header_token(headers)
        if not token:
            body = graph_error(104, "An access token is required to request this resource.", trace)
            return self._json(400, body, usage)
        if not hmac.compare_digest(token.encode(), self.token.encode()):
            body = graph_error(190, "Invalid OAuth access token - Cannot parse access token", trace)
            return self._json(400, body, usage)
        fault = self.faults.draw(path, endpoint)
        if fault == "190":
            body = graph_error(
                190,
                "Error validating access token: Session has expired on Saturday, 31-Oct-26 "
                "03:00:00 PDT. The current time is Sunday, 01-Nov-26 02:00:00 PST.",
                trace,
                subcode=463,
            )
            return self._json(401, body, usage)
        if fault is not None and fault.startswith("graph_rate_limit"):
            return self._graph_rate_limited(route, fault, trace)
        if fault in GRAPH_REFUSALS:
            return self._graph_refused(route, fault, trace)
        allowed, limit, remaining, reset = self.rate_limiter.take(endpoint)
        usage = self._graph_usage(route, limit, remaining, reset)
        if not allowed:
            status, message, subcode = GRAPH_RATE_LIMITS[4]
            body = graph_error(4, message, trace, subcode=subcode, is_transient=True)
            return self._json(status, body, usage)
        if fault == "500":
            body = graph_error(1, "An unknown error has occurred.", trace, is_transient=True)
            return self._json(500, body, usage)
        if fault == "503":
            body = graph_error(2, "(#2) Service temporarily unavailable", trace, is_transient=True)
            return self._json(503, body, usage)
        host = headers.get("Host") or headers.get("host") or f"{self.host}:{self.port}"
        # Graph puts the access token into its paging links, however it was sent: a client
        # that follows them as they are would put the token into URLs and logs.
        keep = {"access_token": token}
        answer = self.graph.answer(
            route, query, f"http://{host}/{route.version}", keep=keep, trace=trace
        )
        usage["x-fb-trace-id"] = trace
        usage["facebook-api-version"] = route.version
        reply = self._json(answer.status, answer.body, usage)
        if fault == "truncated":
            reply.body = reply.body[: max(1, len(reply.body) // 2)]
        if fault == "slow":
            reply.delay = self.faults.config.slow_seconds
        return reply

    def _graph_rate_limited(self, route: GraphRoute, fault: str, trace: str) -> Reply:
        _, _, fixed = fault.partition(":")
        if fixed:
            code = int(fixed)
        else:
            with self._count_lock:
                code = GRAPH_RATE_LIMIT_CODES[self._graph_faults % len(GRAPH_RATE_LIMIT_CODES)]
                self._graph_faults += 1
        status, message, subcode = GRAPH_RATE_LIMITS[code]
        minutes = self.faults.config.graph_regain_minutes
        headers = usage_headers(route, 100, minutes)
        body = graph_error(code, message, trace, subcode=subcode, is_transient=True)
        return self._json(status, body, headers)

    def _graph_refused(self, route: GraphRoute, fault: str, trace: str) -> Reply:
        """A Graph error that is about one account: a throttle of that Page or Instagram
        account (#80001, #80002, with the minutes to regain access in the usage header),
        an insights edge refused (#10, #100/2108006) or the node not found (#100/33)."""
        status, code, subcode, message = GRAPH_REFUSALS[fault]
        headers = usage_headers(route, 0, 0)
        if code in (80001, 80002):
            headers = usage_headers(route, 100, self.faults.config.graph_regain_minutes)
        body = graph_error(code, message, trace, subcode=subcode)
        return self._json(status, body, headers)

    def _graph_usage(
        self, route: GraphRoute, limit: int, remaining: int, reset: int
    ) -> dict[str, str]:
        percent = round(100 * (limit - remaining) / max(1, limit))
        minutes = max(1, round((reset - time.time()) / 60)) if remaining == 0 else 0
        return usage_headers(route, percent, minutes)

    def _trace(self) -> str:
        with self._count_lock:
            self._traces += 1
            number = self._traces
        return fbtrace_id(self.scenario.seed, number)

    def _authorised(self, headers: Mapping[str, str]) -> bool:
        value = headers.get("Authorization") or headers.get("authorization") or ""
        scheme, _, credentials = value.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(credentials.strip().encode(), self.token.encode())

    def _peek(self, endpoint: str) -> dict[str, str]:
        return rate_headers(*self.rate_limiter.peek(endpoint))

    @staticmethod
    def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Reply:
        return Reply(status=status, body=json_bytes(body), headers=dict(headers or {}))
