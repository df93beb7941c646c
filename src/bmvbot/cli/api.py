"""``bmvbot api``: the HTTP API (and its dashboard) over a paper-trading session.

Runs the simulated market in real time, as ``bmvbot run`` does, with the API on
``--host``/``--port`` (``[api]`` in the config: 127.0.0.1:8000 by default) and no terminal
view. Security comes from the environment: ``BMVBOT_JWT_SECRET`` (32+ bytes; a random
per-process secret with a warning when unset outside live mode), ``BMVBOT_DASHBOARD_USER`` and
``BMVBOT_DASHBOARD_PASSWORD_HASH`` (from ``bmvbot auth hash-password``). Ctrl-C or SIGTERM
cancels the resting orders and stops. Fills are recorded in PostgreSQL unless ``--no-db``.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bmvbot import bootstrap
from bmvbot.api.server import run_api
from bmvbot.logsetup import configure_logging
from bmvbot.settings import config_path, load_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``bmvbot api``."""
    parser = subparsers.add_parser(
        "api",
        help="serve the HTTP API over a paper-trading session",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", type=Path, help="bmvbot.toml (default: the shipped config)")
    parser.add_argument("--host", help="interface to bind (default: [api] host, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="TCP port (default: [api] port, 8000)")
    parser.add_argument(
        "--scenario",
        default=bootstrap.DEFAULT_SCENARIO,
        help=f"market scenario, one of {', '.join(bootstrap.scenario_names())}",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the market (1)")
    parser.add_argument("--no-db", action="store_true", help="do not record to PostgreSQL")
    parser.set_defaults(handler=api_command)


def api_command(args: argparse.Namespace) -> int:
    """Serve until interrupted; return the exit code."""
    configure_logging("INFO")
    settings = load_settings(config_path(args.config))
    asyncio.run(
        run_api(
            settings,
            host=args.host or settings.api.host,
            port=args.port or settings.api.port,
            scenario=args.scenario,
            seed=args.seed,
            is_db_enabled=not args.no_db,
        )
    )
    return 0
