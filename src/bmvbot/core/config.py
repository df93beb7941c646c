"""Frozen strategy parameters: the core's view of the configuration.

Settings are validated at the edge (``bmvbot.settings``) and turned into these values; every
field carries its unit in its name and documents its default. ``__post_init__`` re-checks the
invariants so that a value built by hand is held to the same rules.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from bmvbot.core.errors import ConfigError
from bmvbot.core.types import NS_PER_DAY, NS_PER_S, MarketSpec


def _require(is_ok: bool, key: str, message: str) -> None:
    if not is_ok:
        raise ConfigError(f"{key} {message}", key=key)


@dataclass(frozen=True, slots=True)
class PivotParams:
    """Parameters of the PivotEngine (spec 2.1, 2.2).

    Attributes:
        lookback_ns: window of organic trades (``now - lookback < ts``) and seed decay span
            (LookbackDays); default 7 days.
        seed_price_lots: Pseed, the seed price in ticks; None disables the seed.
        seed_daily_volume_base_lots: NominalDailyVolume in base lots; default 0 (no seed).
        seed_start_ns: the time the seed starts decaying (market launch), UTC ns; default 0.
        external_weight: multiplier on the 24h external volume V24h; 0 disables it; default 1.0.
        external_max_age_ns: an external quote older than this has weight 0 (exactly this old
            still counts); default 300 s.
        dedup_window_ns: how long a trade identity is remembered to drop duplicates; a trade
            arriving later than this after its timestamp is dropped; 0 turns deduplication
            off; default 1 h.
    """

    lookback_ns: int = 7 * NS_PER_DAY
    seed_price_lots: int | None = None
    seed_daily_volume_base_lots: int = 0
    seed_start_ns: int = 0
    external_weight: float = 1.0
    external_max_age_ns: int = 300 * NS_PER_S
    dedup_window_ns: int = 3600 * NS_PER_S

    def __post_init__(self) -> None:
        _require(
            self.lookback_ns > 0, "pivot.lookback_days", f"must be > 0, was {self.lookback_ns}"
        )
        _require(
            self.seed_price_lots is None or self.seed_price_lots > 0,
            "pivot.seed_price",
            f"must be > 0 or unset, was {self.seed_price_lots}",
        )
        _require(
            self.seed_daily_volume_base_lots >= 0,
            "pivot.seed_daily_volume",
            f"must be >= 0, was {self.seed_daily_volume_base_lots}",
        )
        _require(
            0.0 <= self.external_weight <= 1000.0,
            "pivot.external_weight",
            f"must be 0..1000, was {self.external_weight}",
        )
        _require(
            self.external_max_age_ns > 0,
            "pivot.external_max_age_s",
            f"must be > 0, was {self.external_max_age_ns}",
        )
        _require(
            self.dedup_window_ns >= 0,
            "pivot.dedup_window_s",
            f"must be >= 0, was {self.dedup_window_ns}",
        )


@dataclass(frozen=True, slots=True)
class GridParams:
    """Parameters of the GridBuilder (spec 3.1, 3.2).

    Attributes:
        levels_per_side: levels on each side; default 16, 1..64.
        step_fraction: Step as a fraction of the pivot; default 0.005 (0.5 %).
        step_price_lots: Step as an absolute number of ticks; when set it wins over step_fraction.
        gamma: spacing exponent in ``Pivot -/+ Step * n^gamma``; default 1.2, 0.5..3.
        size_multiplier: geometric growth of sizes outward; default 1.1, 1..3.
        bid_depth_base_lots: TotalDepth of the bid side in base lots; default 1,000,000.
        ask_depth_base_lots: TotalDepth of the ask side in base lots; default 1,000,000.
        min_size_base_lots: smaller levels are dropped; default 1.
        wall_threshold_quote_lots: an external L2 level worth more than this (quote lots) is a
            wall; 0 disables wall front-running; default 0.
        front_run_ticks: how far ahead of a wall a level moves; default 1, 1..2.
        max_front_run_ticks: cap on a level's move away from its computed price; default 5.
        l2_scan_depth: external levels scanned per side; default 20.
    """

    levels_per_side: int = 16
    step_fraction: float = 0.005
    step_price_lots: int | None = None
    gamma: float = 1.2
    size_multiplier: float = 1.1
    bid_depth_base_lots: int = 1_000_000
    ask_depth_base_lots: int = 1_000_000
    min_size_base_lots: int = 1
    wall_threshold_quote_lots: int = 0
    front_run_ticks: int = 1
    max_front_run_ticks: int = 5
    l2_scan_depth: int = 20

    def __post_init__(self) -> None:
        _require(
            1 <= self.levels_per_side <= 64,
            "grid.levels_per_side",
            f"must be 1..64, was {self.levels_per_side}",
        )
        _require(
            0.0 < self.step_fraction < 0.5,
            "grid.step_pct",
            f"must be a fraction in (0, 0.5), was {self.step_fraction}",
        )
        _require(
            self.step_price_lots is None or self.step_price_lots >= 1,
            "grid.step_ticks",
            f"must be >= 1 or unset, was {self.step_price_lots}",
        )
        _require(0.5 <= self.gamma <= 3.0, "grid.gamma", f"must be 0.5..3, was {self.gamma}")
        _require(
            1.0 <= self.size_multiplier <= 3.0,
            "grid.size_multiplier",
            f"must be 1..3, was {self.size_multiplier}",
        )
        for key, value in (
            ("grid.bid_depth", self.bid_depth_base_lots),
            ("grid.ask_depth", self.ask_depth_base_lots),
        ):
            _require(value >= 0, key, f"must be >= 0, was {value}")
        _require(
            self.min_size_base_lots >= 1,
            "grid.min_size",
            f"must be >= 1 lot, was {self.min_size_base_lots}",
        )
        _require(
            self.wall_threshold_quote_lots >= 0,
            "grid.large_order_threshold",
            f"must be >= 0, was {self.wall_threshold_quote_lots}",
        )
        _require(
            1 <= self.front_run_ticks <= 2,
            "grid.front_run_ticks",
            f"must be 1..2, was {self.front_run_ticks}",
        )
        _require(
            self.max_front_run_ticks >= self.front_run_ticks,
            "grid.max_front_run_ticks",
            f"must be >= front_run_ticks ({self.front_run_ticks}), was {self.max_front_run_ticks}",
        )
        _require(
            1 <= self.l2_scan_depth <= 100,
            "grid.l2_scan_depth",
            f"must be 1..100, was {self.l2_scan_depth}",
        )


@dataclass(frozen=True, slots=True)
class GuardParams:
    """Parameters of the rebalance guards (spec 4.1).

    Attributes:
        deviation_fraction: rebalance when ``|market - lastPivot| / lastPivot`` exceeds this;
            default 0.02.
        is_deviation_enabled: default True.
        proximity_fraction: rebalance when the market is within this fraction of a resting
            level's price (``|market - P| <= f * P``) or beyond it; default 0.0025. The spec's
            3 % only suits grids whose innermost level is more than 3 % from the pivot; with
            the default 0.5 % step it would fire on every tick (settings reject that).
        is_proximity_enabled: default True.
        entropy_interval_ns: full refresh at least this often; default 3600 s.
        is_entropy_enabled: default True.
        cooldown_ns: minimum time between two rebalances; default 5 s.
        tolerance_price_lots: a target level within this many ticks of a resting one is
            unchanged; default 0.
        tolerance_size_fraction: ... and within this fraction of its size; default 0.0.
    """

    deviation_fraction: float = 0.02
    is_deviation_enabled: bool = True
    proximity_fraction: float = 0.0025
    is_proximity_enabled: bool = True
    entropy_interval_ns: int = 3600 * NS_PER_S
    is_entropy_enabled: bool = True
    cooldown_ns: int = 5 * NS_PER_S
    tolerance_price_lots: int = 0
    tolerance_size_fraction: float = 0.0

    def __post_init__(self) -> None:
        _require(
            0.0 < self.deviation_fraction < 1.0,
            "guards.deviation_pct",
            f"must be a fraction in (0, 1), was {self.deviation_fraction}",
        )
        _require(
            0.0 < self.proximity_fraction < 1.0,
            "guards.proximity_pct",
            f"must be a fraction in (0, 1), was {self.proximity_fraction}",
        )
        _require(
            self.entropy_interval_ns > 0,
            "guards.entropy_interval_s",
            f"must be > 0, was {self.entropy_interval_ns}",
        )
        _require(
            self.cooldown_ns >= 0, "guards.cooldown_s", f"must be >= 0, was {self.cooldown_ns}"
        )
        _require(
            self.tolerance_price_lots >= 0,
            "guards.tolerance_ticks",
            f"must be >= 0, was {self.tolerance_price_lots}",
        )
        _require(
            0.0 <= self.tolerance_size_fraction < 1.0,
            "guards.tolerance_size_pct",
            f"must be a fraction in [0, 1), was {self.tolerance_size_fraction}",
        )


@dataclass(frozen=True, slots=True)
class SwarmParams:
    """Parameters of the wallet swarm (spec 3.3).

    Attributes:
        wallet_count: wallets in the swarm; default 16, 1..64 (15-20 recommended).
        tick_interval_ns: rotation period of ``floor(now / tick_interval)``; default 60 s.
        max_orders_per_account: OpenOrders slots per wallet; default 24 (the program's limit).
        is_side_split: bid levels rotate over one half of the swarm, asks over the other;
            with an odd count the bid half has the extra wallet; default True (it guarantees a
            safe one-by-one replacement order, see spec 4.2 and ``core.swarm``).
    """

    wallet_count: int = 16
    tick_interval_ns: int = 60 * NS_PER_S
    max_orders_per_account: int = 24
    is_side_split: bool = True

    def __post_init__(self) -> None:
        _require(
            1 <= self.wallet_count <= 64,
            "swarm.wallet_count",
            f"must be 1..64, was {self.wallet_count}",
        )
        _require(
            self.tick_interval_ns > 0,
            "swarm.tick_interval_s",
            f"must be > 0, was {self.tick_interval_ns}",
        )
        _require(
            1 <= self.max_orders_per_account <= 24,
            "swarm.max_orders_per_account",
            f"must be 1..24, was {self.max_orders_per_account}",
        )
        _require(
            not self.is_side_split or self.wallet_count >= 2,
            "swarm.side_split",
            f"needs wallet_count >= 2, was {self.wallet_count}",
        )


@dataclass(frozen=True, slots=True)
class TargetParams:
    """Parameters of Target Control (spec 5.2).

    ``Headroom = 1 - (Locked + Inventory) / TotalEmission``, where Locked is the base in the
    swarm's resting asks and Inventory the rest of the base the swarm holds (base lots).

    Attributes:
        total_emission_base_lots: TotalEmission in base lots; None disables Target Control.
        soft_headroom_fraction: bid depth is full at or above this headroom and falls
            linearly below it; default 0.20.
        hard_headroom_fraction: bid depth is zero at or below this headroom; default 0.05.
    """

    total_emission_base_lots: int | None = None
    soft_headroom_fraction: float = 0.20
    hard_headroom_fraction: float = 0.05

    def __post_init__(self) -> None:
        _require(
            self.total_emission_base_lots is None or self.total_emission_base_lots > 0,
            "target.total_emission",
            f"must be > 0 or unset, was {self.total_emission_base_lots}",
        )
        _require(
            0.0 <= self.hard_headroom_fraction < self.soft_headroom_fraction <= 1.0,
            "target.soft_headroom_pct",
            "must be above hard_headroom_pct and at most 100 %, was "
            f"soft={self.soft_headroom_fraction} hard={self.hard_headroom_fraction}",
        )


@dataclass(frozen=True, slots=True)
class TreasuryParams:
    """Parameters of the FinancialManager (spec 5.1).

    Attributes:
        min_balance_lamports: a wallet below this is topped up; default 0.05 SOL.
        top_up_target_lamports: a top-up brings the wallet to this; default 0.1 SOL.
        mix_reference_price_lots: reference price of the pivot zones in ticks; None (the
            default) disables the base/quote mix shift.
        mix_zone_bounds_fraction: zone boundaries as ``pivot / reference - 1``, strictly
            rising, each above -1; default (-0.10, 0.10): three zones, below -10 %, -10 % to
            +10 %, from +10 %.
        mix_zone_base_fractions: target share of base in the swarm's value per zone, lowest
            zone first, one more than the boundaries, each 0..1; default (0.60, 0.50, 0.40)
            (hold more base when the price is low, less when it is high).
        mix_tolerance_fraction: no rebalancing while the base share is within this of its
            target; default 0.05, 0..1.
    """

    min_balance_lamports: int = 50_000_000
    top_up_target_lamports: int = 100_000_000
    mix_reference_price_lots: int | None = None
    mix_zone_bounds_fraction: tuple[float, ...] = (-0.10, 0.10)
    mix_zone_base_fractions: tuple[float, ...] = (0.60, 0.50, 0.40)
    mix_tolerance_fraction: float = 0.05

    def __post_init__(self) -> None:
        _require(
            self.min_balance_lamports >= 0,
            "treasury.min_balance_sol",
            f"must be >= 0, was {self.min_balance_lamports}",
        )
        _require(
            self.top_up_target_lamports > self.min_balance_lamports,
            "treasury.top_up_target_sol",
            f"must be above min_balance ({self.min_balance_lamports}), "
            f"was {self.top_up_target_lamports}",
        )
        _require(
            self.mix_reference_price_lots is None or self.mix_reference_price_lots > 0,
            "treasury.mix_reference_price",
            f"must be > 0 or unset, was {self.mix_reference_price_lots}",
        )
        bounds = self.mix_zone_bounds_fraction
        _require(
            all(math.isfinite(b) and b > -1.0 for b in bounds)
            and all(low < high for low, high in itertools.pairwise(bounds)),
            "treasury.mix_zone_bounds_pct",
            f"must be strictly rising fractions above -1, was {bounds}",
        )
        shares = self.mix_zone_base_fractions
        _require(
            len(shares) == len(bounds) + 1 and all(0.0 <= f <= 1.0 for f in shares),
            "treasury.mix_zone_base_pct",
            f"must be {len(bounds) + 1} fractions in [0, 1] (one per zone), was {shares}",
        )
        _require(
            0.0 <= self.mix_tolerance_fraction <= 1.0,
            "treasury.mix_tolerance_pct",
            f"must be a fraction in [0, 1], was {self.mix_tolerance_fraction}",
        )


@dataclass(frozen=True, slots=True)
class StrategyParams:
    """Every core parameter in one value, as the settings layer builds it."""

    market: MarketSpec = field(default_factory=MarketSpec)
    pivot: PivotParams = field(default_factory=PivotParams)
    grid: GridParams = field(default_factory=GridParams)
    guards: GuardParams = field(default_factory=GuardParams)
    swarm: SwarmParams = field(default_factory=SwarmParams)
    target: TargetParams = field(default_factory=TargetParams)
    treasury: TreasuryParams = field(default_factory=TreasuryParams)
