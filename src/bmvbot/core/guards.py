"""Rebalance guards (spec 4.1): whether the resting grid must be replaced now, and why.

Every function here is a pure function of its arguments: time arrives as ``now_ns`` and the
previous rebalance as ``last_rebalance_ns``, so the same observation always gives the same
decision.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from operator import attrgetter

from bmvbot.core.config import GuardParams
from bmvbot.core.errors import InvariantError
from bmvbot.core.types import NS_PER_S, Grid, Level

_PRICE_SIZE = attrgetter("price_lots", "size_base_lots")


class RebalanceReason(enum.Enum):
    """The guard that fired, in priority order after INITIAL."""

    NONE = "none"
    """No guard fired."""
    INITIAL = "initial"
    """Nothing rests yet (or everything was filled): place the whole grid."""
    DEVIATION = "deviation"
    """The market moved more than ``deviation_fraction`` from the pivot of the resting grid."""
    PROXIMITY = "proximity"
    """The market came within ``proximity_fraction`` of a resting level (or went through it)."""
    ENTROPY = "entropy"
    """``entropy_interval_ns`` passed since the last rebalance (or none is recorded)."""


class HoldReason(enum.Enum):
    """Why a guard that fired does not lead to a rebalance."""

    COOLDOWN = "cooldown"
    """The previous rebalance is younger than ``cooldown_ns``."""
    NO_MATERIAL_CHANGE = "no_material_change"
    """The target grid equals the resting grid within the tolerances."""


@dataclass(frozen=True, slots=True)
class GuardObservation:
    """Everything the guards look at, taken at one instant.

    Attributes:
        now_ns: the current time, UTC ns.
        market_price_lots: the market price in (fractional) ticks, e.g. the L2 mid; None when
            the book gives none (deviation and proximity then stay silent).
        last_pivot_lots: the pivot the resting grid was built from, in ticks; None when unknown.
        last_rebalance_ns: when the resting grid was sent, UTC ns; None when never.
        resting: the swarm's resting orders as a grid.
        target: the grid that a rebalance would send now.

    Raises:
        InvariantError: a price is NaN, infinite or not positive.
    """

    now_ns: int
    market_price_lots: float | None
    last_pivot_lots: float | None
    last_rebalance_ns: int | None
    resting: Grid
    target: Grid

    def __post_init__(self) -> None:
        for name in ("market_price_lots", "last_pivot_lots"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise InvariantError(f"{name} must be a finite price > 0 or None, was {value!r}")


@dataclass(frozen=True, slots=True)
class RebalanceDecision:
    """The guards' verdict.

    Attributes:
        should_rebalance: True when the target grid must be sent now.
        reason: the guard that fired (NONE when none did).
        detail: one line for logs and the dashboard, with the figures behind the verdict.
        held_by: why a fired guard does not rebalance; None when it does or nothing fired.
    """

    should_rebalance: bool
    reason: RebalanceReason
    detail: str
    held_by: HoldReason | None = None

    def __post_init__(self) -> None:
        fired = self.reason is not RebalanceReason.NONE
        if self.should_rebalance != (fired and self.held_by is None) or (
            not fired and self.held_by is not None
        ):
            raise InvariantError(
                f"inconsistent decision: should_rebalance={self.should_rebalance} "
                f"reason={self.reason.value} held_by={self.held_by}"
            )


def check_deviation(observation: GuardObservation, params: GuardParams) -> str | None:
    """Return a detail line when ``|market - lastPivot| / lastPivot > deviation_fraction``.

    Silent (None) when the guard is disabled or either price is unknown (spec 4.1).
    """
    market = observation.market_price_lots
    pivot = observation.last_pivot_lots
    if not params.is_deviation_enabled or market is None or pivot is None:
        return None
    deviation = abs(market - pivot) / pivot
    if deviation <= params.deviation_fraction:
        return None
    return (
        f"market {market:.2f} ticks is {deviation:.2%} from last pivot {pivot:.2f} "
        f"(threshold {params.deviation_fraction:.2%})"
    )


def check_proximity(observation: GuardObservation, params: GuardParams) -> str | None:
    """Return a detail line when the market is within ``proximity_fraction`` of a resting level.

    A level at price P is near when ``|market - P| <= proximity_fraction * P``; a market at or
    through a resting level (at or below a bid, at or above an ask) counts as near too. Only
    the highest bid and the lowest ask can be the nearest, so the test is
    ``market <= maxBid * (1 + f)`` or ``market >= minAsk * (1 - f)``. Silent when disabled, when
    the market price is unknown or when nothing rests.
    """
    market = observation.market_price_lots
    resting = observation.resting
    if not params.is_proximity_enabled or market is None:
        return None
    fraction = params.proximity_fraction
    if resting.bids:
        best_bid = max(level.price_lots for level in resting.bids)
        if market <= best_bid * (1 + fraction):
            return _near_detail(market, "bid", best_bid, fraction)
    if resting.asks:
        best_ask = min(level.price_lots for level in resting.asks)
        if market >= best_ask * (1 - fraction):
            return _near_detail(market, "ask", best_ask, fraction)
    return None


def _near_detail(market: float, side: str, price_lots: int, fraction: float) -> str:
    return (
        f"market {market:.2f} ticks is within {fraction:.2%} of the resting {side} at "
        f"{price_lots} ticks ({abs(market - price_lots) / price_lots:.2%} away)"
    )


def check_entropy(observation: GuardObservation, params: GuardParams) -> str | None:
    """Return a detail line when ``entropy_interval_ns`` has passed since the last rebalance.

    A resting grid with no recorded rebalance (after a restart) is due at once. Silent when
    disabled. A clock that went backwards gives a negative age, which is not due.
    """
    if not params.is_entropy_enabled:
        return None
    if observation.last_rebalance_ns is None:
        return "no rebalance recorded for the resting grid"
    age_ns = observation.now_ns - observation.last_rebalance_ns
    if age_ns < params.entropy_interval_ns:
        return None
    return (
        f"last rebalance {age_ns / NS_PER_S:.0f} s ago "
        f"(interval {params.entropy_interval_ns / NS_PER_S:.0f} s)"
    )


_CHECKS = (
    (RebalanceReason.DEVIATION, check_deviation),
    (RebalanceReason.PROXIMITY, check_proximity),
    (RebalanceReason.ENTROPY, check_entropy),
)


def fired_guard(observation: GuardObservation, params: GuardParams) -> tuple[RebalanceReason, str]:
    """Return the first guard that fires, in the order INITIAL, DEVIATION, PROXIMITY, ENTROPY.

    INITIAL (nothing rests) cannot be disabled. ``(NONE, detail)`` when nothing fires.
    """
    if observation.resting.is_empty:
        return RebalanceReason.INITIAL, "no resting orders"
    for reason, check in _CHECKS:
        detail = check(observation, params)
        if detail is not None:
            return reason, detail
    return RebalanceReason.NONE, "no guard fired"


def _sides_match(
    resting: tuple[Level, ...], target: tuple[Level, ...], params: GuardParams
) -> bool:
    if len(resting) != len(target):
        return False
    # pair by price rank: a resting grid read back from the chain need not be sorted
    old_levels = sorted(map(_PRICE_SIZE, resting))
    new_levels = sorted(map(_PRICE_SIZE, target))
    if old_levels == new_levels:
        return True
    price_tolerance = params.tolerance_price_lots
    size_tolerance = params.tolerance_size_fraction
    for (old_price, old_size), (new_price, new_size) in zip(old_levels, new_levels, strict=True):
        if abs(old_price - new_price) > price_tolerance or (
            abs(old_size - new_size) > size_tolerance * new_size
        ):
            return False
    return True


def is_material_change(resting: Grid, target: Grid, params: GuardParams) -> bool:
    """Return True unless ``target`` equals ``resting`` within the tolerances.

    Equal means: the same number of bids and of asks, and, pairing the levels of a side by
    price rank, each pair within ``tolerance_price_lots`` ticks and within
    ``tolerance_size_fraction`` of the target size. Two empty grids are equal.
    """
    return not (
        _sides_match(resting.bids, target.bids, params)
        and _sides_match(resting.asks, target.asks, params)
    )


def decide_rebalance(observation: GuardObservation, params: GuardParams) -> RebalanceDecision:
    """Return whether to send the target grid now, and why (spec 4.1).

    The first guard that fires (see ``fired_guard``) is the reason. It is then held:

    - by the cool-down when ``now - last_rebalance < cooldown_ns``; INITIAL is never held
      by it (an empty book must be filled at once);
    - by "no material change" when the target equals the resting grid within the
      tolerances (see ``is_material_change``); ENTROPY is exempt, because its purpose is to
      refresh an unchanged grid. An empty target for an empty book sends nothing either.

    The caller records ``last_rebalance_ns`` and the pivot only for a rebalance it sends, and
    does not ask while one is in flight: an empty resting grid reads as INITIAL, which no
    cool-down holds.
    """
    reason, detail = fired_guard(observation, params)
    if reason is RebalanceReason.NONE:
        return RebalanceDecision(False, reason, detail)
    last_ns = observation.last_rebalance_ns
    if (
        reason is not RebalanceReason.INITIAL
        and last_ns is not None
        and observation.now_ns - last_ns < params.cooldown_ns
    ):
        wait_s = (params.cooldown_ns - (observation.now_ns - last_ns)) / NS_PER_S
        return RebalanceDecision(
            False, reason, f"{detail}; cool-down for {wait_s:.3f} s more", HoldReason.COOLDOWN
        )
    if reason is not RebalanceReason.ENTROPY and not is_material_change(
        observation.resting, observation.target, params
    ):
        return RebalanceDecision(
            False,
            reason,
            f"{detail}; target equals the resting grid within tolerance",
            HoldReason.NO_MATERIAL_CHANGE,
        )
    return RebalanceDecision(True, reason, detail)
