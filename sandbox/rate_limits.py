"""Fixed-window request limits per endpoint, as the platforms count them."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping


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
