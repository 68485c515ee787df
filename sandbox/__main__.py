"""Command line of the platform sandbox.

``python -m sandbox serve [--port 8765] [--seed 42] ...`` serves X API v2 and
the Meta Graph API (under ``/v24.0``) until SIGTERM or Ctrl-C;
``python -m sandbox write-registry DIR`` writes the scenario's registry CSVs;
``python -m sandbox describe`` lists its accounts.
The bearer token (also the Graph access token) is ``--token``, else the environment variable
``SANDBOX_TOKEN``, else ``sandbox-token``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime

from sandbox.clock import SandboxClock
from sandbox.faults import ALL_KINDS, DEFAULT_KINDS, FaultConfig, is_fault_kind
from sandbox.scenario import Scenario, default_scenario, national_scenario
from sandbox.server import SandboxServer

DEFAULT_TOKEN = "sandbox-token"


def _kinds(text: str) -> tuple[str, ...]:
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in kinds if not is_fault_kind(k)]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown fault kinds {', '.join(unknown)}; choose from {','.join(ALL_KINDS)}"
        )
    return kinds


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 date or time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _add_scenario_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", choices=("default", "national"), default="default")
    parser.add_argument("--seed", type=int, default=42, help="scenario seed (default 42)")
    parser.add_argument(
        "--accounts", type=int, default=6000, help="national: number of accounts (6000)"
    )
    parser.add_argument("--days", type=int, default=365, help="national: days of history (365)")
    parser.add_argument(
        "--posts-per-day",
        type=float,
        default=2.0,
        help="mean posts per account per day of generated organisations (2.0)",
    )
    parser.add_argument(
        "--extra-organisations",
        type=int,
        default=0,
        help="default: synthetic organisations added next to Norfolk (0)",
    )


def build_scenario(args: argparse.Namespace) -> Scenario:
    """The scenario selected by the command-line options."""
    if args.scenario == "national":
        return national_scenario(
            accounts=args.accounts, days=args.days, posts_per_day=args.posts_per_day, seed=args.seed
        )
    return default_scenario(
        seed=args.seed,
        extra_organisations=args.extra_organisations,
        posts_per_day=args.posts_per_day,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="Local X API v2 and Meta Graph API sandbox serving a deterministic scenario.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve", help="serve X API v2 and the Graph API until SIGTERM or Ctrl-C"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    serve.add_argument(
        "--token",
        default=None,
        help=f"bearer token clients must send (default: $SANDBOX_TOKEN or {DEFAULT_TOKEN})",
    )
    serve.add_argument("--fault-rate", type=float, default=0.0, help="share of faulty answers")
    serve.add_argument(
        "--fault-kinds",
        type=_kinds,
        default=DEFAULT_KINDS,
        help=f"comma-separated kinds among {','.join(ALL_KINDS)} "
        f"(default {','.join(DEFAULT_KINDS)})",
    )
    serve.add_argument("--fault-seed", type=int, default=0, help="seed of the fault draws")
    serve.add_argument(
        "--slow-seconds", type=float, default=3.0, help="delay of a 'slow' fault (3.0)"
    )
    serve.add_argument(
        "--graph-regain-minutes",
        type=int,
        default=0,
        help="estimated_time_to_regain_access of a graph_rate_limit fault (0)",
    )
    serve.add_argument("--rate-limit", type=int, default=900, help="requests per window (900)")
    serve.add_argument(
        "--rate-window", type=int, default=900, help="rate-limit window in seconds (900)"
    )
    serve.add_argument(
        "--now",
        type=_moment,
        default=None,
        help="the moment the platforms answer as of, ISO 8601 UTC (default: the scenario's "
        "end, 2026-11-01T00:00 for the default scenario)",
    )
    serve.add_argument("--verbose", action="store_true", help="log every request to stderr")
    _add_scenario_options(serve)

    write = commands.add_parser("write-registry", help="write the scenario's registry CSVs")
    write.add_argument("folder", help="folder to write accounts.csv etc. into")
    _add_scenario_options(write)

    describe = commands.add_parser("describe", help="list the scenario's accounts")
    _add_scenario_options(describe)
    return parser


def _serve(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get("SANDBOX_TOKEN") or DEFAULT_TOKEN
    try:
        faults = FaultConfig(
            rate=args.fault_rate,
            kinds=args.fault_kinds,
            seed=args.fault_seed,
            slow_seconds=args.slow_seconds,
            graph_regain_minutes=args.graph_regain_minutes,
        )
    except ValueError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    scenario = build_scenario(args)
    try:
        server = SandboxServer(
            scenario,
            host=args.host,
            port=args.port,
            token=token,
            faults=faults,
            rate_limit=args.rate_limit,
            rate_window_seconds=args.rate_window,
            verbose=args.verbose,
            clock=SandboxClock(args.now or scenario.now),
        )
    except OSError as exc:
        print(f"sandbox: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    print(
        f"sandbox serving X API v2 on {server.base_url} and the Graph API on "
        f"{server.graph_url()} (scenario {scenario.name}, seed {scenario.seed}, as of "
        f"{server.clock.now().isoformat()})",
        flush=True,
    )
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _write_registry(args: argparse.Namespace) -> int:
    scenario = build_scenario(args)
    for path in scenario.write_registry(args.folder):
        print(path)
    return 0


def _describe(args: argparse.Namespace) -> int:
    scenario = build_scenario(args)
    print("organisation,platform,username,user_id,kind,last_post_date,closed_on,followers_count")
    for a in scenario.accounts:
        print(
            f"{a.organisation},{a.platform},{a.username},{a.user_id},{a.kind},"
            f"{a.last_post_date or ''},{a.closed_on or ''},{a.followers_count}"
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sandbox command line; returns the exit status."""
    args = _parser().parse_args(argv)
    commands = {"serve": _serve, "write-registry": _write_registry, "describe": _describe}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
