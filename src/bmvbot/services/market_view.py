"""One snapshot read the way the trading loop needs it: resting grid, external book, funds.

Plain conversions between the venue's values (``MarketSnapshot``, ``OwnOrder``,
``WalletBalance``) and the core's (``Grid``, ``L2Snapshot``, ``WalletFunds``,
``AvailableFunds``); no strategy decision is taken here.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bmvbot.core.book import external_book
from bmvbot.core.config import SwarmParams
from bmvbot.core.grid import AvailableFunds
from bmvbot.core.swarm import WalletFunds, side_groups
from bmvbot.core.types import (
    BaseLots,
    Grid,
    L2Snapshot,
    Level,
    MarketSpec,
    QuoteLots,
    Side,
    WalletId,
)
from bmvbot.ports.venue import MarketSnapshot, MarketTrade, OwnOrder, WalletBalance
from bmvbot.services.state import WalletInventory


def _by_price(order: OwnOrder) -> int:
    return order.price_lots


def sorted_orders(orders: Iterable[OwnOrder]) -> tuple[OwnOrder, ...]:
    """Return ``orders`` as bids best (highest) first, then asks best (lowest) first."""
    orders = tuple(orders)
    bids = sorted((o for o in orders if o.side is Side.BID), key=_by_price, reverse=True)
    asks = sorted((o for o in orders if o.side is Side.ASK), key=_by_price)
    return (*bids, *asks)


@dataclass(frozen=True, slots=True)
class MarketView:
    """A snapshot and what the loop derives from it once.

    Attributes:
        snapshot: the venue's snapshot.
        orders: its swarm orders, sorted (bids best first, then asks best first).
        resting: those orders as a grid.
        resting_by_wallet: those orders per wallet.
        external: the book without the swarm's orders, top ``depth`` levels per side.
        market_price_lots: mid of ``external``, else the last trade; None before either.
    """

    snapshot: MarketSnapshot
    orders: tuple[OwnOrder, ...]
    resting: Grid
    resting_by_wallet: Mapping[WalletId, Sequence[Level]]
    external: L2Snapshot
    market_price_lots: float | None = None

    @classmethod
    def of(cls, snapshot: MarketSnapshot, depth: int) -> MarketView:
        """Return the view of ``snapshot``; ``depth`` external levels are kept per side."""
        orders = sorted_orders(snapshot.orders)
        levels = [order.level for order in orders]
        grid = Grid(
            tuple(level for level in levels if level.side is Side.BID),
            tuple(level for level in levels if level.side is Side.ASK),
        )
        resting: dict[WalletId, list[Level]] = {}
        for order, level in zip(orders, levels, strict=True):
            resting.setdefault(order.wallet, []).append(level)
        return cls(snapshot, orders, grid, resting, external_book(snapshot.book, grid, depth))

    @property
    def ts_ns(self) -> int:
        """Return the snapshot's time."""
        return self.snapshot.ts_ns

    def with_market_price(self, price_lots: float | None) -> MarketView:
        """Return this view with ``market_price_lots`` set."""
        return dataclasses.replace(self, market_price_lots=price_lots)

    def funds(self, market: MarketSpec) -> list[WalletFunds]:
        """Return each wallet's funds for a new grid (see ``wallet_funds``)."""
        return wallet_funds(self.snapshot.balances, market)


def market_price_lots(external: L2Snapshot, last_trade_price_lots: int | None) -> float | None:
    """Return the market price: the external mid, else the one external touch, else the last trade.

    With one side of the external book empty the touch that remains is the freshest price (the
    last trade may be an outlier that swept into the void); with no book at all the last
    trade is all there is; None before any.
    """
    mid = external.mid_price_lots
    if mid is not None:
        return mid
    touch = external.best_bid if external.best_bid is not None else external.best_ask
    if touch is not None:
        return float(touch)
    return None if last_trade_price_lots is None else float(last_trade_price_lots)


def wallet_funds(balances: Sequence[WalletBalance], market: MarketSpec) -> list[WalletFunds]:
    """Return what each wallet can commit after a cancel-all: free plus locked, in lots.

    A replacement step cancels the wallet's orders before placing, so its locked funds are
    free again by then; amounts are floored to whole lots.
    """
    return [
        WalletFunds(
            balance.wallet,
            BaseLots(
                (balance.base_free_native + balance.base_locked_native) // market.base_lot_size
            ),
            QuoteLots(
                (balance.quote_free_native + balance.quote_locked_native) // market.quote_lot_size
            ),
            balance.blocked_slots,
        )
        for balance in balances
    ]


def side_funds(funds: Sequence[WalletFunds], swarm: SwarmParams) -> AvailableFunds:
    """Return the funds of each side of the grid: quote of the bid wallets, base of the ask ones.

    With the side split only the wallets of a side's group can fund it (``side_groups``).
    """
    bid_group, ask_group = side_groups(len(funds), swarm.is_side_split)
    return AvailableFunds(
        quote_lots=sum(funds[i].quote_lots for i in bid_group),
        base_lots=sum(funds[i].base_lots for i in ask_group),
    )


def swarm_base_lots(balances: Iterable[WalletBalance], market: MarketSpec) -> tuple[int, int]:
    """Return ``(locked, inventory)``: base in resting asks and base held otherwise, in lots."""
    locked = inventory = 0
    for balance in balances:
        locked += balance.base_locked_native
        inventory += balance.base_free_native
    return locked // market.base_lot_size, inventory // market.base_lot_size


def skip_crossing_levels(
    grid: Grid,
    external: L2Snapshot,
    market_price_lots: float | None,
    band_fraction: float,
    trade_range_lots: tuple[int, int] | None = None,
) -> tuple[Grid, int]:
    """Return ``grid`` without the levels that would cross or crowd the market, and how many.

    A bid is kept only strictly below the best external ask (a post-only bid at or above it
    is not posted) and ``market / (1 + band)`` (outside the proximity band), and at most
    ``best external bid * (1 + band)`` (it improves the external bid by at most the band);
    an ask only strictly above the best external bid and ``market / (1 - band)``, and at
    least ``best external ask * (1 - band)``. ``trade_range_lots`` (lowest, highest price of
    the latest trades) extends the band around the market: the quotes of a falling market
    lag its trades, so bids also stay below ``lowest / (1 + band)`` and asks above
    ``highest / (1 - band)``. A level inside the band
    would fire the proximity guard on the next tick; and when the market runs away from a
    slow pivot, or one side of the book is thin, the band is the margin that keeps a
    post-only order from crossing before it lands. ``band_fraction`` 0 keeps only the touch
    rules. An absent price sets no limit.
    """
    best_bid, best_ask = external.best_bid, external.best_ask
    bid_below = math.inf if best_ask is None else float(best_ask)
    ask_above = -math.inf if best_bid is None else float(best_bid)
    low, high = (market_price_lots, market_price_lots)
    if trade_range_lots is not None:
        low = trade_range_lots[0] if low is None else min(low, trade_range_lots[0])
        high = trade_range_lots[1] if high is None else max(high, trade_range_lots[1])
    if low is not None and high is not None:
        bid_below = min(bid_below, low / (1.0 + band_fraction))
        ask_above = max(ask_above, high / (1.0 - band_fraction))
    # joining the external touch is fine, improving it by more than the band is not
    bid_cap = math.inf if best_bid is None else best_bid * (1.0 + band_fraction)
    ask_floor = -math.inf if best_ask is None else best_ask * (1.0 - band_fraction)
    bids = tuple(b for b in grid.bids if bid_cap >= b.price_lots < bid_below)
    asks = tuple(a for a in grid.asks if ask_floor <= a.price_lots > ask_above)
    skipped = len(grid.bids) - len(bids) + len(grid.asks) - len(asks)
    return (Grid(bids, asks), skipped) if skipped else (grid, 0)


MARGIN_MOVE_MULTIPLE = 2.0
"""The safety margin is this many times the market's move over the last tick."""


def safety_margin_fraction(
    previous_price_lots: float | None, price_lots: float | None, cap_fraction: float
) -> float:
    """Return how far new levels keep from the market: ``min(cap, 2 * |move| / previous)``.

    ``move`` is the market price's change since the previous tick: a rebalance lands a slot
    or two later, and the market may move about as far again meanwhile. A still market needs
    no margin (levels may join the touch); a crash or pump reaches the cap (the proximity
    band). Without two prices the margin is the cap.
    """
    if previous_price_lots is None or price_lots is None or previous_price_lots <= 0:
        return cap_fraction
    move = abs(price_lots - previous_price_lots) / previous_price_lots
    return min(cap_fraction, MARGIN_MOVE_MULTIPLE * move)


def trade_range(trades: Sequence[MarketTrade]) -> tuple[int, int] | None:
    """Return the lowest and highest price of ``trades``, None without trades."""
    if not trades:
        return None
    prices = [trade.price_lots for trade in trades]
    return min(prices), max(prices)


def inventory_of(snapshot: MarketSnapshot) -> tuple[WalletInventory, ...]:
    """Return each wallet's holdings and order counts, in swarm order."""
    counts: dict[WalletId, list[int]] = {}
    for order in snapshot.orders:
        counts.setdefault(order.wallet, [0, 0])[order.side] += 1
    return tuple(
        WalletInventory(
            wallet=b.wallet,
            base_native=b.base_free_native + b.base_locked_native,
            quote_native=b.quote_free_native + b.quote_locked_native,
            base_locked_native=b.base_locked_native,
            quote_locked_native=b.quote_locked_native,
            lamports=b.lamports,
            bid_count=counts.get(b.wallet, [0, 0])[Side.BID],
            ask_count=counts.get(b.wallet, [0, 0])[Side.ASK],
        )
        for b in snapshot.balances
    )
