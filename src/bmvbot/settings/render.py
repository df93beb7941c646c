"""Write settings back out: as TOML (optionally with every field's documentation) or as JSON.

Secrets are redacted unless asked otherwise; unset optional keys are written as comments,
since TOML has no null.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bmvbot.settings.fields import Section, allowed, toml_literal
from bmvbot.settings.loader import Settings

SECRET_MASK = "**********"  # noqa: S105 -- a mask, not a password
"""How ``config show`` prints a secret (pydantic's own mask)."""

_WIDTH = 98


def _wrapped_comment(text: str) -> list[str]:
    lines: list[str] = []
    line = "#"
    for word in text.split():
        if len(line) + 1 + len(word) > _WIDTH and line != "#":
            lines.append(line)
            line = "#"
        line = f"{line} {word}"
    lines.append(line)
    return lines


def plain_value(value: object, *, redact: bool) -> Any:
    """Return a field value as plain data (str, int, float, bool, list, datetime or None)."""
    if isinstance(value, SecretStr):
        return SECRET_MASK if redact else value.get_secret_value()
    if isinstance(value, Path):
        return str(value)
    return value


def _section_lines(name: str, section: Section, *, describe: bool, redact: bool) -> list[str]:
    lines = [f"[{name}]"]
    if describe:
        # docstrings open with "``[name]``: "; the header line already names the section
        doc = (type(section).__doc__ or "").split(": ", 1)[-1]
        lines[:0] = _wrapped_comment(doc[:1].upper() + doc[1:])
    for field, info in type(section).model_fields.items():
        value = plain_value(getattr(section, field), redact=redact)
        if describe:
            lines += _wrapped_comment(f"{info.description} Allowed: {allowed(info)}.")
        if value is None:
            lines.append(f"# {field} =")
        else:
            lines.append(f"{field} = {toml_literal(value)}")
        if describe:
            lines.append("")
    return lines


def render_toml(settings: Settings, *, describe: bool = False, redact: bool = True) -> str:
    """Return ``settings`` as a TOML document that ``load_settings`` reads back.

    Args:
        settings: the settings to write.
        describe: precede every section and key with its documentation (meaning, unit,
            default, allowed values).
        redact: write secrets as ``**********`` (the default).
    """
    blocks = []
    for name in type(settings).model_fields:
        section: Section = getattr(settings, name)
        blocks.append("\n".join(_section_lines(name, section, describe=describe, redact=redact)))
    return "\n\n".join(block.rstrip("\n") for block in blocks) + "\n"


def render_json_data(settings: Settings, *, redact: bool = True) -> dict[str, dict[str, Any]]:
    """Return ``settings`` as JSON-ready nested dicts (datetimes as ISO 8601 strings)."""
    data: dict[str, dict[str, Any]] = {}
    for name in type(settings).model_fields:
        section: Section = getattr(settings, name)
        data[name] = {}
        for field in type(section).model_fields:
            value = plain_value(getattr(section, field), redact=redact)
            data[name][field] = value.isoformat() if isinstance(value, datetime) else value
    return data


EXAMPLE_HEADER = """\
# bmvbot example configuration: every key, with its meaning, unit, default and allowed values.
# This file is generated from the settings models (`bmvbot config show --describe` prints the
# same); a test keeps it in step. Every value below is the default, so a file with only the
# keys you change behaves the same.
#
# Units are human ones: prices in quote tokens per base token (SOL on SOL-quoted markets),
# amounts in whole tokens, durations in seconds or days, ratios in percent (*_pct), SOL in SOL
# (*_sol). [market] comes first: its decimals and lot sizes convert every value into the
# market's ticks and lots.
#
# Environment variables override the file: BMVBOT_<SECTION>__<KEY>=value (e.g.
# BMVBOT_GRID__LEVELS_PER_SIDE=20; values are TOML literals, text keys taken as is),
# DATABASE_URL sets database.url, BMVBOT_DATA_DIR sets database.data_dir, and BMVBOT_CONFIG
# names the file when no --config is given. Keep secrets (RPC, WebSocket, Jito and database
# URLs that carry tokens or passwords) in the environment, never in a file kept in git.
#
# Aliases from the original spec: grid.large_order_threshold_sol = grid.large_order_threshold;
# grid.front_run_tick_size_sol = the front-run distance as a price (exactly 1 or 2 ticks).
#
# Check a file with `bmvbot config check FILE`: every error is listed at once (exit code 2).

"""


def render_example() -> str:
    """Return the text of ``bmvbot.example.toml``: every key documented, at its default."""
    return EXAMPLE_HEADER + render_toml(Settings(), describe=True, redact=False)
