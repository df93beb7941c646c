"""The strategy sections of ``bmvbot.toml``: market, pivot, grid, guards, swarm, target, treasury.

Each section holds human units and converts itself into its frozen core params with
``to_params``; sections whose values depend on the market's geometry take the ``MarketSpec``.
``conversions()`` lists the conversions that can fail, so that validation can report each one.
The module is long only because every field carries its documentation and bounds; the logic
per section is a few lines of unit conversion.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import AliasChoices, AwareDatetime, field_validator
from solders.pubkey import Pubkey

from bmvbot.core.config import (
    GridParams,
    GuardParams,
    PivotParams,
    SwarmParams,
    TargetParams,
    TreasuryParams,
)
from bmvbot.core.errors import ConfigError
from bmvbot.core.types import FEES_SCALE, MarketSpec
from bmvbot.settings.fields import (
    MAX_UI_AMOUNT,
    Section,
    base_lots,
    datetime_to_ns,
    days_to_ns,
    price_ticks,
    quote_lots,
    seconds_to_ns,
    setting,
    shown_value,
    sol_to_lamports,
    ui_number,
    whole_ticks,
)

_YEAR_S = 365 * 86_400

Conversion = Callable[[MarketSpec], object]


class MarketSettings(Section):
    """``[market]``: the OpenBook V2 market. Its decimals and lot sizes convert every UI value."""

    name: str = setting("BMV/SOL", "Label of the market in logs and the dashboard.", unit="text")
    address: str | None = setting(
        None,
        "The OpenBook V2 market account; required in live mode.",
        unit="base58 public key",
        allowed="a base58 public key (32 bytes)",
    )
    base_decimals: int = setting(9, "Decimals of the base mint.", unit="decimals", ge=0, le=18)
    quote_decimals: int = setting(
        9, "Decimals of the quote mint (9 for SOL).", unit="decimals", ge=0, le=18
    )
    base_lot_size: int = setting(
        1_000_000,
        "Native base units per base lot (the market's base_lot_size).",
        unit="native base units",
        ge=1,
        le=10**15,
    )
    quote_lot_size: int = setting(
        1,
        "Native quote units per quote lot (the market's quote_lot_size).",
        unit="native quote units",
        ge=1,
        le=10**15,
    )
    maker_fee_ppm: int = setting(
        0,
        "Maker fee of the market; negative is a rebate.",
        unit="parts per million",
        ge=-FEES_SCALE,
        le=FEES_SCALE,
    )
    taker_fee_ppm: int = setting(
        0, "Taker fee of the market.", unit="parts per million", ge=0, le=FEES_SCALE
    )

    @field_validator("address")
    @classmethod
    def _check_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            Pubkey.from_string(value)
        except ValueError:
            raise ValueError("must be a base58 public key (32 bytes)") from None
        return value

    def to_spec(self) -> MarketSpec:
        """Return the market geometry."""
        return MarketSpec(
            base_decimals=self.base_decimals,
            quote_decimals=self.quote_decimals,
            base_lot_size=self.base_lot_size,
            quote_lot_size=self.quote_lot_size,
            maker_fee_ppm=self.maker_fee_ppm,
            taker_fee_ppm=self.taker_fee_ppm,
        )


class PivotSettings(Section):
    """``[pivot]``: the VWAP pivot over organic trades, a decaying seed and a 24h anchor."""

    lookback_days: float = setting(
        7.0,
        "Window of organic trades, and the span over which the seed decays to zero.",
        unit="days",
        gt=0,
        le=3650,
    )
    seed_price: float | None = setting(
        None,
        "Pseed, the launch price the seed term anchors to; unset disables the seed.",
        unit="UI quote per base",
        gt=0,
        le=MAX_UI_AMOUNT,
    )
    seed_daily_volume: float = setting(
        0.0,
        "NominalDailyVolume: the seed's weight is max(0, lookback - elapsed days) times this.",
        unit="base tokens per day (UI)",
        ge=0,
        le=MAX_UI_AMOUNT,
    )
    seed_start: AwareDatetime | None = setting(
        None,
        "When the seed starts decaying (market launch), e.g. 2026-11-01T00:00:00Z; "
        "needed when the seed is on.",
        unit="date-time with UTC offset",
    )
    external_weight: float = setting(
        1.0,
        "Multiplier on the 24h external volume V24h; 0 turns the external term off.",
        unit="multiplier",
        ge=0,
        le=1000,
    )
    external_max_age_s: float = setting(
        300.0,
        "An external price older than this gets weight 0.",
        unit="seconds",
        gt=0,
        le=_YEAR_S,
    )
    dedup_window_s: float = setting(
        3600.0,
        "How long a trade identity is remembered so a trade seen twice counts once.",
        unit="seconds",
        ge=0,
        le=_YEAR_S,
    )

    def conversions(self) -> tuple[Conversion, ...]:
        """Return the conversions that depend on the market and can fail."""
        return (self.seed_price_lots, self.seed_daily_volume_base_lots)

    def seed_price_lots(self, market: MarketSpec) -> int | None:
        """Return the seed price in ticks, or None without a seed."""
        if self.seed_price is None:
            return None
        return price_ticks(self.seed_price, market, "pivot.seed_price")

    def seed_daily_volume_base_lots(self, market: MarketSpec) -> int:
        """Return NominalDailyVolume in base lots."""
        return base_lots(self.seed_daily_volume, market, "pivot.seed_daily_volume")

    def to_params(self, market: MarketSpec) -> PivotParams:
        """Return the PivotEngine parameters."""
        return PivotParams(
            lookback_ns=days_to_ns(self.lookback_days),
            seed_price_lots=self.seed_price_lots(market),
            seed_daily_volume_base_lots=self.seed_daily_volume_base_lots(market),
            seed_start_ns=0 if self.seed_start is None else datetime_to_ns(self.seed_start),
            external_weight=self.external_weight,
            external_max_age_ns=seconds_to_ns(self.external_max_age_s),
            dedup_window_ns=seconds_to_ns(self.dedup_window_s),
        )


FRONT_RUN_ALIAS = "front_run_tick_size_sol"
"""The original spec's key: the front-run distance as a price increment."""


def front_run_ticks_from_price(increment: object, market: MarketSpec) -> int:
    """Return the front-run distance given as a price increment (UI quote), in ticks.

    Raises:
        ConfigError: the increment is not a number of exactly 1 or 2 ticks.
    """
    key = f"grid.{FRONT_RUN_ALIAS}"
    if isinstance(increment, bool) or not isinstance(increment, int | float):
        raise ConfigError(f"{key} must be a number, was {shown_value(increment)}", key=key)
    if not math.isfinite(increment) or increment <= 0:
        raise ConfigError(f"{key} must be a number > 0, was {shown_value(increment)}", key=key)
    ticks = whole_ticks(increment, market, key)
    if ticks not in (1, 2):
        tick = market.ui_per_price_lot
        raise ConfigError(
            f"{key} must be 1 or 2 ticks ({ui_number(tick)} or {ui_number(2 * tick)}), was "
            f"{ui_number(increment)} = {ticks} ticks: a level moves just ahead of a wall for "
            "queue priority, never further",
            key=key,
        )
    return ticks


class GridSettings(Section):
    """``[grid]``: levels at ``Pivot -/+ Step * n^gamma``, sizes, and wall front-running."""

    same_value_keys: ClassVar[tuple[tuple[str, ...], ...]] = (
        ("large_order_threshold", "large_order_threshold_sol"),
        ("front_run_ticks", "front_run_tick_size_sol"),
    )

    levels_per_side: int = setting(
        16, "Levels on each side of the pivot.", unit="count", ge=1, le=64
    )
    step_pct: float = setting(
        0.5,
        "Step as a percent of the pivot: level n sits Step * n^gamma from it.",
        unit="percent",
        gt=0,
        lt=50,
    )
    step_ticks: int | None = setting(
        None,
        "Step as an absolute price increment; when set it wins over step_pct.",
        unit="ticks",
        ge=1,
        le=10**12,
    )
    gamma: float = setting(1.2, "Spacing exponent of the levels.", unit="exponent", ge=0.5, le=3)
    size_multiplier: float = setting(
        1.1,
        "Each level outward is this many times the size of the one inside it.",
        unit="ratio",
        ge=1,
        le=3,
    )
    bid_depth: float = setting(
        1000.0,
        "TotalDepth of the bid side, split over its levels.",
        unit="base tokens (UI)",
        ge=0,
        le=MAX_UI_AMOUNT,
    )
    ask_depth: float = setting(
        1000.0,
        "TotalDepth of the ask side, split over its levels.",
        unit="base tokens (UI)",
        ge=0,
        le=MAX_UI_AMOUNT,
    )
    min_size: float = setting(
        0.001,
        "Levels smaller than this are dropped; at least one base lot.",
        unit="base tokens (UI)",
        gt=0,
        le=MAX_UI_AMOUNT,
    )
    large_order_threshold: float = setting(
        0.0,
        "An external L2 level worth more than this (price * size) is a wall; 0 turns wall "
        "front-running off. Alias: large_order_threshold_sol.",
        unit="quote tokens (UI; SOL on SOL-quoted markets)",
        ge=0,
        le=MAX_UI_AMOUNT,
        validation_alias=AliasChoices("large_order_threshold", "large_order_threshold_sol"),
    )
    front_run_ticks: int = setting(
        1,
        "How far ahead of a wall a level moves for queue priority. Alias: "
        "front_run_tick_size_sol, the same distance as a price (exactly 1 or 2 ticks).",
        unit="ticks",
        ge=1,
        le=2,
    )
    max_front_run_ticks: int = setting(
        5,
        "A level never moves further than this from its computed price.",
        unit="ticks",
        ge=1,
        le=10**6,
    )
    l2_scan_depth: int = setting(
        20, "External L2 levels scanned per side for walls.", unit="levels", ge=1, le=100
    )

    def conversions(self) -> tuple[Conversion, ...]:
        """Return the conversions that depend on the market and can fail."""
        return (
            self.depth_base_lots,
            self.min_size_base_lots,
            self.wall_threshold_quote_lots,
        )

    def depth_base_lots(self, market: MarketSpec) -> tuple[int, int]:
        """Return the bid and ask TotalDepth in base lots."""
        return (
            base_lots(self.bid_depth, market, "grid.bid_depth"),
            base_lots(self.ask_depth, market, "grid.ask_depth"),
        )

    def min_size_base_lots(self, market: MarketSpec) -> int:
        """Return the minimum level size in base lots."""
        return base_lots(self.min_size, market, "grid.min_size", is_zero_ok=False)

    def wall_threshold_quote_lots(self, market: MarketSpec) -> int:
        """Return the wall threshold in quote lots."""
        return quote_lots(
            self.large_order_threshold,
            market,
            "grid.large_order_threshold",
            shown_key="grid.large_order_threshold (or its alias large_order_threshold_sol)",
        )

    @classmethod
    def resolve_aliases(
        cls, table: dict[str, Any], market: MarketSpec | None
    ) -> tuple[dict[str, Any], list[ConfigError]]:
        """Return ``table`` with ``front_run_tick_size_sol`` turned into ``front_run_ticks``.

        Without a valid market the alias cannot be converted and is left out (the market's
        own errors are reported).
        """
        if FRONT_RUN_ALIAS not in table:
            return table, []
        resolved = {key: value for key, value in table.items() if key != FRONT_RUN_ALIAS}
        if market is None:
            return resolved, []
        try:
            resolved["front_run_ticks"] = front_run_ticks_from_price(table[FRONT_RUN_ALIAS], market)
        except ConfigError as error:
            return resolved, [error]
        return resolved, []

    def to_params(self, market: MarketSpec) -> GridParams:
        """Return the GridBuilder parameters."""
        bid_depth, ask_depth = self.depth_base_lots(market)
        return GridParams(
            levels_per_side=self.levels_per_side,
            step_fraction=self.step_pct / 100,
            step_price_lots=self.step_ticks,
            gamma=self.gamma,
            size_multiplier=self.size_multiplier,
            bid_depth_base_lots=bid_depth,
            ask_depth_base_lots=ask_depth,
            min_size_base_lots=self.min_size_base_lots(market),
            wall_threshold_quote_lots=self.wall_threshold_quote_lots(market),
            front_run_ticks=self.front_run_ticks,
            max_front_run_ticks=self.max_front_run_ticks,
            l2_scan_depth=self.l2_scan_depth,
        )


class GuardSettings(Section):
    """``[guards]``: when to rebalance -- deviation, proximity, entropy -- and how often at most."""

    deviation_pct: float = setting(
        2.0,
        "Rebalance when |market - last pivot| / last pivot exceeds this.",
        unit="percent",
        gt=0,
        lt=100,
    )
    deviation_enabled: bool = setting(True, "Turns the deviation guard on.", unit="switch")
    proximity_pct: float = setting(
        0.25,
        "Rebalance when the market comes within this of a resting level; must stay "
        "below the innermost level's distance from the pivot (grid.step_pct).",
        unit="percent of the level's price",
        gt=0,
        lt=100,
    )
    proximity_enabled: bool = setting(True, "Turns the proximity guard on.", unit="switch")
    entropy_interval_s: float = setting(
        3600.0,
        "Full refresh of the grid at least this often.",
        unit="seconds",
        gt=0,
        le=_YEAR_S,
    )
    entropy_enabled: bool = setting(True, "Turns the entropy guard on.", unit="switch")
    cooldown_s: float = setting(
        5.0, "Minimum time between two rebalances.", unit="seconds", ge=0, le=_YEAR_S
    )
    tolerance_ticks: int = setting(
        0,
        "A target level this close to a resting one counts as unchanged.",
        unit="ticks",
        ge=0,
        le=10**6,
    )
    tolerance_size_pct: float = setting(
        0.0,
        "A target level also needs its size within this of the resting size to count as unchanged.",
        unit="percent",
        ge=0,
        lt=100,
    )

    def to_params(self) -> GuardParams:
        """Return the guard parameters."""
        return GuardParams(
            deviation_fraction=self.deviation_pct / 100,
            is_deviation_enabled=self.deviation_enabled,
            proximity_fraction=self.proximity_pct / 100,
            is_proximity_enabled=self.proximity_enabled,
            entropy_interval_ns=seconds_to_ns(self.entropy_interval_s),
            is_entropy_enabled=self.entropy_enabled,
            cooldown_ns=seconds_to_ns(self.cooldown_s),
            tolerance_price_lots=self.tolerance_ticks,
            tolerance_size_fraction=self.tolerance_size_pct / 100,
        )


class SwarmSettings(Section):
    """``[swarm]``: how many wallets rest the grid and how levels rotate over them."""

    wallet_count: int = setting(
        16, "Wallets in the swarm (15-20 recommended).", unit="count", ge=1, le=64
    )
    tick_interval_s: float = setting(
        60.0,
        "Rotation period: a level's wallet is (segment + floor(now / this)) mod wallets.",
        unit="seconds",
        gt=0,
        le=_YEAR_S,
    )
    max_orders_per_account: int = setting(
        24,
        "OpenOrders slots used per wallet (the program allows 24).",
        unit="orders",
        ge=1,
        le=24,
    )
    side_split: bool = setting(
        True,
        "Bids rotate over one half of the swarm and asks over the other (needs 2+ "
        "wallets; required for safe one-by-one replacement).",
        unit="switch",
    )

    def to_params(self) -> SwarmParams:
        """Return the swarm parameters."""
        return SwarmParams(
            wallet_count=self.wallet_count,
            tick_interval_ns=seconds_to_ns(self.tick_interval_s),
            max_orders_per_account=self.max_orders_per_account,
            is_side_split=self.side_split,
        )


class TargetSettings(Section):
    """``[target]``: Target Control throttles bid depth as headroom runs out (spec 5.2)."""

    total_emission: float | None = setting(
        None,
        "TotalEmission of the base token; unset turns Target Control off.",
        unit="base tokens (UI)",
        gt=0,
        le=MAX_UI_AMOUNT,
    )
    soft_headroom_pct: float = setting(
        20.0, "Bid depth is full above this headroom.", unit="percent", gt=0, le=100
    )
    hard_headroom_pct: float = setting(
        5.0, "Bid depth is zero at or below this headroom.", unit="percent", ge=0, lt=100
    )

    def conversions(self) -> tuple[Conversion, ...]:
        """Return the conversions that depend on the market and can fail."""
        return (self.total_emission_base_lots,)

    def total_emission_base_lots(self, market: MarketSpec) -> int | None:
        """Return TotalEmission in base lots, or None when Target Control is off."""
        if self.total_emission is None:
            return None
        return base_lots(self.total_emission, market, "target.total_emission")

    def to_params(self, market: MarketSpec) -> TargetParams:
        """Return the Target Control parameters."""
        return TargetParams(
            total_emission_base_lots=self.total_emission_base_lots(market),
            soft_headroom_fraction=self.soft_headroom_pct / 100,
            hard_headroom_fraction=self.hard_headroom_pct / 100,
        )


class TreasurySettings(Section):
    """``[treasury]``: SOL top-ups of the swarm wallets and the base/quote mix by price zone."""

    min_balance_sol: float = setting(
        0.05, "A wallet below this SOL balance is topped up.", unit="SOL", ge=0, le=1e6
    )
    top_up_target_sol: float = setting(
        0.1,
        "A top-up brings the wallet to this balance; above min_balance_sol.",
        unit="SOL",
        gt=0,
        le=1e6,
    )
    mix_reference_price: float | None = setting(
        None,
        "Reference price of the mix zones; unset turns the base/quote mix shift off.",
        unit="UI quote per base",
        gt=0,
        le=MAX_UI_AMOUNT,
    )
    mix_zone_bounds_pct: list[float] = setting(
        [-10.0, 10.0],
        "Zone boundaries as pivot / reference - 1, strictly rising, above -100.",
        unit="percent",
        allowed="a list of strictly rising numbers above -100",
    )
    mix_zone_base_pct: list[float] = setting(
        [60.0, 50.0, 40.0],
        "Target share of base in the swarm's value per zone, lowest zone "
        "first; one more entry than mix_zone_bounds_pct.",
        unit="percent",
        allowed="a list of numbers 0..100, one more than mix_zone_bounds_pct",
    )
    mix_tolerance_pct: float = setting(
        5.0,
        "No mix rebalancing while the base share is within this of its target.",
        unit="percentage points",
        ge=0,
        le=100,
    )

    def conversions(self) -> tuple[Conversion, ...]:
        """Return the conversions that depend on the market and can fail."""
        return (self.mix_reference_price_lots,)

    def mix_reference_price_lots(self, market: MarketSpec) -> int | None:
        """Return the mix reference price in ticks, or None when the mix shift is off."""
        if self.mix_reference_price is None:
            return None
        return price_ticks(self.mix_reference_price, market, "treasury.mix_reference_price")

    def to_params(self, market: MarketSpec) -> TreasuryParams:
        """Return the treasury parameters."""
        return TreasuryParams(
            min_balance_lamports=sol_to_lamports(self.min_balance_sol),
            top_up_target_lamports=sol_to_lamports(self.top_up_target_sol),
            mix_reference_price_lots=self.mix_reference_price_lots(market),
            mix_zone_bounds_fraction=tuple(p / 100 for p in self.mix_zone_bounds_pct),
            mix_zone_base_fractions=tuple(p / 100 for p in self.mix_zone_base_pct),
            mix_tolerance_fraction=self.mix_tolerance_pct / 100,
        )
