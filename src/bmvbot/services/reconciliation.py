"""Checks around one rebalance: swarm-wide self-trade safety of a plan, and landing.

``check_plan_uncrossed`` replays a ``ReplacementPlan`` over the resting orders and refuses any
step whose new orders would cross an order another swarm wallet still rests at that moment.
``ExpectedOrders`` remembers what the last rebalance should have left on the book; compared
with a later snapshot (fills taken into account) it tells whether the rebalance landed in full.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bmvbot.core.errors import InvariantError
from bmvbot.core.swarm import Allocation, ReplacementPlan
from bmvbot.core.types import Level, Side, WalletId
from bmvbot.ports.venue import MarketTrade, OwnOrder

_Bounds = tuple[int | None, int | None]
# (highest bid, lowest ask) of one wallet's orders


def _bounds(levels: Iterable[Level]) -> _Bounds:
    max_bid: int | None = None
    min_ask: int | None = None
    for level in levels:
        price = level.price_lots
        if level.side is Side.BID:
            max_bid = price if max_bid is None or price > max_bid else max_bid
        else:
            min_ask = price if min_ask is None or price < min_ask else min_ask
    return max_bid, min_ask


def _crosses(new: _Bounds, resting: _Bounds) -> bool:
    new_bid, new_ask = new
    resting_bid, resting_ask = resting
    return (new_bid is not None and resting_ask is not None and new_bid >= resting_ask) or (
        new_ask is not None and resting_bid is not None and new_ask <= resting_bid
    )


def check_plan_uncrossed(
    resting: Mapping[WalletId, Sequence[Level]], plan: ReplacementPlan
) -> None:
    """Check that no step places an order crossing another wallet's order resting at that time.

    The steps run in plan order; a step first cancels every order of its wallet, so only the
    other wallets' orders count: the ones they still rest from before, or placed by an earlier
    step. Cost: one pass over the orders plus ``steps x wallets`` comparisons.

    Raises:
        InvariantError: a step's new orders cross (bid >= ask) another wallet's resting orders;
            a post-only order there would be dropped, or would trade with the swarm.
    """
    current = {wallet: _bounds(levels) for wallet, levels in resting.items()}
    for index, step in enumerate(plan.steps):
        placed = _bounds(step.bids + step.asks)
        for other, bounds in current.items():
            if other != step.wallet and _crosses(placed, bounds):
                raise InvariantError(
                    f"swarm self-trade risk: step {index} of wallet={step.wallet} places "
                    f"bid<={placed[0]} ask>={placed[1]} across wallet={other} resting "
                    f"bid<={bounds[0]} ask>={bounds[1]}"
                )
        current[step.wallet] = placed


_Key = tuple[WalletId, Side, int]


class ExpectedOrders:
    """What the last rebalance should have left resting, per wallet, side and price.

    Fills explain a smaller or missing order: a level with a swarm maker fill at its wallet,
    side and price since the rebalance may be smaller than sent, or gone. Anything else that
    differs (a stray order, a missing or larger order) is a mismatch: part of the rebalance
    did not land, or the venue shrank or dropped an order.
    """

    def __init__(self, allocation: Allocation) -> None:
        """Expect exactly the orders of ``allocation``."""
        self._sizes: dict[_Key, int] = {}
        for orders in allocation.wallets:
            for level in orders.levels:
                self._sizes[(orders.wallet, level.side, level.price_lots)] = level.size_base_lots
        self._filled: set[_Key] = set()

    def add_fills(self, fills: Iterable[MarketTrade]) -> None:
        """Note the swarm's maker fills (they may shrink or remove an expected order)."""
        for trade in fills:
            if trade.maker_wallet is not None:
                side = trade.taker_side.opposite
                self._filled.add((trade.maker_wallet, side, trade.price_lots))

    def mismatches(self, orders: Sequence[OwnOrder]) -> list[str]:
        """Return one line per difference between ``orders`` and what is expected."""
        problems: list[str] = []
        seen: set[_Key] = set()
        for order in orders:
            key: _Key = (order.wallet, order.side, order.price_lots)
            seen.add(key)
            expected = self._sizes.get(key)
            if expected is None:
                problems.append(f"unexpected {_describe(key)} x {order.size_base_lots}")
            elif order.size_base_lots > expected or (
                order.size_base_lots < expected and key not in self._filled
            ):
                problems.append(f"{_describe(key)} rests {order.size_base_lots}, sent {expected}")
        for key, size in self._sizes.items():
            if key not in seen and key not in self._filled:
                problems.append(f"missing {_describe(key)} x {size}")
        return problems


def _describe(key: _Key) -> str:
    wallet, side, price = key
    return f"{side.name.lower()} of wallet={wallet} at {price}"
