"""Load, validate and reload the configuration: file, then environment, then every check.

Sources, lowest precedence first: the user's file, or the shipped ``bmvbot.default.toml`` when
none is given; then ``DATABASE_URL``, ``BMVBOT_DATA_DIR`` and ``BMVBOT_<SECTION>__<KEY>``
environment variables. Validation runs every section, every cross-field rule, every unit
conversion and the core params' own checks, and reports all problems in one
``InvalidConfigError``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bmvbot.core.config import StrategyParams
from bmvbot.core.errors import ConfigError, InvalidConfigError
from bmvbot.core.types import MarketSpec
from bmvbot.settings.deployment import ApiSettings, DatabaseSettings, VenueSettings
from bmvbot.settings.fields import Section, closest, describe_error, field_for, is_text_field
from bmvbot.settings.rules import cross_field_errors
from bmvbot.settings.strategy import (
    GridSettings,
    GuardSettings,
    MarketSettings,
    PivotSettings,
    SwarmSettings,
    TargetSettings,
    TreasurySettings,
)

ENV_PREFIX = "BMVBOT_"
"""Environment variables ``BMVBOT_<SECTION>__<KEY>`` override one key each."""
ENV_NESTING = "__"
DEFAULT_CONFIG_NAME = "bmvbot.default.toml"
"""The shipped default configuration, package data of ``bmvbot``."""
DEFAULT_SOURCE = "the shipped default config"
CONFIG_ENV = "BMVBOT_CONFIG"
"""Names the config file when no ``--config`` is given."""

RESTART_ONLY_KEYS = ("market", "venue", "api", "database", "swarm.wallet_count", "swarm.side_split")
"""Keys (or whole sections) a hot reload may not change: they need a restart."""


class Settings(BaseModel):
    """The whole configuration, validated, in human units; ``to_params`` gives the core's view."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    market: MarketSettings = Field(
        default_factory=MarketSettings,
        description="The OpenBook V2 market: mint decimals, lot sizes, fees. Converts every unit.",
    )
    pivot: PivotSettings = Field(
        default_factory=PivotSettings, description="The VWAP pivot (spec 2.1, 2.2)."
    )
    grid: GridSettings = Field(
        default_factory=GridSettings,
        description="The order grid and wall front-running (spec 3.1, 3.2).",
    )
    guards: GuardSettings = Field(
        default_factory=GuardSettings, description="Rebalance guards (spec 4.1)."
    )
    swarm: SwarmSettings = Field(
        default_factory=SwarmSettings, description="The wallet swarm (spec 3.3)."
    )
    target: TargetSettings = Field(
        default_factory=TargetSettings, description="Target Control (spec 5.2)."
    )
    treasury: TreasurySettings = Field(
        default_factory=TreasurySettings, description="SOL top-ups and base/quote mix (spec 5.1)."
    )
    venue: VenueSettings = Field(
        default_factory=VenueSettings, description="Mode, RPC, WebSocket and Jito endpoints."
    )
    api: ApiSettings = Field(
        default_factory=ApiSettings, description="The HTTP API and dashboard server."
    )
    database: DatabaseSettings = Field(
        default_factory=DatabaseSettings, description="PostgreSQL, external or embedded."
    )

    def to_params(self) -> StrategyParams:
        """Return the frozen core params, converted with this market's geometry.

        Raises:
            ConfigError: a value does not convert (``load_settings`` has already checked this).
        """
        market = self.market.to_spec()
        return StrategyParams(
            market=market,
            pivot=self.pivot.to_params(market),
            grid=self.grid.to_params(market),
            guards=self.guards.to_params(),
            swarm=self.swarm.to_params(),
            target=self.target.to_params(market),
            treasury=self.treasury.to_params(market),
        )


SECTIONS: dict[str, type[Section]] = {
    name: info.annotation  # type: ignore[misc]  # every Settings field is a Section model
    for name, info in Settings.model_fields.items()
}
"""Section name -> its model, in file order."""


def load_settings(
    path: Path | str | None = None, *, env: Mapping[str, str] | None = None
) -> Settings:
    """Return validated settings from ``path`` (or the shipped default) and the environment.

    Args:
        path: a TOML file; None loads the shipped default configuration.
        env: environment variables to apply; None reads ``os.environ``. Pass ``{}`` to ignore
            the environment.

    Raises:
        ConfigError: the file cannot be read or parsed.
        InvalidConfigError: one or more values are invalid; ``errors`` lists every one.
    """
    if path is None:
        source = DEFAULT_SOURCE
        raw = _parse_toml(
            resources.files("bmvbot").joinpath(DEFAULT_CONFIG_NAME).read_text(), source
        )
    else:
        source = str(path)
        raw = read_toml(Path(path))
    merged, origins, errors = apply_env(raw, os.environ if env is None else env)
    return validate_settings(merged, source=source, origins=origins, errors=errors)


def config_path(path: Path | str | None, env: Mapping[str, str] | None = None) -> Path | None:
    """Return the config file to load: ``path``, else ``BMVBOT_CONFIG``, else None (default).

    Args:
        path: a path given explicitly (``--config``), or None.
        env: environment variables; None reads ``os.environ``.
    """
    if path is not None:
        return Path(path)
    named = (os.environ if env is None else env).get(CONFIG_ENV, "")
    return Path(named) if named else None


def reload(
    path: Path | str | None, current: Settings, *, env: Mapping[str, str] | None = None
) -> Settings:
    """Return new settings for a hot reload, or raise and leave ``current`` in force.

    A reload may change strategy keys; the keys in ``RESTART_ONLY_KEYS`` need a restart.

    Raises:
        ConfigError: the new file is unreadable or invalid, or changes a restart-only key.
    """
    new = load_settings(path, env=env)
    restart_only = [key for key in changed_keys(current, new) if _needs_restart(key)]
    if restart_only:
        problems = [
            ConfigError(f"{key} cannot change while running; restart bmvbot to apply it", key=key)
            for key in restart_only
        ]
        raise InvalidConfigError(problems, source=DEFAULT_SOURCE if path is None else str(path))
    return new


def changed_keys(old: Settings, new: Settings) -> list[str]:
    """Return the dotted keys whose values differ between two settings, in file order.

    Only key names are returned, so the list is safe to log even when a secret changed.
    """
    return [
        f"{section}.{name}"
        for section, model in SECTIONS.items()
        for name in model.model_fields
        if getattr(getattr(old, section), name) != getattr(getattr(new, section), name)
    ]


def read_toml(path: Path) -> dict[str, Any]:
    """Return the parsed TOML document at ``path``.

    Raises:
        ConfigError: the file is missing, unreadable, not UTF-8 or not valid TOML.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except OSError as error:
        raise ConfigError(f"config file {path} cannot be read: {error.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None
    return _parse_toml(text, f"config file {path}")


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # the decoder's message names the line and column only, never the text there
        raise ConfigError(f"{source} is not valid TOML: {error}") from None


def apply_env(
    raw: Mapping[str, Any], env: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str], list[ConfigError]]:
    """Return ``raw`` with environment overrides applied, where each came from, and env errors.

    ``DATABASE_URL`` sets ``database.url`` and ``BMVBOT_DATA_DIR`` sets ``database.data_dir``;
    ``BMVBOT_<SECTION>__<KEY>`` (any case after the prefix) sets one key and wins over both.
    Values are read as TOML literals (``16``, ``true``, ``["a", "b"]``) except for text keys,
    which take the value as is; empty values are ignored.
    """
    merged = {key: dict(value) if isinstance(value, dict) else value for key, value in raw.items()}
    origins: dict[str, str] = {}
    errors: list[ConfigError] = []
    overrides = [
        ("database", "url", "DATABASE_URL"),
        ("database", "data_dir", "BMVBOT_DATA_DIR"),
    ]
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX) or ENV_NESTING not in name:
            continue
        parts = name[len(ENV_PREFIX) :].lower().split(ENV_NESTING)
        if len(parts) != 2 or not all(parts):
            errors.append(
                ConfigError(
                    f"environment variable {name} must look like BMVBOT_<SECTION>__<KEY> "
                    "(one level of nesting)"
                )
            )
            continue
        overrides.append((parts[0], parts[1], name))
    for section, key, name in overrides:
        text = env.get(name, "")
        table = merged.setdefault(section, {})
        if not text or not isinstance(table, dict):
            continue  # a non-table section is reported by validation
        for other in _same_value_keys(section, key):
            table.pop(other, None)  # the environment replaces the value in whatever spelling
        table[key] = _env_value(section, key, text)
        origins[f"{section}.{key}"] = name
    return merged, origins, errors


def _same_value_keys(section: str, key: str) -> list[str]:
    model = SECTIONS.get(section)
    groups = model.same_value_keys if model is not None else ()
    return [other for group in groups if key in group for other in group if other != key]


def _env_value(section: str, key: str, text: str) -> object:
    model = SECTIONS.get(section)
    if model is None or is_text_field(model, key):
        return text
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text  # not a TOML literal: validation reports it as the wrong type


def validate_settings(
    raw: Mapping[str, Any],
    *,
    source: str,
    origins: Mapping[str, str] | None = None,
    errors: list[ConfigError] | None = None,
) -> Settings:
    """Return ``Settings`` for a parsed document, or raise with every error found.

    Args:
        raw: the parsed TOML document (sections as tables).
        source: where it came from, for the error message.
        origins: dotted key -> environment variable, for keys set from the environment.
        errors: errors already found (environment syntax), reported with the rest.

    Raises:
        InvalidConfigError: unknown keys, wrong types or ranges, failed conversions, cross-field
            rules or core param checks; ``errors`` holds each, naming its dotted key.
    """
    origins = origins or {}
    found = list(errors or [])
    found.extend(_unknown_sections(raw, origins))
    sections: dict[str, Section] = {}
    for name, model in SECTIONS.items():
        table = raw.get(name, {})
        if isinstance(table, dict):
            table = _one_spelling_each(name, model, table, found)
            table, alias_errors = model.resolve_aliases(table, _market_spec(sections))
            found.extend(alias_errors)
        try:
            sections[name] = model.model_validate(table)
        except ValidationError as error:
            found.extend(
                describe_error(name, model, item, origins.get(_dotted(name, item["loc"])), SECTIONS)
                for item in error.errors(include_url=False)
            )
    found.extend(cross_field_errors(sections))
    if len(sections) == len(SECTIONS):
        found.extend(_conversion_errors(sections))
    if found:
        raise InvalidConfigError(_without_repeats(found), source=source)
    return Settings.model_validate(sections)


def _market_spec(sections: Mapping[str, Section]) -> MarketSpec | None:
    # [market] validates first; its geometry converts the aliases of later sections
    market = sections.get("market")
    if not isinstance(market, MarketSettings):
        return None
    try:
        return market.to_spec()
    except ConfigError:
        return None  # reported by the conversion step


def _one_spelling_each(
    name: str, model: type[Section], table: dict[str, Any], found: list[ConfigError]
) -> dict[str, Any]:
    # two spellings of one value: report the later ones and validate the first
    kept = dict(table)
    for group in model.same_value_keys:
        given = [key for key in group if key in table]
        for extra in given[1:]:
            del kept[extra]
            found.append(
                ConfigError(
                    f"{name}.{extra} sets the same value as {name}.{given[0]}; give only one of "
                    "them",
                    key=f"{name}.{extra}",
                )
            )
    return kept


def _dotted(section: str, loc: tuple[int | str, ...]) -> str:
    return ".".join([section, *(str(part) for part in loc[:1])])


def _unknown_sections(raw: Mapping[str, Any], origins: Mapping[str, str]) -> list[ConfigError]:
    found = []
    for name, value in raw.items():
        if name in SECTIONS:
            continue
        owners = [section for section, model in SECTIONS.items() if field_for(model, name)]
        close = closest(name, list(SECTIONS))
        if owners:
            hint = f"did you mean {owners[0]}.{name} (under [{owners[0]}])?"
        elif close:
            hint = f"did you mean [{close[0]}]?"
        else:
            hint = f"valid sections: {', '.join(SECTIONS)}"
        kind = "section" if isinstance(value, dict) else "key"
        env_name = next((v for k, v in origins.items() if k.startswith(f"{name}.")), None)
        where = f" (from environment variable {env_name})" if env_name else ""
        found.append(ConfigError(f"{name} is not a known {kind}{where}; {hint}", key=name))
    return found


def _conversion_errors(sections: Mapping[str, Section]) -> list[ConfigError]:
    settings = Settings.model_validate(sections)
    try:
        market = settings.market.to_spec()
    except ConfigError as error:
        return [error]
    found: list[ConfigError] = []
    for section in (settings.pivot, settings.grid, settings.target, settings.treasury):
        for convert in section.conversions():
            _collect(lambda convert=convert: convert(market), found)  # type: ignore[misc]
    if not found:
        _collect(settings.to_params, found)
    return found


def _collect(step: Callable[[], object], found: list[ConfigError]) -> None:
    try:
        step()
    except ConfigError as error:
        found.append(error)


def _without_repeats(errors: list[ConfigError]) -> list[ConfigError]:
    # the core params re-check some rules already reported in human units: keep the first
    seen: set[str] = set()
    kept = []
    for error in errors:
        if error.key is not None and error.key in seen:
            continue
        if error.key is not None:
            seen.add(error.key)
        kept.append(error)
    return kept


def _needs_restart(key: str) -> bool:
    return key in RESTART_ONLY_KEYS or key.split(".", 1)[0] in RESTART_ONLY_KEYS
