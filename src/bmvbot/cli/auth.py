"""``bmvbot auth hash-password``: make the Argon2id hash for ``BMVBOT_DASHBOARD_PASSWORD_HASH``.

The password is read from a prompt (twice, not echoed) on a terminal, or from the first line
of standard input otherwise (``echo "$PW" | bmvbot auth hash-password``). The hash is the last
line printed; the password itself is never printed or logged.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from bmvbot.api.security import hash_password
from bmvbot.core.errors import ConfigError

MAX_PASSWORD_CHARS = 1024


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``bmvbot auth``."""
    parser = subparsers.add_parser(
        "auth", help="API credentials", description="API credentials (dashboard login)."
    )
    commands = parser.add_subparsers(dest="auth_command", metavar="COMMAND")
    hasher = commands.add_parser(
        "hash-password",
        help="print the Argon2id hash of a password (prompt, or standard input)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    hasher.set_defaults(handler=hash_password_command)
    parser.set_defaults(handler=lambda _args: _help(parser))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def read_password() -> str:
    """Return the password from a prompt on a terminal, else the first line of stdin.

    Raises:
        ConfigError: empty, too long, or the two prompts differ.
    """
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise ConfigError("the two passwords differ", key="password")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) > MAX_PASSWORD_CHARS:
        raise ConfigError(
            f"the password must be at most {MAX_PASSWORD_CHARS} characters", key="password"
        )
    return password


def hash_password_command(args: argparse.Namespace) -> int:
    """Print the hash of the password read (see the module docstring); return 0."""
    password = read_password()
    print("Set BMVBOT_DASHBOARD_PASSWORD_HASH to the line below.", file=sys.stderr)
    print(hash_password(password))
    return 0
