"""Building blocks of the settings sections: documented fields, unit conversions, error text.

Every field is declared with ``setting(default, text, unit=...)`` so that its description
states its meaning, unit and default in one place; ``config show --describe`` and
``bmvbot.example.toml`` print those descriptions. ``describe_error`` turns one pydantic error
into a ``ConfigError`` that names the dotted key, the bad value (never a secret) and what is
allowed.
"""

from __future__ import annotations

import difflib
import json
import math
import types
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from bmvbot.core.errors import ConfigError
from bmvbot.core.types import LAMPORTS_PER_SOL, NS_PER_DAY, NS_PER_S, MarketSpec, Rounding, quantize

REDACTED = "<redacted>"
"""How a secret value appears in errors."""
MAX_UI_AMOUNT = 1e15
"""Upper bound of UI prices and amounts: keeps every converted value inside i64."""


class Section(BaseModel):
    """Base of every ``[section]``: strict types, no unknown keys, no NaN, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    secret_fields: ClassVar[frozenset[str]] = frozenset()
    """Fields whose values never appear in errors or output."""
    same_value_keys: ClassVar[tuple[tuple[str, ...], ...]] = ()
    """Groups of keys that set one value in different units or spellings (aliases)."""

    @classmethod
    def resolve_aliases(
        cls, table: dict[str, Any], market: MarketSpec | None
    ) -> tuple[dict[str, Any], list[ConfigError]]:
        """Return ``table`` with alias keys that need the market converted, and any errors."""
        del market  # only sections with unit-bearing aliases need it
        return table, []


def setting(
    default: Any,
    text: str,
    *,
    unit: str,
    shown: str | None = None,
    allowed: str | None = None,
    **constraints: Any,
) -> Any:
    """Return a pydantic ``Field`` whose description states ``text``, the unit and the default.

    Args:
        default: the default value (a list default is copied per instance).
        text: what the field does, one or two sentences ending with a period.
        unit: the unit of the value, e.g. ``"seconds"`` or ``"UI quote per base"``.
        shown: how to print the default when ``repr`` would not do (secrets).
        allowed: what the field accepts, when its type and bounds do not say it all.
        **constraints: pydantic constraints (``ge``, ``le``, ``gt``, ``lt``, aliases).
    """
    shown = shown if shown is not None else toml_literal(default)
    description = f"{text} Unit: {unit}. Default: {shown}."
    if allowed is not None:
        constraints["json_schema_extra"] = {"allowed": allowed}
    if isinstance(default, list):
        frozen = tuple(default)
        return Field(default_factory=lambda: list(frozen), description=description, **constraints)
    return Field(default, description=description, **constraints)


def toml_literal(value: object) -> str:
    """Return ``value`` written as a TOML literal (``unset`` for None)."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | Path):
        return json.dumps(str(value))
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_literal(item) for item in value) + "]"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def ui_number(value: float) -> str:
    """Return a float in plain decimal notation (``0.000001``, not ``1e-06``)."""
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def shown_value(value: object) -> str:
    """Return a short, TOML-like rendering of a user's value for an error message."""
    if isinstance(value, dict):
        return "a table"
    text = toml_literal(value) if value is not None else "nothing"
    return text if len(text) <= 60 else text[:57] + "..."


# --- field introspection -------------------------------------------------------------------


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        return (args[0] if len(args) == 1 else annotation), len(args) < len(get_args(annotation))
    return annotation, False


def field_names(model: type[Section]) -> list[str]:
    """Return every key a section accepts: field names and their aliases."""
    names = list(model.model_fields)
    for info in model.model_fields.values():
        names.extend(_aliases(info))
    names.extend(key for group in model.same_value_keys for key in group if key not in names)
    return names


def _aliases(info: FieldInfo) -> list[str]:
    choices = getattr(info.validation_alias, "choices", None)
    return [str(choice) for choice in choices or ()]


def field_for(model: type[BaseModel], key: str) -> str | None:
    """Return the field name a key (a name or an alias) sets, or None for an unknown key."""
    for name, info in model.model_fields.items():
        if key == name or key in _aliases(info):
            return name
    return None


def is_text_field(model: type[BaseModel], key: str) -> bool:
    """Return True when ``key`` holds text (string, secret, path or a choice of words)."""
    name = field_for(model, key)
    if name is None:
        return False
    annotation, _ = _unwrap_optional(model.model_fields[name].annotation)
    return annotation in (str, SecretStr, Path) or get_origin(annotation) is Literal


def _kind(annotation: Any) -> str:
    # the order matters: bool is an int subclass
    kinds: list[tuple[Any, str]] = [
        (bool, "true or false"),
        (int, "an integer"),
        (float, "a number"),
        (str, "a string"),
        (SecretStr, "a string"),
        (Path, "a path"),
        (AwareDatetime, "a date-time with a UTC offset, e.g. 2026-11-01T00:00:00Z"),
    ]
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(json.dumps(choice) for choice in get_args(annotation))
    return next((text for kind, text in kinds if annotation is kind), "a valid value")


def _number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}".replace("e+", "e")
    return f"{value:_}" if isinstance(value, int) and abs(value) >= 10**6 else str(value)


def _bounds(metadata: list[Any]) -> str:
    low = next(
        (m for m in metadata if isinstance(m, annotated_types.Ge | annotated_types.Gt)), None
    )
    high = next(
        (m for m in metadata if isinstance(m, annotated_types.Le | annotated_types.Lt)), None
    )
    if isinstance(low, annotated_types.Ge) and isinstance(high, annotated_types.Le):
        return f"{_number(low.ge)}..{_number(high.le)}"
    parts = []
    if isinstance(low, annotated_types.Ge):
        parts.append(f">= {_number(low.ge)}")
    if isinstance(low, annotated_types.Gt):
        parts.append(f"> {_number(low.gt)}")
    if isinstance(high, annotated_types.Le):
        parts.append(f"<= {_number(high.le)}")
    if isinstance(high, annotated_types.Lt):
        parts.append(f"< {_number(high.lt)}")
    return " and ".join(parts)


def allowed(info: FieldInfo) -> str:
    """Return what a field accepts, e.g. ``an integer 1..64`` or ``a number > 0 (or unset)``."""
    annotation, is_optional = _unwrap_optional(info.annotation)
    extra = info.json_schema_extra
    if isinstance(extra, dict) and isinstance(extra.get("allowed"), str):
        text = str(extra["allowed"])
    else:
        bounds = _bounds(info.metadata)
        text = f"{_kind(annotation)} {bounds}" if bounds else _kind(annotation)
    return f"{text} (or left out to unset it)" if is_optional else text


# --- errors ---------------------------------------------------------------------------------


def describe_error(
    section: str,
    model: type[Section],
    item: ErrorDetails,
    env_name: str | None,
    sections: Mapping[str, type[Section]],
) -> ConfigError:
    """Return one pydantic error as a ``ConfigError`` naming the key, the value and what fits.

    Args:
        section: the section being validated.
        model: its model.
        item: the pydantic error.
        env_name: the environment variable that set the key, if one did.
        sections: every section model, to point at the right section for a misplaced key.
    """
    where = f" (from environment variable {env_name})" if env_name else ""
    loc = item["loc"]
    if not loc:
        return ConfigError(
            f"{section} must be a table ([{section}] followed by key = value lines), "
            f"was {shown_value(item['input'])}",
            key=section,
        )
    name = str(loc[0])
    key = f"{section}.{name}"
    if item["type"] == "extra_forbidden":
        return ConfigError(unknown_key_message(section, model, name, sections) + where, key=key)
    info = model.model_fields[field_for(model, name) or name]
    dotted = ".".join([section, *(str(part) for part in loc)])
    value = (
        REDACTED if field_for(model, name) in model.secret_fields else shown_value(item["input"])
    )
    if item["type"] == "value_error":
        reason = str((item.get("ctx") or {}).get("error", item["msg"]))
        return ConfigError(f"{dotted} {reason}, was {value}{where}", key=key)
    return ConfigError(f"{dotted} must be {allowed(info)}, was {value}{where}", key=key)


def closest(name: str, valid: list[str]) -> list[str]:
    """Return the valid name closest to a misspelt one (a prefix match first), if any."""
    prefixed = [candidate for candidate in valid if candidate.startswith(name)]
    return prefixed[:1] or difflib.get_close_matches(name, valid, n=1, cutoff=0.6)


def unknown_key_message(
    section: str, model: type[Section], name: str, sections: Mapping[str, type[Section]]
) -> str:
    """Return why ``section.name`` is refused and the closest valid key."""
    key = f"{section}.{name}"
    close = closest(name, field_names(model))
    if close:
        return f"{key} is not a known key; did you mean {section}.{close[0]}?"
    elsewhere = [other for other, m in sections.items() if other != section and field_for(m, name)]
    if elsewhere:
        owner_section = elsewhere[0]
        return (
            f"{key} is not a known key; did you mean {owner_section}.{name} "
            f"(under [{owner_section}])?"
        )
    return f"{key} is not a known key; valid keys: {', '.join(model.model_fields)}"


# --- unit conversions ------------------------------------------------------------------------


def seconds_to_ns(seconds: float) -> int:
    """Return a duration in seconds as integer nanoseconds (nearest)."""
    return quantize(seconds * NS_PER_S, Rounding.NEAREST)


def days_to_ns(days: float) -> int:
    """Return a duration in (fractional) days as integer nanoseconds (nearest)."""
    return quantize(days * NS_PER_DAY, Rounding.NEAREST)


def sol_to_lamports(sol: float) -> int:
    """Return a SOL amount in lamports (nearest)."""
    return quantize(sol * LAMPORTS_PER_SOL, Rounding.NEAREST)


def datetime_to_ns(moment: datetime) -> int:
    """Return an aware datetime as integer UTC nanoseconds since the Unix epoch."""
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * NS_PER_S + delta.microseconds * 1_000


def price_ticks(price_ui: float, market: MarketSpec, key: str) -> int:
    """Return a UI price in ticks (nearest).

    Raises:
        ConfigError: the price is below half a tick of this market.
    """
    ticks = market.price_to_lots(price_ui, Rounding.NEAREST)
    if ticks < 1:
        raise ConfigError(
            f"{key} must be at least one tick of this market "
            f"({ui_number(market.ui_per_price_lot)}), was {ui_number(price_ui)}",
            key=key,
        )
    return ticks


def whole_ticks(price_ui: float, market: MarketSpec, key: str) -> int:
    """Return a UI price increment that must be a whole number of ticks, in ticks.

    Raises:
        ConfigError: the increment is not a whole number (>= 1) of ticks.
    """
    exact = price_ui / market.ui_per_price_lot
    ticks = round(exact)
    if ticks < 1 or not math.isclose(exact, ticks, rel_tol=1e-6):
        tick = market.ui_per_price_lot
        raise ConfigError(
            f"{key} must be a whole number of ticks (one tick = {ui_number(tick)}, so "
            f"{ui_number(tick)}, {ui_number(2 * tick)}, ...), was {ui_number(price_ui)} = "
            f"{exact:.6g} ticks",
            key=key,
        )
    return ticks


def base_lots(size_ui: float, market: MarketSpec, key: str, *, is_zero_ok: bool = True) -> int:
    """Return a UI base amount in base lots (down); 0 stays 0 when ``is_zero_ok``.

    Raises:
        ConfigError: a positive amount is below one base lot.
    """
    lots = market.size_to_lots(size_ui, Rounding.DOWN)
    if lots < 1 and (size_ui > 0 or not is_zero_ok):
        zero = "0 or " if is_zero_ok else ""
        raise ConfigError(
            f"{key} must be {zero}at least one base lot of this market "
            f"({ui_number(market.ui_per_base_lot)}), was {ui_number(size_ui)}",
            key=key,
        )
    return lots


def quote_lots(amount_ui: float, market: MarketSpec, key: str, *, shown_key: str = "") -> int:
    """Return a UI quote amount in quote lots (down); 0 stays 0.

    Args:
        amount_ui: the amount in quote tokens.
        market: the market's geometry.
        key: the dotted key, for the error.
        shown_key: how to name the key in the message, when not ``key`` (aliases).

    Raises:
        ConfigError: a positive amount is below one quote lot.
    """
    lots = market.quote_ui_to_native(amount_ui, Rounding.DOWN) // market.quote_lot_size
    if amount_ui > 0 and lots < 1:
        one_lot = market.quote_to_ui(market.quote_lot_size)
        raise ConfigError(
            f"{shown_key or key} must be 0 or at least one quote lot of this market "
            f"({ui_number(one_lot)}), was {ui_number(amount_ui)}",
            key=key,
        )
    return lots
