"""Treasury decisions: Target Control (spec 5.2), SOL top-ups and the base/quote mix (spec 5.1).

This module owns the headroom and bid throttle, which wallets need SOL and how much, and the
base share per pivot zone. Only decisions live here; the swaps that carry them out are port
calls.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass

from bmvbot.core.config import GridParams, TargetParams, TreasuryParams
from bmvbot.core.errors import InvariantError
from bmvbot.core.types import BaseLots, Lamports, Rounding, WalletId, quantize


def _require_non_negative(**amounts: int) -> None:
    for name, value in amounts.items():
        if value < 0:
            raise InvariantError(f"{name} must be >= 0, was {value}")


def headroom_fraction(
    locked_base_lots: int, inventory_base_lots: int, total_emission_base_lots: int
) -> float:
    """Return ``Headroom = 1 - (Locked + Inventory) / TotalEmission`` as a fraction (spec 5.2).

    ``Locked`` is the base locked in the swarm's resting asks (OpenOrders ``asks_base_lots``)
    and ``Inventory`` the base the swarm holds otherwise (token accounts plus OpenOrders free
    base), both in base lots. 1.0 means the swarm holds nothing; the value goes below 0 when
    the holdings exceed the configured emission (the throttle then stops all bids).

    Raises:
        InvariantError: an amount is negative or the emission is not positive.
    """
    _require_non_negative(
        locked_base_lots=locked_base_lots, inventory_base_lots=inventory_base_lots
    )
    if total_emission_base_lots <= 0:
        raise InvariantError(
            f"total_emission_base_lots must be > 0, was {total_emission_base_lots}"
        )
    return 1.0 - (locked_base_lots + inventory_base_lots) / total_emission_base_lots


def bid_throttle_factor(
    params: TargetParams, locked_base_lots: int, inventory_base_lots: int
) -> float:
    """Return the share of the bid depth to keep, in [0, 1] (spec 5.2).

    1 at or above ``soft_headroom_fraction``, 0 at or below ``hard_headroom_fraction``, linear
    in between: ``(Headroom - hard) / (soft - hard)``. Target Control is off (always 1) when
    ``total_emission_base_lots`` is None. The factor never rises when the holdings grow.

    Raises:
        InvariantError: an amount is negative.
    """
    if params.total_emission_base_lots is None:
        _require_non_negative(
            locked_base_lots=locked_base_lots, inventory_base_lots=inventory_base_lots
        )
        return 1.0
    headroom = headroom_fraction(
        locked_base_lots, inventory_base_lots, params.total_emission_base_lots
    )
    if headroom >= params.soft_headroom_fraction:
        return 1.0
    if headroom <= params.hard_headroom_fraction:
        return 0.0
    return (headroom - params.hard_headroom_fraction) / (
        params.soft_headroom_fraction - params.hard_headroom_fraction
    )


def throttle_depth(depth_base_lots: int, factor: float) -> BaseLots:
    """Return ``floor(depth * factor)`` in base lots (rounded down: never more than asked).

    Raises:
        InvariantError: the depth is negative or the factor is outside [0, 1] (or NaN).
    """
    _require_non_negative(depth_base_lots=depth_base_lots)
    if not 0.0 <= factor <= 1.0:
        raise InvariantError(f"throttle factor must be in [0, 1], was {factor!r}")
    return BaseLots(quantize(depth_base_lots * factor, Rounding.DOWN))


def throttle_grid_params(params: GridParams, factor: float) -> GridParams:
    """Return ``params`` with the bid depth throttled by ``factor`` (asks untouched).

    Raises:
        InvariantError: the factor is outside [0, 1] (or NaN).
    """
    return dataclasses.replace(
        params, bid_depth_base_lots=throttle_depth(params.bid_depth_base_lots, factor)
    )


@dataclass(frozen=True, slots=True)
class TopUpRequest:
    """Buy ``lamports`` of SOL for ``wallet`` so that it can keep paying fees and rent."""

    wallet: WalletId
    lamports: Lamports


def plan_top_ups(
    balances: Iterable[tuple[WalletId, int]], params: TreasuryParams
) -> tuple[TopUpRequest, ...]:
    """Return a top-up for every wallet below ``min_balance_lamports`` (spec 5.1).

    Each request brings its wallet to ``top_up_target_lamports``:
    ``lamports = target - balance``. Wallets at or above the minimum get none; the requests
    keep the order of ``balances``. An empty swarm gives no request.

    Raises:
        InvariantError: a balance is negative, or a wallet is listed twice.
    """
    requests = []
    seen: set[WalletId] = set()
    for wallet, balance_lamports in balances:
        if balance_lamports < 0:
            raise InvariantError(
                f"balance_lamports must be >= 0, was {balance_lamports} for wallet={wallet}"
            )
        if wallet in seen:
            raise InvariantError(f"each wallet needs one balance, was wallet={wallet} twice")
        seen.add(wallet)
        if balance_lamports < params.min_balance_lamports:
            requests.append(
                TopUpRequest(wallet, Lamports(params.top_up_target_lamports - balance_lamports))
            )
    return tuple(requests)


@dataclass(frozen=True, slots=True)
class MixPlan:
    """The base/quote mix the swarm should hold at the current pivot.

    Attributes:
        zone_index: the pivot zone, 0 = lowest.
        target_base_fraction: the zone's share of base in the swarm's value.
        base_fraction: the share of base now.
        base_lots_to_buy: base lots to buy (> 0) or sell (< 0) to reach the target; 0 inside
            the tolerance. Rounded toward zero so a swap never overshoots the target.
    """

    zone_index: int
    target_base_fraction: float
    base_fraction: float
    base_lots_to_buy: int


def plan_mix(
    params: TreasuryParams, pivot_lots: float, base_lots: int, quote_lots: int
) -> MixPlan | None:
    """Return how far the swarm's base/quote mix is from its pivot zone's target (spec 5.1).

    The zone is ``bisect_right(bounds, pivot / reference - 1)``. The swarm's value in quote
    lots is ``V = quote + base * pivot``; the base share ``base * pivot / V``; the amount to
    trade ``target * V / pivot - base`` base lots, or 0 while ``|share - target|`` is within
    ``mix_tolerance_fraction``. An empty swarm (``V = 0``) has share 0 and trades nothing.
    None when ``mix_reference_price_lots`` is unset (the mix shift is off).

    Raises:
        InvariantError: the pivot is not a finite price > 0, or an amount is negative.
    """
    if not (math.isfinite(pivot_lots) and pivot_lots > 0.0):
        raise InvariantError(f"pivot_lots must be a finite price > 0, was {pivot_lots!r}")
    _require_non_negative(base_lots=base_lots, quote_lots=quote_lots)
    reference = params.mix_reference_price_lots
    if reference is None:
        return None
    zone = bisect.bisect_right(params.mix_zone_bounds_fraction, pivot_lots / reference - 1.0)
    target = params.mix_zone_base_fractions[zone]
    value_quote_lots = quote_lots + base_lots * pivot_lots
    if value_quote_lots == 0:
        return MixPlan(zone, target, 0.0, 0)
    share = base_lots * pivot_lots / value_quote_lots
    if abs(share - target) <= params.mix_tolerance_fraction:
        return MixPlan(zone, target, share, 0)
    delta = target * value_quote_lots / pivot_lots - base_lots
    rounding = Rounding.DOWN if delta > 0 else Rounding.UP
    return MixPlan(zone, target, share, quantize(delta, rounding))
