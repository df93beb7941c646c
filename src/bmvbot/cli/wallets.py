"""``bmvbot wallets``: create, import, list and export the swarm's wallets.

Secret keys are generated or read here and handed straight to the vault, which seals them;
no command prints, logs or returns a secret. ``export-addresses`` writes the full swarm list
(public keys, labels, roles, dates) for auditors, as CSV or JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bmvbot import bootstrap
from bmvbot.ports.store import WalletAddress, WalletRole

EXIT_OK = 0
_FIELDS = ("pubkey", "label", "role", "created_at", "disabled_at")


def _iso(ts_ns: int | None) -> str:
    if ts_ns is None:
        return ""
    return datetime.fromtimestamp(ts_ns / 1e9, tz=UTC).isoformat(timespec="seconds")


def _rows(addresses: Sequence[WalletAddress]) -> list[dict[str, str]]:
    return [
        {
            "pubkey": a.pubkey,
            "label": a.label,
            "role": a.role.value,
            "created_at": _iso(a.created_ns),
            "disabled_at": _iso(a.disabled_ns),
        }
        for a in addresses
    ]


def _print_table(addresses: Sequence[WalletAddress]) -> None:
    for row in _rows(addresses):
        state = f"disabled {row['disabled_at']}" if row["disabled_at"] else "active"
        print(f"{row['pubkey']:<44}  {row['label']:<16}  {row['role']:<8}  {state}")
    print(f"{len(addresses)} wallet(s)")


async def _addresses(include_disabled: bool) -> list[WalletAddress]:
    async with bootstrap.open_store() as stores:
        wallets = await stores.wallets.wallets(include_disabled=include_disabled)
    return [wallet.address for wallet in wallets]


def _create(args: argparse.Namespace) -> int:
    async def run() -> list[WalletAddress]:
        async with bootstrap.open_wallet_vault() as vault:
            return await vault.create(args.count, WalletRole(args.role), args.label_prefix)

    _print_table(asyncio.run(run()))
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    keypairs = bootstrap.read_keypair_file(Path(args.file))

    async def run() -> list[WalletAddress]:
        async with bootstrap.open_wallet_vault() as vault:
            return await vault.import_keypairs(keypairs, WalletRole(args.role), args.label_prefix)

    _print_table(asyncio.run(run()))
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    _print_table(asyncio.run(_addresses(include_disabled=not args.active_only)))
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    rows = _rows(asyncio.run(_addresses(include_disabled=True)))
    if args.format == "json":
        text = json.dumps(rows, indent=2) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = buffer.getvalue()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"{len(rows)} wallet(s) written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _add_role_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--role", choices=[r.value for r in WalletRole], default=WalletRole.SWARM.value
    )
    parser.add_argument("--label-prefix", help="labels become PREFIX-0000, ... (default: role)")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``wallets`` command group."""
    parser = subparsers.add_parser("wallets", help="swarm wallets (keys sealed in the database)")
    commands = parser.add_subparsers(
        dest="wallets_command", metavar="WALLETS_COMMAND", required=True
    )

    create = commands.add_parser("create", help="generate N keypairs and store them sealed")
    create.add_argument("count", type=int, metavar="N")
    _add_role_options(create)
    create.set_defaults(handler=_create)

    imported = commands.add_parser(
        "import", help="import a Solana CLI keypair file (or a JSON array of keypairs)"
    )
    imported.add_argument("file", metavar="FILE")
    _add_role_options(imported)
    imported.set_defaults(handler=_import)

    listing = commands.add_parser("list", help="list wallets (public keys only)")
    listing.add_argument("--active-only", action="store_true", help="hide disabled wallets")
    listing.set_defaults(handler=_list)

    export = commands.add_parser(
        "export-addresses", help="write the full swarm address list for auditors"
    )
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--output", "-o", help="file to write (default: stdout)")
    export.set_defaults(handler=_export)
