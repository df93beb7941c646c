"""``bmvbot config check FILE`` and ``bmvbot config show``: validate and print the configuration.

Both apply the environment (``BMVBOT_<SECTION>__<KEY>``, ``DATABASE_URL``, ``BMVBOT_DATA_DIR``)
unless ``--ignore-env`` is given, since that is what the bot would run with. An invalid
configuration raises ``InvalidConfigError``, which ``bmvbot.cli.main`` prints with every error
and turns into exit code 2. Secrets are always printed as ``**********``.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from pathlib import Path

from bmvbot.settings import DEFAULT_SOURCE, Settings, config_path, load_settings
from bmvbot.settings.render import render_json_data, render_toml


def _environment(args: argparse.Namespace) -> Mapping[str, str]:
    return {} if args.ignore_env else os.environ


def _check(args: argparse.Namespace) -> int:
    settings = load_settings(args.file, env=_environment(args))
    print(f"ok: {args.file} is valid ({summary(settings)})")
    return 0


def _show(args: argparse.Namespace) -> int:
    path = config_path(args.config, _environment(args))
    settings = load_settings(path, env=_environment(args))
    if args.json:
        print(json.dumps(render_json_data(settings), indent=2))
        return 0
    source = DEFAULT_SOURCE if path is None else str(path)
    overrides = "" if args.ignore_env else " plus environment overrides"
    print(f"# effective configuration: {source}{overrides}; secrets redacted")
    print(render_toml(settings, describe=args.describe), end="")
    return 0


def summary(settings: Settings) -> str:
    """Return a one-line summary of what the settings will run."""
    return (
        f"mode={settings.venue.mode} market={settings.market.name} "
        f"levels_per_side={settings.grid.levels_per_side} wallets={settings.swarm.wallet_count}"
    )


def _add_env_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ignore-env",
        action="store_true",
        help="ignore BMVBOT_<SECTION>__<KEY>, DATABASE_URL, BMVBOT_DATA_DIR and BMVBOT_CONFIG",
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``config`` command group."""
    parser = subparsers.add_parser(
        "config",
        help="check or show the configuration",
        description="Validate a bmvbot.toml, or print the effective configuration.",
    )
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        help="validate a config file; exit 2 listing every error",
        description="Validate FILE plus the environment; print every error at once (exit 2).",
    )
    check.add_argument("file", type=Path, metavar="FILE", help="the TOML file to validate")
    _add_env_flag(check)
    check.set_defaults(handler=_check)
    show = actions.add_parser(
        "show",
        help="print the effective configuration (secrets redacted)",
        description="Print the effective configuration: the file (--config, else "
        "BMVBOT_CONFIG, else the shipped default) with environment overrides applied.",
    )
    show.add_argument("--config", type=Path, default=None, metavar="FILE", help="config file")
    show.add_argument("--json", action="store_true", help="print JSON instead of TOML")
    show.add_argument(
        "--describe",
        action="store_true",
        help="precede each key with its meaning, unit, default and allowed values",
    )
    _add_env_flag(show)
    show.set_defaults(handler=_show)
