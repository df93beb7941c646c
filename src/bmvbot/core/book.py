"""The L2 scan (spec 3.2): the external book without our own orders, walls, and the queue shift.

Public API:
    ``external_book(book, own, depth)``: the top ``depth`` levels per side, our orders removed.
    ``scan_walls(book, own, depth, threshold_quote_lots)``: best external prices and walls.
    ``find_walls(levels, threshold_quote_lots)``: prices of the levels worth more than a threshold.
    ``front_run(prices, side, walls, ...)``: move the grid level behind each wall just ahead of it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bmvbot.core.errors import InvariantError
from bmvbot.core.types import BaseLots, BookLevel, Grid, L2Snapshot, Level, PriceLots, Side


@dataclass(frozen=True, slots=True)
class WallScan:
    """One pass of the L2 scan over both sides (spec 3.2), our own orders excluded.

    Attributes:
        best_bid_price_lots: the best external bid, None when there is none.
        best_ask_price_lots: the best external ask, None when there is none.
        bid_wall_prices: prices of the bid walls, best first.
        ask_wall_prices: prices of the ask walls, best first.
    """

    best_bid_price_lots: PriceLots | None = None
    best_ask_price_lots: PriceLots | None = None
    bid_wall_prices: tuple[PriceLots, ...] = ()
    ask_wall_prices: tuple[PriceLots, ...] = ()


def _own_sizes(own: Sequence[Level]) -> dict[int, int]:
    sizes: dict[int, int] = {order.price_lots: order.size_base_lots for order in own}
    if len(sizes) < len(own):
        # several of our orders share a price (one level split over wallets): add them up
        sizes = {}
        for order in own:
            sizes[order.price_lots] = sizes.get(order.price_lots, 0) + order.size_base_lots
    return sizes


def _malformed(side: Side, message: str) -> InvariantError:
    return InvariantError(f"book {side.name.lower()}s {message}")


def _scan_side(
    levels: Sequence[BookLevel], own: Sequence[Level], side: Side, depth: int
) -> list[tuple[PriceLots, int]]:
    # (price, external size) of the first `depth` levels left once our sizes are subtracted;
    # every level read is checked: positive, best first, one level per price
    if depth <= 0:
        return []
    own_size = _own_sizes(own)
    get_own = own_size.get
    sign = 1 if side is Side.BID else -1
    kept: list[tuple[PriceLots, int]] = []
    append = kept.append
    # in "aggressiveness" a = sign·price each level must be strictly below the previous one
    previous: float = math.inf
    for level in levels:
        price = level.price_lots
        size: int = level.size_base_lots
        if price <= 0 or size <= 0:
            raise _malformed(side, f"need a positive price and size, was {price} x {size}")
        aggressiveness = price * sign
        if aggressiveness >= previous:
            raise _malformed(side, f"must be sorted best first, was {previous * sign} then {price}")
        previous = aggressiveness
        size -= get_own(price, 0)
        if size > 0:
            append((price, size))
            depth -= 1
            if not depth:
                break
    return kept


def external_book(book: L2Snapshot, own: Grid, depth: int) -> L2Snapshot:
    """Return the top ``depth`` levels per side of ``book`` with our resting orders removed.

    At each price the sizes of our own levels on that side are subtracted from the aggregated
    size; a level that falls to zero or below (ours alone, or a snapshot older than our orders)
    is skipped and the scan continues, so up to ``depth`` external levels are returned. An
    empty side stays empty; a ``depth`` of 0 or less reads nothing and returns an empty book.

    Raises:
        InvariantError: a level read has a non-positive price or size, or a side is not sorted
            best first with distinct prices.
    """
    return L2Snapshot(
        bids=tuple(
            BookLevel(price, BaseLots(size))
            for price, size in _scan_side(book.bids, own.bids, Side.BID, depth)
        ),
        asks=tuple(
            BookLevel(price, BaseLots(size))
            for price, size in _scan_side(book.asks, own.asks, Side.ASK, depth)
        ),
    )


def scan_walls(book: L2Snapshot, own: Grid, depth: int, threshold_quote_lots: int) -> WallScan:
    """Return the best external prices and the walls of ``book`` in one pass (spec 3.2).

    Same reading of the book as ``external_book`` (our orders removed, top ``depth`` external
    levels per side) and the same wall rule as ``find_walls`` (quote value strictly above
    ``threshold_quote_lots``; 0 disables walls but the best prices are still returned).

    Raises:
        InvariantError: the book is malformed (see ``external_book``).
    """
    sides = []
    for levels, own_levels, side in (
        (book.bids, own.bids, Side.BID),
        (book.asks, own.asks, Side.ASK),
    ):
        kept = _scan_side(levels, own_levels, side, depth)
        best = kept[0][0] if kept else None
        walls = (
            tuple([p for p, v in kept if p * v > threshold_quote_lots])
            if threshold_quote_lots > 0
            else ()
        )
        sides.append((best, walls))
    return WallScan(sides[0][0], sides[1][0], sides[0][1], sides[1][1])


def find_walls(levels: Sequence[BookLevel], threshold_quote_lots: int) -> tuple[PriceLots, ...]:
    """Return the prices of the walls among ``levels``, in book order (best first).

    A wall is a level whose quote value ``price_lots·size_base_lots`` (quote lots) is strictly
    above ``threshold_quote_lots`` (spec 3.2). A threshold of 0 or below disables detection and
    returns no wall; an empty side has none.
    """
    if threshold_quote_lots <= 0:
        return ()
    return tuple(
        level.price_lots
        for level in levels
        if level.price_lots * level.size_base_lots > threshold_quote_lots
    )


def front_run(
    prices: Sequence[int],
    side: Side,
    walls: Sequence[int],
    *,
    bound_price_lots: int,
    front_run_ticks: int,
    max_front_run_ticks: int,
) -> list[int]:
    """Return ``prices`` with the level behind each wall moved just ahead of it (spec 3.2).

    ``prices`` are one side of our grid, best first and strictly monotone (bids descending,
    asks ascending); ``walls`` are that side's wall prices, best first. For each wall, the
    nearest level at or behind it that has not moved yet (for a bid wall at W, our highest bid
    <= W) moves to ``W + k`` for a bid or ``W - k`` for an ask, trying ``k = front_run_ticks``
    down to 1 and taking the first that keeps every rule:

    - a bid stays strictly below ``bound_price_lots`` (an ask strictly above it); the caller
      passes the tighter of the best external opposite price and the pivot, so we never cross
      the spread or the pivot;
    - it stays strictly behind our next better level (no shared tick, no reordering);
    - it moves at most ``max_front_run_ticks`` from its computed price.

    When no ``k`` fits, that level stays put and may serve the next wall. Each level moves at
    most once, so the result keeps the strict order of ``prices``. No wall or no level: the
    prices are returned unchanged.
    """
    if not walls:
        return list(prices)
    sign = 1 if side is Side.BID else -1
    # compare in "aggressiveness" (price·sign): larger is better on both sides
    shifted = list(prices)
    count = len(prices)
    index = 0
    for wall in walls:
        while index < count and (prices[index] - wall) * sign > 0:
            index += 1
        if index == count:
            break
        for ticks in range(front_run_ticks, 0, -1):
            target = wall + ticks * sign
            is_within_cap = (target - prices[index]) * sign <= max_front_run_ticks
            is_behind_better = index == 0 or (shifted[index - 1] - target) * sign > 0
            if is_within_cap and is_behind_better and (bound_price_lots - target) * sign > 0:
                shifted[index] = target
                index += 1
                break
    return shifted
