"""Configuration at the edge: ``bmvbot.toml`` and environment, validated, in human units.

``load_settings(path, env=...)`` returns a validated ``Settings``; ``Settings.to_params()``
gives the frozen core ``StrategyParams``; ``reload(path, current)`` validates a new file for a
hot reload and raises (leaving ``current`` in force) on any error. The sections are documented
field by field (meaning, unit, default) in ``bmvbot.example.toml`` at the repository root.
"""

from __future__ import annotations

from bmvbot.settings.deployment import ApiSettings, DatabaseSettings, VenueSettings
from bmvbot.settings.fields import REDACTED, Section
from bmvbot.settings.loader import (
    CONFIG_ENV,
    DEFAULT_CONFIG_NAME,
    DEFAULT_SOURCE,
    ENV_PREFIX,
    RESTART_ONLY_KEYS,
    SECTIONS,
    Settings,
    apply_env,
    changed_keys,
    config_path,
    load_settings,
    read_toml,
    reload,
    validate_settings,
)
from bmvbot.settings.strategy import (
    GridSettings,
    GuardSettings,
    MarketSettings,
    PivotSettings,
    SwarmSettings,
    TargetSettings,
    TreasurySettings,
)

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_NAME",
    "DEFAULT_SOURCE",
    "ENV_PREFIX",
    "REDACTED",
    "RESTART_ONLY_KEYS",
    "SECTIONS",
    "ApiSettings",
    "DatabaseSettings",
    "GridSettings",
    "GuardSettings",
    "MarketSettings",
    "PivotSettings",
    "Section",
    "Settings",
    "SwarmSettings",
    "TargetSettings",
    "TreasurySettings",
    "VenueSettings",
    "apply_env",
    "changed_keys",
    "config_path",
    "load_settings",
    "read_toml",
    "reload",
    "validate_settings",
]
