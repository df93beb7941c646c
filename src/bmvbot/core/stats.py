"""Market statistics for the dashboard and the treasury.

This module owns the order-book imbalance index and the safe-haven index (the correlation of
the base token with SOL).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from bmvbot.core.errors import InvariantError
from bmvbot.core.types import BookLevel, L2Snapshot

IMBALANCE_DEPTH_LEVELS = 20
"""Levels per side that ``imbalance_index`` looks at by default."""
MIN_RETURNS = 3
"""Fewer log returns than this give no ``safe_haven_index``."""
_MIN_RETURN_STDDEV = 1e-12
# a log return moves by ~1e-16 from float noise alone; below this spread the series is flat


def _side_depth_quote_lots(levels: tuple[BookLevel, ...], depth_levels: int) -> int:
    total = 0
    for level in levels[:depth_levels]:
        if level.price_lots <= 0 or level.size_base_lots < 0:
            raise InvariantError(
                f"book level must have price_lots > 0 and size_base_lots >= 0, was "
                f"price_lots={level.price_lots} size_base_lots={level.size_base_lots}"
            )
        total += level.price_lots * level.size_base_lots
    return total


def imbalance_index(snapshot: L2Snapshot, depth_levels: int = IMBALANCE_DEPTH_LEVELS) -> float:
    """Return ``(bid_depth - ask_depth) / (bid_depth + ask_depth)``, in [-1, 1].

    Each depth is the quote value ``sum(price * size)`` in quote lots of the first
    ``depth_levels`` levels of its side (default 20). +1 means only bids, -1 only asks; an
    empty book (or one with zero sizes only) gives 0.

    Raises:
        InvariantError: a level has a non-positive price or a negative size, or
            ``depth_levels`` is below 1.
    """
    if depth_levels < 1:
        raise InvariantError(f"depth_levels must be >= 1, was {depth_levels}")
    bid_depth = _side_depth_quote_lots(snapshot.bids, depth_levels)
    ask_depth = _side_depth_quote_lots(snapshot.asks, depth_levels)
    total = bid_depth + ask_depth
    if total == 0:
        return 0.0
    # integer operands: true division is correctly rounded, so the result stays in [-1, 1]
    return (bid_depth - ask_depth) / total


def log_returns(prices: Sequence[float], name: str = "prices") -> list[float]:
    """Return ``ln(p[i]) - ln(p[i-1])`` for consecutive prices (one fewer than the prices).

    Raises:
        InvariantError: a price is NaN, infinite or not positive (named with its index).
    """
    for index, price in enumerate(prices):
        if not (math.isfinite(price) and price > 0):
            raise InvariantError(f"{name}[{index}] must be a finite price > 0, was {price!r}")
    # a difference of logs stays finite where the log of a ratio of extreme prices would not
    logs = [math.log(price) for price in prices]
    return [logs[i] - logs[i - 1] for i in range(1, len(logs))]


def safe_haven_index(sol_prices: Sequence[float], token_prices: Sequence[float]) -> float | None:
    """Return the Pearson correlation of SOL's and the token's log returns, in [-1, 1].

    The inputs are aligned price samples (one per minute) over the window:
    ``r = sum(dx * dy) / sqrt(sum(dx^2) * sum(dy^2))`` over the demeaned 1-minute log returns.
    Near 1 the token moves with SOL; near 0 or below it is a haven from SOL's moves. None when
    there are fewer than 3 returns (4 prices) or either series has (near) zero variance.

    Raises:
        InvariantError: the sequences differ in length, or a price is NaN, infinite or not
            positive.
    """
    if len(sol_prices) != len(token_prices):
        raise InvariantError(
            "sol_prices and token_prices must be aligned (same length), was "
            f"{len(sol_prices)} and {len(token_prices)}"
        )
    xs = log_returns(sol_prices, "sol_prices")
    ys = log_returns(token_prices, "token_prices")
    count = len(xs)
    if count < MIN_RETURNS:
        return None
    mean_x = math.fsum(xs) / count
    mean_y = math.fsum(ys) / count
    dxs = [x - mean_x for x in xs]
    dys = [y - mean_y for y in ys]
    sxx = math.fsum(dx * dx for dx in dxs)
    syy = math.fsum(dy * dy for dy in dys)
    flat = count * _MIN_RETURN_STDDEV**2
    if sxx <= flat or syy <= flat:
        return None
    sxy = math.fsum(dx * dy for dx, dy in zip(dxs, dys, strict=True))
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))
