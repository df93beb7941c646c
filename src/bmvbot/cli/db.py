"""``bmvbot db``: database maintenance (``upgrade`` applies the migrations)."""

from __future__ import annotations

import argparse
import asyncio

from bmvbot import bootstrap

EXIT_OK = 0


def _upgrade(args: argparse.Namespace) -> int:
    revision, where = asyncio.run(bootstrap.upgrade_database())
    print(f"database at revision {revision} ({where})")
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``db`` command group."""
    parser = subparsers.add_parser("db", help="database maintenance")
    commands = parser.add_subparsers(dest="db_command", metavar="DB_COMMAND", required=True)
    upgrade = commands.add_parser(
        "upgrade",
        help="apply the schema migrations (idempotent; also done at every start)",
        description="Apply the schema migrations to DATABASE_URL, or to the embedded server "
        "under BMVBOT_DATA_DIR when DATABASE_URL is unset.",
    )
    upgrade.set_defaults(handler=_upgrade)
