"""What the trading loop shows: frozen values the terminal view, the API and the lab read.

``TradingState`` is one picture of the running service: market (mid, spread, pivot), the
resting grid with its wallets, inventory per wallet, profit and loss from fills and marks, and
the execution counters (rebalances per reason, bundles, tips, fees, dropped orders).
``TickDecision`` and ``TickOutcome`` say what one tick decided and did.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bmvbot.core.swarm import ReplacementPlan
from bmvbot.core.types import Grid, Side, WalletId
from bmvbot.ports.venue import ExecutionReport, OwnOrder

Counts = tuple[tuple[str, int], ...]
"""A frozen count per key (reason, guard), sorted by key."""


def freeze_counts(counts: Mapping[str, int]) -> Counts:
    """Return ``counts`` as sorted ``(key, count)`` pairs, zero counts left out."""
    return tuple(sorted((key, value) for key, value in counts.items() if value))


@dataclass(frozen=True, slots=True)
class WalletInventory:
    """What one swarm wallet holds, in native units, and how many orders it rests.

    Attributes:
        wallet: the wallet.
        base_native: base free plus locked in asks.
        quote_native: quote free plus locked in bids.
        base_locked_native: base locked in its resting asks.
        quote_locked_native: quote locked in its resting bids.
        lamports: SOL for fees and tips.
        bid_count: resting bids.
        ask_count: resting asks.
    """

    wallet: WalletId
    base_native: int
    quote_native: int
    base_locked_native: int
    quote_locked_native: int
    lamports: int
    bid_count: int
    ask_count: int


@dataclass(frozen=True, slots=True)
class PnlState:
    """Profit and loss of the swarm's fills since start, in native quote (average cost).

    Attributes:
        position_base_lots: base bought minus base sold, in base lots (signed).
        cost_quote_native: cost basis of that position (negative for a short: proceeds).
        realized_quote_native: gains of the closed part of the position.
        unrealized_quote_native: ``position·mark·quote_lot_size - cost`` at ``mark_price_lots``.
        fees_quote_native: maker and taker fees paid (negative: rebates received).
        mark_price_lots: the mark (mid or last trade) in ticks; None before any.
        bid_fills: fills where a swarm bid was hit (the swarm bought).
        ask_fills: fills where a swarm ask was lifted (the swarm sold).
        bought_base_lots: base bought in total.
        sold_base_lots: base sold in total.
        self_trades: fills with a swarm wallet on both sides (must stay 0).
    """

    position_base_lots: int = 0
    cost_quote_native: int = 0
    realized_quote_native: int = 0
    unrealized_quote_native: int = 0
    fees_quote_native: int = 0
    mark_price_lots: int | None = None
    bid_fills: int = 0
    ask_fills: int = 0
    bought_base_lots: int = 0
    sold_base_lots: int = 0
    self_trades: int = 0

    @property
    def fills(self) -> int:
        """Return the number of swarm fills on both sides."""
        return self.bid_fills + self.ask_fills

    @property
    def total_quote_native(self) -> int:
        """Return realized plus unrealized, net of fees."""
        return self.realized_quote_native + self.unrealized_quote_native - self.fees_quote_native


@dataclass(frozen=True, slots=True)
class ExecutionStats:
    """Counters of the decisions and of what was sent to the venue.

    Attributes:
        ticks: ticks run.
        rebalances: rebalances sent (or decided, when the plan was empty).
        rebalances_by_reason: rebalances per reason (initial, deviation, proximity, entropy,
            repair).
        guard_triggers: guards that fired, held or not, per reason.
        holds_by_reason: fired guards held back, per hold reason (cooldown, no material change).
        bundles_sent: bundles sent.
        bundles_landed: bundles that landed (all of a LANDED report; the landed wallets'
            share of a PARTIAL one).
        transactions: transactions sent.
        partial_rebalances: rebalances that landed in part.
        failed_rebalances: rebalances where nothing landed (or the venue refused).
        mismatches: ticks on which the resting orders differed from the last allocation.
        tips_lamports: Jito tips paid.
        fees_lamports: signature and priority fees paid.
        dropped_orders: post-only orders the venue did not post because they would have crossed.
        swarm_crossed_orders: those of them that crossed a swarm order (a replacement out of
            order: must stay 0); the others crossed outside orders that moved meanwhile.
        orders_placed: orders of landed steps that the venue rested (those it dropped for
            crossing count in ``dropped_orders`` instead).
        orders_cancelled: orders cancelled by a landed step or cancel-all.
        orders_filled: orders filled in full.
        orders_unfunded: orders the program shrank away because their wallet's funds fell
            short when they landed (fills during the landing delay).
        orders_lost: orders that left the book without a fill, cancel or funds shortfall
            (must stay 0).
        orders_adopted: resting orders the service found but had not placed (at start).
            ``placed + adopted = resting + cancelled + filled + unfunded + lost`` at every tick.
        skipped_crossing_levels: target levels left out because they would cross the
            external book (a post-only order there would be dropped).
        unplaced_levels: target levels no wallet could fund or hold, summed over rebalances.
        venue_errors: retryable venue errors met (the tick was skipped or repaired).
    """

    ticks: int = 0
    rebalances: int = 0
    rebalances_by_reason: Counts = ()
    guard_triggers: Counts = ()
    holds_by_reason: Counts = ()
    bundles_sent: int = 0
    bundles_landed: int = 0
    transactions: int = 0
    partial_rebalances: int = 0
    failed_rebalances: int = 0
    mismatches: int = 0
    tips_lamports: int = 0
    fees_lamports: int = 0
    dropped_orders: int = 0
    swarm_crossed_orders: int = 0
    orders_placed: int = 0
    orders_cancelled: int = 0
    orders_filled: int = 0
    orders_unfunded: int = 0
    orders_lost: int = 0
    orders_adopted: int = 0
    skipped_crossing_levels: int = 0
    unplaced_levels: int = 0
    venue_errors: int = 0


@dataclass(frozen=True, slots=True)
class TradingState:
    """One picture of the trading service after a tick.

    Attributes:
        ts_ns: time of the snapshot, UTC ns.
        is_paused: True while the service places nothing.
        pivot_price_lots: the pivot in (fractional) ticks; None when there is none yet.
        market_price_lots: mid of the external book, else the last trade; None before any.
        best_bid_price_lots: best bid of the whole book (swarm included); None when empty.
        best_ask_price_lots: best ask of the whole book; None when empty.
        orders: the swarm's resting orders, bids best first then asks best first.
        wallets: inventory per wallet, in swarm order.
        pnl: profit and loss from fills and the mark.
        execution: decision and execution counters.
        last_reason: the reason of the last tick's decision (``none`` when nothing fired).
        last_detail: its detail line.
        last_rebalance_ns: time of the last rebalance, None before the first.
        needs_repair: True when the next tick must repair a partly landed rebalance.
    """

    ts_ns: int = 0
    is_paused: bool = False
    pivot_price_lots: float | None = None
    market_price_lots: float | None = None
    best_bid_price_lots: int | None = None
    best_ask_price_lots: int | None = None
    orders: tuple[OwnOrder, ...] = ()
    wallets: tuple[WalletInventory, ...] = ()
    pnl: PnlState = PnlState()
    execution: ExecutionStats = ExecutionStats()
    last_reason: str = "none"
    last_detail: str = ""
    last_rebalance_ns: int | None = None
    needs_repair: bool = False

    @property
    def spread_lots(self) -> int | None:
        """Return best ask minus best bid in ticks, None unless both sides have orders."""
        if self.best_bid_price_lots is None or self.best_ask_price_lots is None:
            return None
        return self.best_ask_price_lots - self.best_bid_price_lots

    @property
    def grid(self) -> Grid:
        """Return the resting orders as a grid (bids best first, asks best first)."""
        return Grid(
            tuple(o.level for o in self.orders if o.side is Side.BID),
            tuple(o.level for o in self.orders if o.side is Side.ASK),
        )

    @property
    def is_one_sided(self) -> bool:
        """Return True when orders rest on exactly one side."""
        sides = {order.side for order in self.orders}
        return len(sides) == 1


@dataclass(frozen=True, slots=True)
class TickOutcome:
    """What one tick did.

    Attributes:
        ts_ns: the snapshot's time (the clock's when no snapshot was taken).
        reason: the decision's reason (``none``, a guard, ``repair``, ``paused``, ...).
        detail: one line with the figures behind it.
        report: the venue's report when a plan was executed, else None.
    """

    ts_ns: int
    reason: str
    detail: str
    report: ExecutionReport | None = None

    @property
    def has_executed(self) -> bool:
        """Return True when the tick sent a plan to the venue."""
        return self.report is not None


@dataclass(frozen=True, slots=True)
class TickDecision:
    """What one snapshot leads to (``TradingService.decide``).

    Attributes:
        ts_ns: the snapshot's time.
        reason: a guard, ``repair``, ``none``, ``paused`` or ``no_pivot``.
        detail: one line with the figures behind it.
        pivot_price_lots: the pivot in ticks; None when there is none (or paused).
        target: the target grid; None when none was built.
        plan: the steps to send; None when nothing is to be sent.
        unplaced_levels: target levels no wallet could fund or hold.
    """

    ts_ns: int
    reason: str
    detail: str
    pivot_price_lots: float | None = None
    target: Grid | None = None
    plan: ReplacementPlan | None = None
    unplaced_levels: int = 0
