"""A local HTTP server that answers with recorded platform answers, in order.

The conformance tests point the real clients at it: each request gets the next queued
answer (status, headers and body as recorded), and every request is kept for inspection.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    """One answer to replay: the body is sent as given (a str) or as JSON."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        text = self.body if isinstance(self.body, str) else json.dumps(self.body)
        return text.encode("utf-8")


class ReplayServer:
    """Serves queued answers on a free local port; ``requests`` lists (path, query)."""

    def __init__(self) -> None:
        self.answers: deque[Recorded] = deque()
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def queue(self, *answers: Recorded) -> None:
        self.answers.extend(answers)

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _handler(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            server.requests.append((parts.path, parse_qs(parts.query)))
            answer = server.answers.popleft() if server.answers else Recorded(599, {})
            body = answer.payload()
            # Only the recorded headers: a Date of today's would contradict the recording's.
            self.send_response_only(answer.status)
            headers = {k.lower(): v for k, v in answer.headers.items()}
            for name, value in headers.items():
                if name in ("content-length", "content-encoding", "transfer-encoding"):
                    continue  # the body is sent decoded, whole
                for one in value if isinstance(value, list) else [value]:
                    self.send_header(name, str(one))
            if "content-type" not in headers:
                self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler
