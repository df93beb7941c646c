"""Cross-field rules of the configuration, checked in human units with an explanation each.

Each rule reads the sections it needs and is skipped when one of them failed validation (that
failure is reported already). The core params re-check some of these in core units; the loader
keeps the first message per key, which is the human one from here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import TypeVar

from bmvbot.core.errors import ConfigError
from bmvbot.settings.deployment import VenueSettings
from bmvbot.settings.fields import Section
from bmvbot.settings.strategy import (
    GridSettings,
    GuardSettings,
    MarketSettings,
    PivotSettings,
    SwarmSettings,
    TargetSettings,
    TreasurySettings,
)

_S = TypeVar("_S", bound=Section)


def _proximity_limit_pct(step_pct: float) -> float:
    # guards: a level P is near when |market - P| <= proximity * P. With the market at the pivot
    # and the first ask at pivot * (1 + s), that holds once proximity >= s / (1 + s)
    step = step_pct / 100
    return 100 * step / (1 + step)


def proximity_errors(grid: GridSettings, guards: GuardSettings) -> list[ConfigError]:
    """Refuse a proximity band that reaches from the pivot to the innermost level.

    With ``grid.step_ticks`` the innermost distance depends on the pivot, so no rule applies.
    """
    if not guards.proximity_enabled or grid.step_ticks is not None:
        return []
    limit = _proximity_limit_pct(grid.step_pct)
    if guards.proximity_pct < limit:
        return []
    return [
        ConfigError(
            f"guards.proximity_pct must be below {limit:.4g} with grid.step_pct {grid.step_pct:g}, "
            f"was {guards.proximity_pct:g}: the innermost levels sit {grid.step_pct:g} % from the "
            "pivot (step * 1^gamma), so a market at the pivot is always within the proximity "
            "band of a resting level and every tick would rebalance; lower proximity_pct or "
            "raise grid.step_pct",
            key="guards.proximity_pct",
        )
    ]


def grid_reach_errors(grid: GridSettings) -> list[ConfigError]:
    """Refuse a grid whose outer bids would sit at or below a price of zero."""
    if grid.step_ticks is not None:
        return []
    reach_pct = grid.step_pct * grid.levels_per_side**grid.gamma
    if reach_pct < 100:
        return []
    return [
        ConfigError(
            f"grid.step_pct {grid.step_pct:g} with gamma {grid.gamma:g} and "
            f"levels_per_side {grid.levels_per_side} puts the outermost bid {reach_pct:.4g} % "
            "below the pivot, at or below zero, so bid levels would be dropped; lower step_pct, "
            "gamma or levels_per_side",
            key="grid.step_pct",
        )
    ]


def swarm_capacity_errors(grid: GridSettings, swarm: SwarmSettings) -> list[ConfigError]:
    """Refuse a swarm whose OpenOrders slots cannot hold the whole grid."""
    if swarm.side_split and swarm.wallet_count < 2:
        return []  # side_split_errors reports it
    slots = swarm.max_orders_per_account
    if swarm.side_split:
        # asks rotate over the smaller half, floor(wallets / 2) (see core.swarm.side_groups)
        half = swarm.wallet_count // 2
        if half * slots >= grid.levels_per_side:
            return []
        detail = (
            f"in side-split mode the asks rotate over {half} wallets holding {half * slots} "
            f"orders, but one side has {grid.levels_per_side} levels"
        )
    else:
        if swarm.wallet_count * slots >= 2 * grid.levels_per_side:
            return []
        detail = (
            f"{swarm.wallet_count} wallets hold {swarm.wallet_count * slots} orders, but the "
            f"grid has {2 * grid.levels_per_side} (2 x grid.levels_per_side)"
        )
    return [
        ConfigError(
            f"swarm.wallet_count {swarm.wallet_count} with max_orders_per_account {slots} is too "
            f"small: {detail}; add wallets or lower grid.levels_per_side",
            key="swarm.wallet_count",
        )
    ]


def side_split_errors(swarm: SwarmSettings) -> list[ConfigError]:
    """Refuse side-split mode with a single wallet."""
    if not swarm.side_split or swarm.wallet_count >= 2:
        return []
    return [
        ConfigError(
            f"swarm.side_split needs wallet_count >= 2, was {swarm.wallet_count}: bids rotate "
            "over one half of the swarm and asks over the other",
            key="swarm.side_split",
        )
    ]


def headroom_errors(target: TargetSettings) -> list[ConfigError]:
    """Refuse a hard headroom at or above the soft one."""
    if target.hard_headroom_pct < target.soft_headroom_pct:
        return []
    return [
        ConfigError(
            f"target.soft_headroom_pct must be above hard_headroom_pct "
            f"({target.hard_headroom_pct:g}), was {target.soft_headroom_pct:g}: bid depth falls "
            "from full at the soft headroom to zero at the hard one",
            key="target.soft_headroom_pct",
        )
    ]


def treasury_errors(treasury: TreasurySettings) -> list[ConfigError]:
    """Refuse a top-up target at or below the top-up trigger, and malformed mix zones."""
    found = []
    if treasury.top_up_target_sol <= treasury.min_balance_sol:
        found.append(
            ConfigError(
                f"treasury.top_up_target_sol must be above min_balance_sol "
                f"({treasury.min_balance_sol:g}), was {treasury.top_up_target_sol:g}",
                key="treasury.top_up_target_sol",
            )
        )
    bounds = treasury.mix_zone_bounds_pct
    if any(b <= -100 for b in bounds) or any(a >= b for a, b in itertools.pairwise(bounds)):
        found.append(
            ConfigError(
                f"treasury.mix_zone_bounds_pct must be strictly rising percents above -100, "
                f"was {bounds}",
                key="treasury.mix_zone_bounds_pct",
            )
        )
    shares = treasury.mix_zone_base_pct
    if len(shares) != len(bounds) + 1 or any(not 0 <= share <= 100 for share in shares):
        found.append(
            ConfigError(
                f"treasury.mix_zone_base_pct must be {len(bounds) + 1} percents 0..100 (one per "
                f"zone: one more than mix_zone_bounds_pct), was {shares}",
                key="treasury.mix_zone_base_pct",
            )
        )
    return found


def seed_errors(pivot: PivotSettings) -> list[ConfigError]:
    """Refuse a seed that is switched on but has no start time to decay from."""
    if pivot.seed_price is None or pivot.seed_daily_volume == 0 or pivot.seed_start is not None:
        return []
    return [
        ConfigError(
            "pivot.seed_start must be set when seed_price and seed_daily_volume are: the seed's "
            "weight decays over lookback_days from this moment (e.g. 2026-11-01T00:00:00Z)",
            key="pivot.seed_start",
        )
    ]


def live_errors(venue: VenueSettings, market: MarketSettings) -> list[ConfigError]:
    """Refuse live mode without a market address or a Jito endpoint."""
    if venue.mode != "live":
        return []
    found = []
    if market.address is None:
        found.append(
            ConfigError(
                'market.address must be set in live mode (venue.mode = "live"): it names the '
                "OpenBook V2 market to trade",
                key="market.address",
            )
        )
    if venue.jito_url is None:
        found.append(
            ConfigError(
                "venue.jito_url must be set in live mode: every rebalance is sent as a Jito "
                "bundle (set BMVBOT_VENUE__JITO_URL)",
                key="venue.jito_url",
            )
        )
    return found


def _get(sections: Mapping[str, Section], name: str, kind: type[_S]) -> _S | None:
    section = sections.get(name)
    return section if isinstance(section, kind) else None


def cross_field_errors(sections: Mapping[str, Section]) -> list[ConfigError]:
    """Return every cross-field rule broken by the sections that validated."""
    grid = _get(sections, "grid", GridSettings)
    guards = _get(sections, "guards", GuardSettings)
    swarm = _get(sections, "swarm", SwarmSettings)
    target = _get(sections, "target", TargetSettings)
    treasury = _get(sections, "treasury", TreasurySettings)
    pivot = _get(sections, "pivot", PivotSettings)
    venue = _get(sections, "venue", VenueSettings)
    market = _get(sections, "market", MarketSettings)
    checks: list[Callable[[], list[ConfigError]]] = []
    if grid is not None:
        checks.append(lambda: grid_reach_errors(grid))
        if guards is not None:
            checks.append(lambda: proximity_errors(grid, guards))
        if swarm is not None:
            checks.append(lambda: swarm_capacity_errors(grid, swarm))
    if swarm is not None:
        checks.append(lambda: side_split_errors(swarm))
    if target is not None:
        checks.append(lambda: headroom_errors(target))
    if treasury is not None:
        checks.append(lambda: treasury_errors(treasury))
    if pivot is not None:
        checks.append(lambda: seed_errors(pivot))
    if venue is not None and market is not None:
        checks.append(lambda: live_errors(venue, market))
    return [error for check in checks for error in check()]
