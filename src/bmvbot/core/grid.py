"""The target grid (spec 3.1, 3.2): level prices, level sizes, tick/lot rounding, funds limits.

``GridBuilder`` turns a pivot, the external L2 book and our resting grid into the target
``Grid`` of post-only ``Level``s; the L2 scan itself lives in ``bmvbot.core.book``.

Public API:
    ``AvailableFunds``: what each side may lock (bids in quote lots, asks in base lots).
    ``GridBuilder(params, market)``: ``build(pivot_price_lots, book, own, funds) -> Grid``;
        ``size_base_lots(side)`` gives the configured (unscaled) sizes.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from bmvbot.core.book import front_run, scan_walls
from bmvbot.core.config import GridParams
from bmvbot.core.errors import InvariantError
from bmvbot.core.types import (
    FEES_SCALE,
    Grid,
    L2Snapshot,
    Level,
    MarketSpec,
    Side,
)

MAX_PRICE_LOTS = 2**63 - 1
"""OpenBook V2 prices are i64: a level above this is dropped."""


@dataclass(frozen=True, slots=True)
class AvailableFunds:
    """Funds each side of the grid may lock; None means unlimited.

    Attributes:
        quote_lots: quote available to the bids, in quote lots (``floor(native / qls)``).
        base_lots: base available to the asks, in base lots.

    Raises:
        InvariantError: an amount is negative.
    """

    quote_lots: int | None = None
    base_lots: int | None = None

    def __post_init__(self) -> None:
        for name in ("quote_lots", "base_lots"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise InvariantError(f"available {name} must be >= 0 or None, was {value}")


UNLIMITED_FUNDS = AvailableFunds()
"""No funds limit on either side."""


def _bid_cost_quote_lots(prices: list[int], sizes: list[int], fee_ppm: int) -> int:
    # post-only bids lock size·price plus, with a positive maker fee, ceil(size·price·fee)
    if not fee_ppm:
        return sum(map(operator.mul, prices, sizes))
    cost = 0
    for price, size in zip(prices, sizes, strict=True):
        quote = price * size
        cost += quote - (-quote * fee_ppm // FEES_SCALE)
    return cost


def _level_sizes(depth_base_lots: int, params: GridParams) -> list[int]:
    # spec 3.1 sizes, floor(TotalDepth·M^(n-1) / Σ M^k) computed exactly on the float M's
    # rational value (a float quotient can round a x.5 size of a deep side up); 0 marks a
    # level dropped for being below the minimum size
    multiplier = Fraction(params.size_multiplier)
    weights = [multiplier**k for k in range(params.levels_per_side)]
    total_weight = sum(weights)
    sizes = [math.floor(depth_base_lots * w / total_weight) for w in weights]
    return [size if size >= params.min_size_base_lots else 0 for size in sizes]


def _tolerance(pivot: float) -> float:
    # float noise allowance when rounding to ticks: a value this close to a whole tick counts
    # as that tick. 1e-9 relative (as quantize()), but at most 1e-6 tick so that it can never
    # move a deep price by a whole tick to the unsafe side
    return min(1e-9 * max(1.0, pivot), 1e-6)


def _bid_prices(pivot: float, step_lots: float, offsets: list[float]) -> list[int]:
    # floor(Pivot - Step·n^gamma), below the pivot, MAX_PRICE_LOTS and the previous bid;
    # stops at the first bid that would be <= 0
    floor = math.floor
    tolerance = _tolerance(pivot)
    prices: list[int] = []
    limit = min(math.ceil(pivot) - 1, MAX_PRICE_LOTS)
    for offset in offsets:
        price = floor(pivot - step_lots * offset + tolerance)
        if price > limit:
            price = limit
        if price <= 0:
            break
        prices.append(price)
        limit = price - 1
    return prices


def _ask_prices(pivot: float, step_lots: float, offsets: list[float]) -> list[int]:
    # ceil(Pivot + Step·n^gamma), at least floor(Pivot) + 1 and one tick above the previous ask;
    # stops at the first ask that would not fit an i64
    ceil = math.ceil
    tolerance = _tolerance(pivot)
    prices: list[int] = []
    limit = math.floor(pivot) + 1
    for offset in offsets:
        price = ceil(pivot + step_lots * offset - tolerance)
        if price < limit:
            price = limit
        if price > MAX_PRICE_LOTS:
            break
        prices.append(price)
        limit = price + 1
    return prices


# Level's generated __init__ (object.__setattr__ per field, then __post_init__) was half the
# cost of a build; prices and sizes reaching _levels are positive by construction, so the
# frozen slots are filled through their descriptors, giving values equal to Level(...)'s
_SLOT_SETTERS: tuple[Callable[[Level, object], None], ...] = tuple(
    vars(Level)[name].__set__ for name in ("side", "price_lots", "size_base_lots")
)


def _levels(side: Side, prices: list[int], sizes: list[int], minimum: int) -> tuple[Level, ...]:
    new = object.__new__
    set_side, set_price, set_size = _SLOT_SETTERS
    levels: list[Level] = []
    for price, size in zip(prices, sizes, strict=False):
        if size >= minimum:
            level = new(Level)
            set_side(level, side)
            set_price(level, price)
            set_size(level, size)
            levels.append(level)
    return tuple(levels)


class GridBuilder:
    """Build the target grid around a pivot (spec 3.1, 3.2).

    Prices: ``bid_n = Pivot - Step·n^gamma`` and ``ask_n = Pivot + Step·n^gamma`` for ``n = 1..N``
    (``N = levels_per_side``), with ``Step = step_fraction·Pivot``, or ``step_price_lots``
    ticks when that is set. Bids are rounded down and asks up to whole ticks; then the first
    bid is kept strictly below the pivot and the first ask strictly above it, and each further
    level at least one tick beyond the previous one (pushed outward, never two on one tick).
    Bids at or below 0 are dropped, asks above ``MAX_PRICE_LOTS`` too (bids are capped at it).

    Sizes: ``V_n = TotalDepth / TotalWeight · Multiplier^(n-1)`` with ``TotalWeight =
    Σ Multiplier^(n-1)`` per side, rounded down to whole lots (exactly, not in floats), so a
    full side sums to ``TotalDepth`` less under one lot per level; levels below
    ``min_size_base_lots`` are dropped and take no tick (a depth of 0 gives an empty side).
    Sizes do not depend on the pivot and are computed once.

    Then the L2 scan (``bmvbot.core.book.scan_walls`` and ``front_run``) moves the level behind
    each wall ahead of it, and last each side is scaled down proportionally (rounding down) to
    its ``AvailableFunds``: bids need ``Σ size·price`` quote lots plus, with a positive maker
    fee, ``ceil(size·price·fee)`` each; asks need ``Σ size`` base lots. Levels that fall below
    the minimum are dropped. The result keeps bids strictly below asks (both sides stay on
    their side of the pivot); the levels are meant to be posted post-only.

    Float noise: a price within ``min(1e-9·max(1, Pivot), 1e-6)`` of a whole tick counts as
    that tick before rounding, so ``99.99999999999`` is 100, while a deep price can never be
    moved by a whole tick to the unsafe side.
    """

    __slots__ = (
        "_ask_offsets",
        "_ask_sizes",
        "_bid_offsets",
        "_bid_sizes",
        "_fee_ppm",
        "_market",
        "_params",
        "_sizes_by_side",
    )

    def __init__(self, params: GridParams, market: MarketSpec) -> None:
        """Prepare a builder: the ``n^gamma`` offsets and both sides' sizes are computed here."""
        self._params = params
        self._market = market
        self._fee_ppm = max(market.maker_fee_ppm, 0)
        offsets = [n**params.gamma for n in range(1, params.levels_per_side + 1)]
        bid_sizes = _level_sizes(params.bid_depth_base_lots, params)
        ask_sizes = _level_sizes(params.ask_depth_base_lots, params)
        self._sizes_by_side = (tuple(bid_sizes), tuple(ask_sizes))
        # levels dropped for their size never take a tick: keep only the others
        self._bid_offsets = [o for o, size in zip(offsets, bid_sizes, strict=True) if size]
        self._bid_sizes = [size for size in bid_sizes if size]
        self._ask_offsets = [o for o, size in zip(offsets, ask_sizes, strict=True) if size]
        self._ask_sizes = [size for size in ask_sizes if size]

    @property
    def params(self) -> GridParams:
        """Return the grid parameters."""
        return self._params

    def size_base_lots(self, side: Side) -> tuple[int, ...]:
        """Return the configured size of each level of ``side``, innermost first (0 = dropped)."""
        return self._sizes_by_side[side]

    def build(
        self,
        pivot_price_lots: float,
        book: L2Snapshot | None = None,
        own: Grid | None = None,
        funds: AvailableFunds = UNLIMITED_FUNDS,
    ) -> Grid:
        """Return the target grid around ``pivot_price_lots`` (see the class docstring).

        Args:
            pivot_price_lots: the pivot in (fractional) ticks, finite and > 0.
            book: the latest L2 snapshot, or None to skip the wall scan.
            own: our resting grid, removed from ``book`` before the scan; None for no orders.
            funds: what each side may lock; unlimited by default.

        Raises:
            InvariantError: the pivot is NaN, infinite or <= 0, or the book is malformed.
        """
        if not (math.isfinite(pivot_price_lots) and pivot_price_lots > 0):
            raise InvariantError(f"pivot_price_lots must be finite and > 0, was {pivot_price_lots}")
        params = self._params
        step = params.step_price_lots
        step_lots = step if step is not None else params.step_fraction * pivot_price_lots
        bids = _bid_prices(pivot_price_lots, step_lots, self._bid_offsets)
        asks = _ask_prices(pivot_price_lots, step_lots, self._ask_offsets)
        if book is not None and params.wall_threshold_quote_lots > 0:
            bids, asks = self._shift_to_walls(pivot_price_lots, book, own or Grid(), bids, asks)
        bid_sizes = self._funded_bid_sizes(bids, funds.quote_lots)
        ask_sizes = _funded_ask_sizes(self._ask_sizes[: len(asks)], funds.base_lots)
        minimum = params.min_size_base_lots
        return Grid(
            bids=_levels(Side.BID, bids, bid_sizes, minimum),
            asks=_levels(Side.ASK, asks, ask_sizes, minimum),
        )

    def _shift_to_walls(
        self, pivot: float, book: L2Snapshot, own: Grid, bids: list[int], asks: list[int]
    ) -> tuple[list[int], list[int]]:
        params = self._params
        scan = scan_walls(book, own, params.l2_scan_depth, params.wall_threshold_quote_lots)
        # a bid stays below the best external ask and the pivot; an ask above their mirror
        best_ask, best_bid = scan.best_ask_price_lots, scan.best_bid_price_lots
        bid_bound = math.ceil(pivot) if best_ask is None else min(math.ceil(pivot), best_ask)
        ask_bound = math.floor(pivot) if best_bid is None else max(math.floor(pivot), best_bid)
        shift = functools.partial(
            front_run,
            front_run_ticks=params.front_run_ticks,
            max_front_run_ticks=params.max_front_run_ticks,
        )
        return (
            shift(bids, Side.BID, scan.bid_wall_prices, bound_price_lots=bid_bound),
            shift(asks, Side.ASK, scan.ask_wall_prices, bound_price_lots=ask_bound),
        )

    def _funded_bid_sizes(self, prices: list[int], quote_lots: int | None) -> list[int]:
        sizes = self._bid_sizes[: len(prices)]
        if quote_lots is None or _bid_cost_quote_lots(prices, sizes, self._fee_ppm) <= quote_lots:
            return sizes
        # Σ ceil(size·price·fee) <= Σ size·price·fee + one lot per level: reserve that first
        reserve = len(prices) if self._fee_ppm else 0
        available = max(0, quote_lots - reserve) * FEES_SCALE
        needed = sum(p * v for p, v in zip(prices, sizes, strict=True)) * (
            FEES_SCALE + self._fee_ppm
        )
        return [size * available // needed for size in sizes]


def _funded_ask_sizes(sizes: list[int], base_lots: int | None) -> list[int]:
    needed = sum(sizes)
    if base_lots is None or needed <= base_lots:
        return sizes
    return [size * base_lots // needed for size in sizes]
