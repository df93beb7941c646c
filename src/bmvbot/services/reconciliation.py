"""Checks around one rebalance: swarm-wide self-trade safety of a plan, and landing.

``check_plan_uncrossed`` replays a ``ReplacementPlan`` over the resting orders and refuses any
step whose new orders would cross an order another swarm wallet still rests at that moment.
``OrderLedger`` follows every order the swarm placed (placed, cancelled, filled, lost);
compared with each snapshot it tells whether the last rebalance landed as sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bmvbot.core.errors import InvariantError
from bmvbot.core.swarm import ReplacementPlan
from bmvbot.core.types import Level, MarketSpec, Side, WalletId
from bmvbot.ports.venue import MarketTrade, OwnOrder, WalletBalance

_NO_BID = -1
_NO_ASK = 1 << 63  # above every i64 price


def _bounds(levels: Iterable[Level]) -> tuple[int, int]:
    # (highest bid, lowest ask) of one wallet's orders; sentinels when a side is empty
    max_bid, min_ask = _NO_BID, _NO_ASK
    for level in levels:
        price = level.price_lots
        if level.side is Side.BID:
            if price > max_bid:
                max_bid = price
        elif price < min_ask:
            min_ask = price
    return max_bid, min_ask


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
    bids: dict[WalletId, int] = {}
    asks: dict[WalletId, int] = {}
    for wallet, levels in resting.items():
        bids[wallet], asks[wallet] = _bounds(levels)
    for index, step in enumerate(plan.steps):
        wallet = step.wallet
        new_bid, new_ask = _bounds(step.bids + step.asks)
        bids[wallet], asks[wallet] = _NO_BID, _NO_ASK
        other_ask = min(asks.values(), default=_NO_ASK)
        other_bid = max(bids.values(), default=_NO_BID)
        if new_bid >= other_ask or new_ask <= other_bid:
            raise InvariantError(
                f"swarm self-trade risk: step {index} of wallet={wallet} places bids up to "
                f"{new_bid} and asks from {new_ask} across other wallets' resting bids up to "
                f"{other_bid} and asks from {other_ask} (-1 / 2**63: none)"
            )
        bids[wallet], asks[wallet] = new_bid, new_ask


_Key = tuple[WalletId, Side, int]


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """What ``OrderLedger.reconcile`` found: one line per difference, and whether to repair.

    Attributes:
        problems: differences the venue does not explain: a ledger order missing though its
            wallet could fund it (lost), or an order the ledger does not know (adopted).
        unfunded: ledger orders missing because their wallet's funds fell short when the step
            landed (a fill during the landing delay spent them); the program shrank or dropped
            them, as it does for any short-funded entry.
    """

    problems: tuple[str, ...] = ()
    unfunded: tuple[str, ...] = ()

    @property
    def should_repair(self) -> bool:
        """Return True when the book differs from what the last rebalance sent."""
        return bool(self.problems or self.unfunded)


class OrderLedger:
    """Every swarm order the service placed, from placement to fill, cancel or loss.

    An order is known by its wallet, side and price (a wallet never rests two orders on one
    tick of one side). Placed orders enter when their wallet's step lands; a landed step or
    cancel-all cancels the wallet's earlier orders; maker fills shrink an order and a fully
    filled one leaves as filled. ``reconcile`` compares the ledger with the venue's resting
    orders and adopts what the venue shows: a ledger order the venue does not rest left either
    *unfunded* (its wallet lacked the funds when it landed) or *lost* (no explanation); an
    order the ledger does not know is *adopted*. At any time
    ``placed + adopted = resting + cancelled + filled + unfunded + lost``.
    """

    def __init__(self, market: MarketSpec) -> None:
        """Create an empty ledger for ``market`` (its lot sizes price the funds check)."""
        self._market = market
        self._live: dict[_Key, int] = {}
        self.placed = 0
        self.cancelled = 0
        self.filled = 0
        self.unfunded = 0
        self.lost = 0
        self.adopted = 0

    @property
    def resting(self) -> int:
        """Return the orders the ledger believes rest now."""
        return len(self._live)

    def replace(self, wallet: WalletId, levels: Iterable[Level]) -> None:
        """Record a landed step of ``wallet``: its orders cancelled, ``levels`` placed."""
        self.cancel_wallet(wallet)
        for level in levels:
            self._live[(wallet, level.side, level.price_lots)] = level.size_base_lots
            self.placed += 1

    def cancel_wallet(self, wallet: WalletId) -> None:
        """Record that every order of ``wallet`` was cancelled."""
        keys = [key for key in self._live if key[0] == wallet]
        for key in keys:
            del self._live[key]
        self.cancelled += len(keys)

    def add_fills(self, fills: Iterable[MarketTrade]) -> None:
        """Shrink the orders the swarm's maker fills hit; fully filled ones leave as filled."""
        live = self._live
        for trade in fills:
            if trade.maker_wallet is None:
                continue
            key = (trade.maker_wallet, trade.taker_side.opposite, trade.price_lots)
            remaining = live.get(key)
            if remaining is None:
                continue  # an order already cancelled in the ledger (filled while it landed)
            if remaining > trade.size_base_lots:
                live[key] = remaining - trade.size_base_lots
            else:
                del live[key]
                self.filled += 1

    def reconcile(
        self, orders: Sequence[OwnOrder], balances: Sequence[WalletBalance]
    ) -> Reconciliation:
        """Bring the ledger in line with the venue's ``orders`` and say what differed.

        A resting order smaller than the ledger's is adopted quietly (a fill the ledger could
        not attribute, or an entry the program shrank for short funds); a larger or unknown
        one is a problem. A missing order is unfunded when its wallet's free funds in
        ``balances`` cannot pay for it now, else lost.
        """
        venue: dict[_Key, int] = {}
        for order in orders:
            venue[(order.wallet, order.side, order.price_lots)] = order.size_base_lots
        live = self._live
        problems: list[str] = []
        for key, size in venue.items():
            expected = live.get(key)
            if expected is None:
                problems.append(f"unexpected {_describe(key)} x {size}")
                self.adopted += 1
            elif size > expected:
                problems.append(f"{_describe(key)} rests {size}, ledger has {expected}")
            live[key] = size
        missing = [key for key in live if key not in venue]
        unfunded = self._settle_missing(missing, balances, problems)
        return Reconciliation(tuple(problems), tuple(unfunded))

    def _settle_missing(
        self, missing: list[_Key], balances: Sequence[WalletBalance], problems: list[str]
    ) -> list[str]:
        free = {b.wallet: (b.quote_free_native, b.base_free_native) for b in balances}
        market = self._market
        unfunded: list[str] = []
        for key in missing:
            size = self._live.pop(key)
            wallet, side, price = key
            quote_free, base_free = free.get(wallet, (0, 0))
            is_short = (
                quote_free < market.quote_native(price, size)
                if side is Side.BID
                else base_free < size * market.base_lot_size
            )
            line = f"missing {_describe(key)} x {size}"
            if is_short:
                unfunded.append(line)
                self.unfunded += 1
            else:
                problems.append(line)
                self.lost += 1
        return unfunded


def _describe(key: _Key) -> str:
    wallet, side, price = key
    return f"{side.name.lower()} of wallet={wallet} at {price}"
