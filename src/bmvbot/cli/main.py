"""The ``bmvbot`` command.

Every module of ``bmvbot.cli`` that defines ``register(subparsers)`` adds its sub-command group;
the handler it sets with ``set_defaults(handler=...)`` receives the parsed arguments and returns
the exit code. Errors map to one line on stderr and an exit code per category.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import traceback
from collections.abc import Callable

from bmvbot import __version__
from bmvbot.core.errors import BotError, ConfigError, InvariantError, StoreError, VenueError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CONFIG = 2
EXIT_INVARIANT = 3
EXIT_VENUE = 4
EXIT_STORE = 5
EXIT_INTERRUPTED = 130

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every command module's sub-commands registered."""
    parser = argparse.ArgumentParser(prog="bmvbot", description="OpenBook V2 market-making engine")
    parser.add_argument("--version", action="version", version=f"bmvbot {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    package = importlib.import_module("bmvbot.cli")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name == "main":
            continue
        module = importlib.import_module(f"bmvbot.cli.{info.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(subparsers)
    return parser


def exit_code_for(error: BotError) -> int:
    """Return the process exit code for an error category."""
    if isinstance(error, ConfigError):
        return EXIT_CONFIG
    if isinstance(error, InvariantError):
        return EXIT_INVARIANT
    if isinstance(error, VenueError):
        return EXIT_VENUE
    if isinstance(error, StoreError):
        return EXIT_STORE
    return EXIT_ERROR


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_OK
    try:
        return handler(args)
    except BotError as error:
        if args.debug:
            traceback.print_exc()
        print(f"error: {error}", file=sys.stderr)
        return exit_code_for(error)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
