"""The Venue port: where the swarm's orders rest and trade (simulated, paper or live).

A venue is lazy: it catches up with its own clock whenever it is asked, so the same adapter
serves the Simulation Lab (``SimClock`` advanced by a runner) and paper trading (wall clock).
Implementations: ``SimulatedVenue`` (exchange model + bundle simulator + synthetic market
participants) and, later, ``OpenBookVenue`` (RPC/WS + Jito).

| method            | required | what it does                                                    |
|-------------------|----------|-----------------------------------------------------------------|
| ``market_spec``   | yes      | the market's decimals, lot sizes and fees                       |
| ``wallets``       | yes      | every swarm wallet, in swarm order                              |
| ``snapshot``      | yes      | book, swarm orders and balances now, trades since last call     |
| ``execute``       | yes      | send one rebalance (per-wallet cancel-all-and-place) as bundles |
| ``cancel_all``    | yes      | cancel every swarm order (shutdown, pause, emergency)           |
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from bmvbot.core.pivot import TradeId
from bmvbot.core.swarm import ReplacementPlan
from bmvbot.core.types import (
    BaseLots,
    BaseNative,
    L2Snapshot,
    Lamports,
    Level,
    MarketSpec,
    PriceLots,
    QuoteNative,
    Side,
    WalletId,
)


@dataclass(frozen=True, slots=True)
class OwnOrder:
    """One order of the swarm resting on the book.

    Attributes:
        wallet: the wallet whose OpenOrders account holds it.
        side: bid or ask.
        price_lots: limit price in ticks.
        size_base_lots: size still resting, in base lots.
        order_id: the venue's order id (OpenBook: the u128 tree key).
        client_order_id: the id the bot gave it.
    """

    wallet: WalletId
    side: Side
    price_lots: PriceLots
    size_base_lots: BaseLots
    order_id: int
    client_order_id: int

    @property
    def level(self) -> Level:
        """Return the order as a grid level."""
        return Level(self.side, self.price_lots, self.size_base_lots)


@dataclass(frozen=True, slots=True)
class WalletBalance:
    """What one wallet holds, in native units.

    Attributes:
        wallet: the wallet.
        base_free_native: base it can commit (token account + OpenOrders free balance).
        quote_free_native: quote it can commit (token account + OpenOrders free balance).
        base_locked_native: base locked in its resting asks.
        quote_locked_native: quote locked in its resting bids.
        lamports: SOL for fees and tips.
        blocked_slots: OpenOrders slots held by filled orders whose events are not consumed.
    """

    wallet: WalletId
    base_free_native: BaseNative
    quote_free_native: QuoteNative
    base_locked_native: BaseNative
    quote_locked_native: QuoteNative
    lamports: Lamports
    blocked_slots: int = 0


@dataclass(frozen=True, slots=True)
class MarketTrade:
    """One fill on the market (any participant), as the venue reports it.

    Attributes:
        trade_id: identity for deduplication (signature + event seq, or fill id).
        ts_ns: when it happened, UTC ns.
        price_lots: fill price (the maker's) in ticks.
        size_base_lots: filled size in base lots.
        taker_side: the aggressor's side.
        maker_wallet: the swarm wallet that was the maker, None for an external maker.
        taker_wallet: the swarm wallet that was the taker, None for an external taker.
        maker_fee_native: fee the maker paid in native quote (negative = rebate).
        taker_fee_native: fee the taker paid in native quote.
    """

    trade_id: TradeId
    ts_ns: int
    price_lots: PriceLots
    size_base_lots: BaseLots
    taker_side: Side
    maker_wallet: WalletId | None = None
    taker_wallet: WalletId | None = None
    maker_fee_native: int = 0
    taker_fee_native: int = 0

    @property
    def is_swarm_fill(self) -> bool:
        """Return True when a swarm wallet took part (as maker or taker)."""
        return self.maker_wallet is not None or self.taker_wallet is not None


@dataclass(frozen=True, slots=True)
class MarketSnapshot:
    """The market as the venue sees it at ``ts_ns``.

    Attributes:
        ts_ns: the venue's time, UTC ns.
        book: aggregated L2 book, swarm orders included (``core.book.external_book`` removes them).
        orders: every resting swarm order.
        balances: every swarm wallet's balances, in swarm order.
        trades: every market trade since the previous snapshot, oldest first.
    """

    ts_ns: int
    book: L2Snapshot
    orders: tuple[OwnOrder, ...]
    balances: tuple[WalletBalance, ...]
    trades: tuple[MarketTrade, ...] = ()


@dataclass(frozen=True, slots=True)
class UnpostedOrder:
    """An order of a landed step that the venue did not rest.

    Attributes:
        wallet: the wallet whose step it was.
        level: the order as planned.
        is_crossing: True when the post-only order would have crossed a resting order (it was
            dropped, never matched); False when the wallet's funds fell short.
    """

    wallet: WalletId
    level: Level
    is_crossing: bool


class LandingStatus(enum.Enum):
    """How much of a rebalance reached the book."""

    LANDED = "landed"
    """Every bundle landed."""
    PARTIAL = "partial"
    """Some bundles landed and some did not: the next tick repairs."""
    FAILED = "failed"
    """Nothing landed; nothing changed on the book."""


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """The outcome of one ``execute`` or ``cancel_all``.

    Attributes:
        status: landed, partial or failed.
        bundle_ids: ids of the bundles sent, in order.
        landed_wallets: wallets whose step reached the book.
        failed_wallets: wallets whose step did not.
        is_atomic: True when the whole rebalance went in one all-or-nothing bundle.
        transactions: transactions sent.
        tips_lamports: Jito tips paid (landed bundles only).
        fees_lamports: signature and priority fees paid.
        dropped_orders: post-only orders the venue did not post (would have crossed).
        swarm_crossed_orders: those of ``dropped_orders`` that would have crossed a resting
            order of a swarm wallet (a would-be swarm self-trade; the replacement order must
            keep this at 0). The others crossed outside orders (the market moved).
        unposted: every order of a landed step the venue did not rest, with why; the
            crossing ones add up to ``dropped_orders``.
    """

    status: LandingStatus
    bundle_ids: tuple[str, ...]
    landed_wallets: tuple[WalletId, ...]
    failed_wallets: tuple[WalletId, ...]
    is_atomic: bool
    transactions: int
    tips_lamports: Lamports
    fees_lamports: Lamports
    dropped_orders: int = 0
    swarm_crossed_orders: int = 0
    unposted: tuple[UnpostedOrder, ...] = ()


class Venue(Protocol):
    """A market the swarm trades on; every method translates failures into ``VenueError``."""

    async def market_spec(self) -> MarketSpec:
        """Return the market's geometry (decimals, lot sizes, fees)."""
        ...

    async def wallets(self) -> tuple[WalletId, ...]:
        """Return every swarm wallet, in swarm order (stable across calls)."""
        ...

    async def snapshot(self) -> MarketSnapshot:
        """Return the market now; ``trades`` holds the trades since the previous call."""
        ...

    async def execute(self, plan: ReplacementPlan, tip_lamports: Lamports) -> ExecutionReport:
        """Send a rebalance: each step cancels all of one wallet's orders and places its new ones.

        Steps run strictly in plan order. Every order is post-only with
        cancel-provide self-trade behaviour, so a swarm order can never take another.

        Raises:
            RetryableVenueError: nothing was sent (e.g. the relay is unreachable).
            RejectedError: the venue refused the plan as malformed.
            FatalVenueError: a wallet or account is missing or unusable.
        """
        ...

    async def cancel_all(self, tip_lamports: Lamports) -> ExecutionReport:
        """Cancel every swarm order on the market."""
        ...
