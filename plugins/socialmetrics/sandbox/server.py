"""The sandbox's HTTP server: X API v2 over a scenario, with auth, rate limits and faults.

:class:`SandboxServer` runs a :class:`http.server.ThreadingHTTPServer` (one thread per
connection, HTTP/1.1 keep-alive) in a daemon thread. Per request, in this order:

1. unknown path -> 404 (``/_sandbox/health`` answers without auth, for readiness checks);
2. ``Authorization: Bearer <token>`` missing or wrong -> 401;
3. a fault, queued with :meth:`SandboxServer.inject` or drawn at the configured rate;
4. the rate limit of the endpoint (fixed window starting at its first request) -> 429;
5. the X API answer (:mod:`socialmetrics.sandbox.x_api`).

Every answer to an X endpoint carries ``x-rate-limit-limit``, ``x-rate-limit-remaining``
and ``x-rate-limit-reset`` (Unix seconds). The wall clock is used only for rate-limit
windows and ``slow`` delays, never for data.
"""

from __future__ import annotations

import hmac
import json
import math
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from socialmetrics.sandbox.faults import FaultConfig, FaultPlan
from socialmetrics.sandbox.scenario import Scenario
from socialmetrics.sandbox.x_api import USERS_BY, Route, XApiV2, match_route, problem

__all__ = ["HEALTH_PATH", "RateLimiter", "Reply", "SandboxServer"]

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


@dataclass
class Reply:
    """One HTTP answer: status, headers, body bytes and how long to hold it back."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def _json_bytes(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class RateLimiter:
    """Fixed-window request limits per endpoint, thread-safe.

    A window opens at an endpoint's first request and lasts ``window_seconds``; its reset
    time is the window's end rounded up to a whole Unix second. ``limits`` is one limit for
    every endpoint or a mapping endpoint -> limit (missing endpoints get 900).
    """

    def __init__(
        self,
        limits: int | Mapping[str, int],
        window_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._limits = limits
        self._window = window_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._state: dict[str, tuple[int, int]] = {}  # endpoint -> (reset, used)

    def limit(self, endpoint: str) -> int:
        """The request limit per window of ``endpoint``."""
        if isinstance(self._limits, int):
            return self._limits
        return int(self._limits.get(endpoint, 900))

    def _current(self, endpoint: str, now: float) -> tuple[int, int]:
        reset, used = self._state.get(endpoint, (0, 0))
        if now >= reset:
            reset, used = math.ceil(now + self._window), 0
        return reset, used

    def peek(self, endpoint: str) -> tuple[int, int, int]:
        """(limit, remaining, reset) without using a request."""
        with self._lock:
            now = self._clock()
            reset, used = self._state.get(endpoint, (0, 0))
            if now >= reset:
                return self.limit(endpoint), self.limit(endpoint), math.ceil(now + self._window)
            return self.limit(endpoint), max(0, self.limit(endpoint) - used), reset

    def take(self, endpoint: str) -> tuple[bool, int, int, int]:
        """Use one request: (allowed, limit, remaining after it, reset)."""
        with self._lock:
            now = self._clock()
            reset, used = self._current(endpoint, now)
            limit = self.limit(endpoint)
            if used >= limit:
                self._state[endpoint] = (reset, used)
                return False, limit, 0, reset
            used += 1
            self._state[endpoint] = (reset, used)
            return True, limit, limit - used, reset

    def reset(self) -> None:
        """Forget every window (all endpoints start fresh)."""
        with self._lock:
            self._state.clear()


class SandboxServer:
    """The X API v2 sandbox serving ``scenario`` over HTTP on ``host:port`` (0 = any free port).

    The socket is bound on construction; :meth:`start` serves in a daemon thread and
    :meth:`stop` shuts down. Use as a context manager::

        with SandboxServer(default_scenario()) as sandbox:
            requests.get(sandbox.base_url + "/2/users/by?usernames=NorfolkPolice",
                         headers={"Authorization": "Bearer sandbox-token"})

    ``rate_limit`` requests per ``rate_window_seconds`` are allowed per endpoint (an int for
    all endpoints or a mapping endpoint template -> limit). ``faults`` sets random faults;
    :meth:`inject` queues deterministic ones. ``verbose`` logs requests to stderr.
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
    ) -> None:
        if not token:
            raise ValueError("the sandbox needs a non-empty bearer token")
        self.scenario = scenario
        self.token = token
        self.verbose = verbose
        self.api = XApiV2(scenario)
        self.faults = FaultPlan(faults)
        self.rate_limiter = RateLimiter(rate_limit, rate_window_seconds)
        self._counts: Counter[str] = Counter()
        self._statuses: Counter[tuple[str, int]] = Counter()
        self._count_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._httpd = _HTTPServer((host, port), _Handler, self)

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
        (see :mod:`socialmetrics.sandbox.faults`)."""
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
        if fault == "429":
            limit = self.rate_limiter.limit(endpoint)
            reset = int(time.time()) + 2  # 1-2 s ahead
            return self._json(429, TOO_MANY_REQUESTS, _rate_headers(limit, 0, reset))
        allowed, limit, remaining, reset = self.rate_limiter.take(endpoint)
        rate_headers = _rate_headers(limit, remaining, reset)
        if not allowed:
            return self._json(429, TOO_MANY_REQUESTS, rate_headers)
        if fault == "500":
            body = problem(500, "Internal Server Error", "Internal error, please try again")
            return self._json(500, body, rate_headers)
        if fault == "503":
            body = problem(503, "Service Unavailable", "Service Unavailable, over capacity")
            return self._json(503, body, rate_headers)
        query = parse_qs(query_string, keep_blank_values=True)
        answer = self.api.answer(route, query, partial=fault == "partial" and endpoint == USERS_BY)
        reply = self._json(answer.status, answer.body, rate_headers)
        if fault == "truncated":
            reply.body = reply.body[: max(1, len(reply.body) // 2)]
        if fault == "slow":
            reply.delay = self.faults.config.slow_seconds
        return reply

    def _authorised(self, headers: Mapping[str, str]) -> bool:
        value = headers.get("Authorization") or headers.get("authorization") or ""
        scheme, _, credentials = value.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(credentials.strip().encode(), self.token.encode())

    def _peek(self, endpoint: str) -> dict[str, str]:
        return _rate_headers(*self.rate_limiter.peek(endpoint))

    @staticmethod
    def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Reply:
        return Reply(status=status, body=_json_bytes(body), headers=dict(headers or {}))


def _rate_headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": str(reset),
    }


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type, sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout on a slow answer) is normal here, not an error.
        if self.sandbox.verbose:
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "socialmetrics-sandbox/0.1"
    timeout = 120  # idle keep-alive connections do not hold a thread for ever
    # Headers and body go out in two writes; with Nagle's algorithm on, the body waits for
    # the client's delayed ACK (~40 ms per answer).
    disable_nagle_algorithm = True
    server: _HTTPServer

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        reply = self.server.sandbox.handle(method, self.path, self.headers)
        if reply.delay:
            time.sleep(reply.delay)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", JSON_TYPE)
            self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("Cache-Control", "no-cache, no-store, max-age=0")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(reply.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.sandbox.verbose:
            sys.stderr.write(f"sandbox {self.address_string()} - {format % args}\n")
