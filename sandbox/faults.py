"""Fault injection for the sandbox: random at a configured rate, or queued.

Kinds:

- ``429``: rate limited, ``x-rate-limit-remaining: 0`` and a reset 1-2 s ahead;
- ``500`` / ``503``: a server error with a JSON problem body;
- ``slow``: the answer is delayed by ``slow_seconds`` (past a client's timeout);
- ``truncated``: a 200 whose JSON body is cut off half way (Content-Length matches);
- ``partial``: a 200 on ``/2/users/by`` with one found username moved to ``errors``
  (transient: the same request answers in full next time);
- ``401``: the bearer token is refused (as an expired token);
- ``403``: ``client-not-enrolled``;
- ``graph_rate_limit``: a Graph rate-limit error, codes 4, 17, 32 and 613 in turn (or one
  code: ``graph_rate_limit:17``; also 341), with ``X-App-Usage`` and
  ``X-Business-Use-Case-Usage`` headers at 100 % and ``estimated_time_to_regain_access``
  ``graph_regain_minutes``;
- ``190``: the Graph access token has expired (HTTP 401, code 190, subcode 463);
- ``usage_cap``: X's monthly usage cap is reached (HTTP 429 ``UsageCapExceeded``);
- ``credits``: the X App has no credits left (HTTP 402 ``CreditsDepleted``);
- ``graph_page_throttle`` / ``graph_ig_throttle``: the Page (#80001) or Instagram account
  (#80002) is throttled, ``estimated_time_to_regain_access`` ``graph_regain_minutes``;
- ``graph_permission``: #10, the App may not read this edge (insights only);
- ``graph_invalid_parameter``: #100/2108006 (Instagram insights only);
- ``graph_not_found``: #100/33, which Graph also answers for a live node under load.

``429``, ``401``, ``403``, ``partial``, ``usage_cap`` and ``credits`` apply to X endpoints
only, the ``graph_*`` kinds and ``190`` to Graph endpoints only; the others to both (with
each platform's error body).
A retired Graph metric is not a fault: it is a permanent property of the metric.

Both the random draws (``random.Random(seed)``) and the queue are guarded by one lock, so
a server handling requests on many threads injects deterministic faults in arrival order.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from sandbox.graph_schema import GRAPH_ENDPOINTS
from sandbox.x_schema import USERS_BY

__all__ = [
    "ALL_KINDS",
    "DEFAULT_KINDS",
    "GRAPH_RATE_LIMIT_CODES",
    "FaultConfig",
    "FaultPlan",
    "is_fault_kind",
]

ALL_KINDS = (
    "429",
    "500",
    "503",
    "slow",
    "truncated",
    "partial",
    "401",
    "403",
    "graph_rate_limit",
    "190",
    "usage_cap",
    "credits",
    "graph_page_throttle",
    "graph_ig_throttle",
    "graph_permission",
    "graph_invalid_parameter",
    "graph_not_found",
)
DEFAULT_KINDS = (
    "429",
    "500",
    "503",
    "slow",
    "truncated",
    "partial",
    "401",
    "graph_rate_limit",
    "190",
)
GRAPH_RATE_LIMIT_CODES = (4, 17, 32, 613)  # rotated by ``graph_rate_limit``
_EXTRA_RATE_LIMIT_CODES = (341,)
# kinds that make sense on some endpoints only
_ONLY_ON = {
    "partial": (USERS_BY,),
    "graph_page_throttle": ("/{page-id}", "/{page-id}/posts", "/{page-id}/insights"),
    "graph_ig_throttle": ("/{ig-user-id}", "/{ig-user-id}/media", "/{ig-user-id}/insights"),
    "graph_permission": ("/{page-id}/insights", "/{ig-user-id}/insights"),
    "graph_invalid_parameter": ("/{ig-user-id}/insights",),
}
_X_ONLY = frozenset({"429", "401", "403", "partial", "usage_cap", "credits"})
_GRAPH_ONLY = frozenset(
    {
        "graph_rate_limit",
        "190",
        "graph_page_throttle",
        "graph_ig_throttle",
        "graph_permission",
        "graph_invalid_parameter",
        "graph_not_found",
    }
)


def is_fault_kind(kind: str) -> bool:
    """A known kind, or ``graph_rate_limit:<code>`` for a Graph rate-limit code."""
    if kind in ALL_KINDS:
        return True
    base, _, code = kind.partition(":")
    return (
        base == "graph_rate_limit"
        and code.isdigit()
        and int(code) in (GRAPH_RATE_LIMIT_CODES + _EXTRA_RATE_LIMIT_CODES)
    )


@dataclass(frozen=True)
class FaultConfig:
    """Random faults: each request fails with probability ``rate`` (0..1), with a kind
    drawn uniformly from the ``kinds`` that apply to its endpoint, from ``random.Random(seed)``.
    ``slow_seconds`` is how long a ``slow`` answer is held back; ``graph_regain_minutes``
    the ``estimated_time_to_regain_access`` a Graph rate-limit fault announces."""

    rate: float = 0.0
    kinds: tuple[str, ...] = DEFAULT_KINDS
    seed: int = 0
    slow_seconds: float = 3.0
    graph_regain_minutes: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, got {self.rate}")
        unknown = [k for k in self.kinds if not is_fault_kind(k)]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; use some of {', '.join(ALL_KINDS)}")
        if self.slow_seconds < 0:
            raise ValueError("slow_seconds must not be negative")
        if self.graph_regain_minutes < 0:
            raise ValueError("graph_regain_minutes must not be negative")
        object.__setattr__(self, "kinds", tuple(self.kinds))


@dataclass
class _Queued:
    kind: str
    prefix: str | None
    remaining: int


class FaultPlan:
    """Decides, per request, which fault (if any) to inject. Thread-safe."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self.config = config or FaultConfig()
        self._rng = random.Random(self.config.seed)
        self._lock = threading.Lock()
        self._queue: list[_Queued] = []

    def inject(self, kind: str, endpoint_prefix: str | None = None, count: int = 1) -> None:
        """Queue ``kind`` for the next ``count`` requests whose path starts with
        ``endpoint_prefix`` (any path when ``None``) and to which the kind applies.
        Queued faults go before random ones, oldest first."""
        if not is_fault_kind(kind):
            raise ValueError(f"unknown fault kind {kind!r}; use one of {', '.join(ALL_KINDS)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        only = _ONLY_ON.get(kind)
        if (
            only == (USERS_BY,)
            and endpoint_prefix
            and not (USERS_BY.startswith(endpoint_prefix) or endpoint_prefix.startswith(USERS_BY))
        ):
            raise ValueError(f"fault {kind!r} applies to {USERS_BY} only")
        with self._lock:
            self._queue.append(_Queued(kind, endpoint_prefix, count))

    def pending(self) -> list[tuple[str, str | None, int]]:
        """Queued faults not yet used: (kind, endpoint prefix, remaining count)."""
        with self._lock:
            return [(q.kind, q.prefix, q.remaining) for q in self._queue]

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._queue.clear()

    def draw(self, path: str, endpoint: str) -> str | None:
        """The fault for a request to ``path`` (endpoint template ``endpoint``), or None."""
        with self._lock:
            for queued in self._queue:
                if queued.prefix is not None and not path.startswith(queued.prefix):
                    continue
                if not _applies(queued.kind, endpoint):
                    continue
                queued.remaining -= 1
                if queued.remaining == 0:
                    self._queue.remove(queued)
                return queued.kind
            if self.config.rate <= 0.0:
                return None
            if self._rng.random() >= self.config.rate:
                return None
            kinds = [k for k in self.config.kinds if _applies(k, endpoint)]
            return self._rng.choice(kinds) if kinds else None


def _applies(kind: str, endpoint: str) -> bool:
    graph = endpoint in GRAPH_ENDPOINTS
    base = kind.partition(":")[0]
    if (graph and base in _X_ONLY) or (not graph and base in _GRAPH_ONLY):
        return False
    only = _ONLY_ON.get(kind)
    return only is None or endpoint in only
