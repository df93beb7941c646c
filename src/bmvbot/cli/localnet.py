"""``bmvbot localnet``: a loopback Solana RPC + WebSocket + Jito block engine on LiteSVM."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import platformdirs

from bmvbot import bootstrap
from bmvbot.logsetup import configure_logging

EXIT_OK = 0
DEFAULT_SEED_WALLETS = 4


def _data_dir() -> Path:
    configured = os.environ.get("BMVBOT_DATA_DIR")
    return Path(configured) if configured else Path(platformdirs.user_data_dir("bmvbot"))


def _report(lines: list[str]) -> None:
    for line in lines:
        print(line, flush=True)


def _localnet(args: argparse.Namespace) -> int:
    configure_logging(args.log_level)
    wallets = args.wallets if args.seed_market else 0
    try:
        bootstrap.run_localnet(
            host=args.host,
            ports=(args.port, args.ws_port, args.jito_port),
            openbook_so=args.openbook_so,
            seed_wallets=wallets,
            keypair_dir=args.data_dir / "localnet",
            report=_report,
            slot_interval_s=args.slot_ms / 1000,
            jito_requests_per_s=args.jito_rate_limit,
        )
    except KeyboardInterrupt:
        print("localnet stopped")
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``localnet`` command."""
    parser = subparsers.add_parser(
        "localnet",
        help="run a local chain (RPC, WebSocket, Jito block engine) backed by LiteSVM",
        description="Serve Solana JSON-RPC, WebSocket subscriptions and a Jito block engine on "
        "127.0.0.1. OpenBook V2 runs on the program binary given with --openbook-so, else on "
        "the built-in emulator.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=8899, help="JSON-RPC port (default 8899)")
    parser.add_argument("--ws-port", type=int, default=8900, help="WebSocket port (8900)")
    parser.add_argument("--jito-port", type=int, default=8901, help="block engine port (8901)")
    parser.add_argument("--openbook-so", type=Path, default=None, help="OpenBook V2 .so file")
    parser.add_argument(
        "--seed-market", action="store_true", help="create a market with funded swarm wallets"
    )
    parser.add_argument(
        "--wallets", type=int, default=DEFAULT_SEED_WALLETS, help="swarm wallets to seed (4)"
    )
    parser.add_argument(
        "--slot-ms", type=int, default=400, help="milliseconds per slot (default 400)"
    )
    parser.add_argument(
        "--jito-rate-limit",
        type=float,
        default=None,
        help="block-engine requests per second per client before HTTP 429 (default: no limit)",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="INFO logs every processed transaction and bundle (default WARNING)",
    )
    parser.add_argument(
        "--data-dir", type=Path, default=_data_dir(), help="where the swarm key file is written"
    )
    parser.set_defaults(handler=_localnet)
