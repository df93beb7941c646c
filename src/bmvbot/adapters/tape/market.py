"""Our simulated orders on a tape: the queue-position fill model of tape v1 (``NumpyTapeMarket``).

Each resting order keeps ``leaves`` and ``queue_ahead`` (lots):

- on placement ``queue_ahead`` is the size displayed at its price on its side;
- a book row at its price and side with size Q sets ``queue_ahead = min(queue_ahead, Q)``;
  then an order the book crosses (a bid at or above the best ask, an ask at or below the best
  bid) fills in full;
- a sell print at p fills our bids above p in full; a bid at exactly p loses ``q`` of its
  queue and fills ``min(-queue_ahead, leaves)`` once that goes below zero (mirror for buys).

Every fill is at the order's own price, as maker. The min with book rows is applied lazily,
just before a print at the order's price needs it, so book rows that only move a queue cost
nothing. ``advance`` searches the ``TapeBook`` arrays window by window for the next event that
can fill an order or that the strategy watches, and processes only that event.

Replacement: the orders reach the matching engine after the latency (``ReplayLatency``): the
resting orders stay (and may fill) until then. On arrival, an order whose side, price and
remaining size equal a target level stays in place with its queue position; every other order
is cancelled, and the other target levels are placed post-only against the book after the
arrival event (a level that would cross is rejected and counted).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bmvbot.adapters.tape.book import NO_ASK, NO_BID, TapeBook
from bmvbot.core.types import BaseLots, Grid, L2Snapshot, Level, PriceLots, Side
from bmvbot.ports.tape import (
    ReplayLatency,
    ReplayWatch,
    TapeCounters,
    TapeFill,
    TapeMarket,
    TapeStep,
)

FIRST_WINDOW = 256
"""Events searched at once after a wake; the window doubles up to ``LAST_WINDOW``."""
LAST_WINDOW = 1 << 16

_AT_MOST, _AT_LEAST, _OUTSIDE = 0, 1, 2
# (values, kind, first, second): hit where values <= first, >= first, or outside [first, second]
_Check = tuple[NDArray[np.int64] | NDArray[np.float64], int, float, float]


class _Order:
    __slots__ = ("leaves", "price", "queue_ahead", "side", "synced")

    def __init__(self, side: Side, price: int, leaves: int, queue_ahead: int, synced: int) -> None:
        self.side = side
        self.price = price
        self.leaves = leaves
        self.queue_ahead = queue_ahead
        # the last event whose book rows are already applied to queue_ahead
        self.synced = synced


class NumpyTapeMarket(TapeMarket):
    """The tape's book and our resting orders (see the module docstring)."""

    def __init__(self, book: TapeBook, latency: ReplayLatency) -> None:
        """Start before the first event with no order resting."""
        self._book = book
        self._latency = latency
        columns = book.columns
        self._count = columns.event_count
        self._ts = columns.ts_ns
        self._position = 0
        self._orders: list[_Order] = []
        self._max_bid = NO_BID
        self._min_ask = NO_ASK
        self._resting: Grid | None = Grid()
        self._pending: tuple[Grid, int] | None = None
        self._force: int | None = None
        self._fills: list[TapeFill] = []
        self._trade_cursor = 0
        self._submitted = 0
        self._rejected = 0

    @property
    def event_count(self) -> int:
        """Return the number of events of the tape."""
        return self._count

    @property
    def counters(self) -> TapeCounters:
        """Return the order counters so far."""
        return TapeCounters(self._submitted, self._rejected, len(self._orders))

    def trade_time_ns(self, ordinal: int) -> int:
        """Return the time of the tape's ``ordinal``-th trade."""
        return int(self._ts[self._book.trade_events[ordinal]])

    def book(self, depth: int) -> L2Snapshot:
        """Return the top ``depth`` levels per side after the last processed event."""
        return self._book.snapshot(max(self._position - 1, 0), depth)

    def replace(self, grid: Grid) -> None:
        """Send ``grid`` after the last processed event (see the module docstring)."""
        sent = self._position - 1
        latency = self._latency
        if latency.ns:
            arrival = int(np.searchsorted(self._ts, self._ts[sent] + latency.ns, "right")) - 1
        else:
            arrival = sent + latency.events
        self._pending = (grid, arrival)

    def advance(self, watch: ReplayWatch) -> TapeStep | None:
        """Process events up to the next wake (see ``TapeMarket.advance``)."""
        count = self._count
        while self._position < count:
            if self._pending is not None and self._pending[1] < self._position:
                self._arrive(self._position - 1)
                continue
            start = self._position
            bound = self._bound(start, watch)
            index = self._scan(start, bound, watch)
            has_filled = self._on_event(index)
            self._position = index + 1
            if self._pending is not None and self._pending[1] == index:
                self._arrive(index)
                if index < count - 1:
                    continue
            if has_filled or index == bound or self._is_band_hit(index, watch):
                self._force = None
                return self._step(index)
        if self._pending is not None and self._pending[1] < count:
            # sent while handling the last event: it reaches the book after it
            self._arrive(count - 1)
        return None

    # -- searching ---------------------------------------------------------------------------

    def _bound(self, start: int, watch: ReplayWatch) -> int:
        bound = self._count - 1
        if self._force is not None:
            bound = min(bound, max(self._force, start))
        if self._pending is not None:
            return min(bound, self._pending[1])
        book = self._book
        if watch.is_every_event_watched:
            return start
        if watch.wake_at_ns is not None:
            bound = min(bound, max(start, int(np.searchsorted(self._ts, watch.wake_at_ns))))
        if watch.is_trade_watched:
            bound = min(bound, _next_at_or_after(book.trade_events, start, bound))
        if watch.is_top_watched:
            bound = min(bound, _next_at_or_after(book.top_changes, start, bound))
        return bound

    def _checks(self, watch: ReplayWatch) -> list[_Check]:
        # what can stop the search: our orders' threats, and the watched bands
        book = self._book
        checks: list[_Check] = []
        if self._max_bid != NO_BID:
            checks.append((book.bid_threat, _AT_MOST, self._max_bid, 0.0))
        if self._min_ask != NO_ASK:
            checks.append((book.ask_threat, _AT_LEAST, self._min_ask, 0.0))
        if self._pending is not None:
            return checks
        if watch.market_low_lots is not None:
            checks.append((book.market_price, _AT_MOST, watch.market_low_lots, 0.0))
        if watch.market_high_lots is not None:
            checks.append((book.market_price, _AT_LEAST, watch.market_high_lots, 0.0))
        for values, bounds in (
            (book.best_bid, watch.best_bid_range),
            (book.best_ask, watch.best_ask_range),
        ):
            if bounds is not None:
                checks.append((values, _OUTSIDE, bounds[0], bounds[1]))
        if watch.pivot_range is not None and watch.pivot_window_ns is not None:
            vwap = book.window_vwap(watch.pivot_window_ns)
            if vwap is not None:
                low, high = watch.pivot_range
                checks.append((vwap, _OUTSIDE, low, high))
        return checks

    def _scan(self, start: int, bound: int, watch: ReplayWatch) -> int:
        # the first event in [start, bound] where a check hits, else bound
        checks = self._checks(watch)
        if not checks:
            return bound
        window = FIRST_WINDOW
        low = start
        while low <= bound:
            high = min(bound + 1, low + window)
            hit = np.zeros(high - low, dtype=bool)
            for values, kind, first, second in checks:
                part = values[low:high]
                if kind == _AT_MOST:
                    hit |= part <= first
                elif kind == _AT_LEAST:
                    hit |= part >= first
                else:
                    hit |= ~((part >= first) & (part <= second))
            index = int(np.argmax(hit))
            if hit[index]:
                return low + index
            low = high
            window = min(window * 2, LAST_WINDOW)
        return bound

    def can_watch_pivot(self, window_ns: int) -> bool:
        """Return True when the tape's trade sums fit the pivot watch for ``window_ns``."""
        return self._book.window_vwap(window_ns) is not None

    def _is_band_hit(self, index: int, watch: ReplayWatch) -> bool:
        # a watched band (not an order threat) stops at `index`
        if self._pending is not None:
            return False
        for values, kind, first, second in self._checks(watch):
            if values is self._book.bid_threat or values is self._book.ask_threat:
                continue
            value = values[index]
            if kind == _AT_MOST:
                is_hit = value <= first
            elif kind == _AT_LEAST:
                is_hit = value >= first
            else:
                is_hit = not first <= value <= second
            if is_hit:
                return True
        return False

    # -- matching ----------------------------------------------------------------------------

    def _on_event(self, index: int) -> bool:
        # apply event `index` to our orders; return True when something filled
        if not self._orders:
            return False
        book = self._book
        columns = book.columns
        before = len(self._fills)
        if columns.is_trade[index]:
            side = Side(int(columns.side[index]))
            self._on_print(index, side, int(columns.price_lots[index]))
        else:
            ask, bid = int(book.best_ask[index]), int(book.best_bid[index])
            if ask <= self._max_bid or bid >= self._min_ask:
                for order in list(self._orders):
                    crossed = order.price >= ask if order.side is Side.BID else order.price <= bid
                    if crossed:
                        self._fill(order, order.leaves, index)
        return len(self._fills) > before

    def _on_print(self, index: int, side: Side, price: int) -> None:
        size = int(self._book.columns.size_base_lots[index])
        sign = 1 if side is Side.BID else -1
        for order in list(self._orders):
            if order.side is not side or sign * order.price < sign * price:
                continue
            if order.price != price:
                self._fill(order, order.leaves, index)
                continue
            shown = self._book.minimum_between(side, price, order.synced, index)
            if shown is not None and shown < order.queue_ahead:
                order.queue_ahead = shown
            order.synced = index
            order.queue_ahead -= size
            if order.queue_ahead < 0:
                filled = min(-order.queue_ahead, order.leaves)
                order.queue_ahead = 0
                self._fill(order, filled, index)

    def _fill(self, order: _Order, size: int, index: int) -> None:
        self._fills.append(TapeFill(int(self._ts[index]), order.side, order.price, size))
        order.leaves -= size
        if order.leaves == 0:
            self._orders.remove(order)
        self._changed()

    def _changed(self) -> None:
        bids = [o.price for o in self._orders if o.side is Side.BID]
        asks = [o.price for o in self._orders if o.side is Side.ASK]
        self._max_bid = max(bids, default=NO_BID)
        self._min_ask = min(asks, default=NO_ASK)
        self._resting = None

    def _arrive(self, index: int) -> None:
        # the pending replacement reaches the matching engine after event `index`
        assert self._pending is not None  # noqa: S101 -- only called with a replacement pending
        grid = self._pending[0]
        self._pending = None
        self._force = index + 1
        kept = {(o.side, o.price, o.leaves): o for o in self._orders}
        orders: list[_Order] = []
        new: list[Level] = []
        for level in grid.levels:
            order = kept.pop((level.side, level.price_lots, level.size_base_lots), None)
            if order is None:
                new.append(level)
            else:
                orders.append(order)
        self._submitted += len(new)
        bid, ask = int(self._book.best_bid[index]), int(self._book.best_ask[index])
        accepted = [
            lv
            for lv in new
            if (lv.price_lots < ask if lv.side is Side.BID else lv.price_lots > bid)
        ]
        self._rejected += len(new) - len(accepted)
        displayed_at = self._book.displayed_at
        orders.extend(
            _Order(
                lv.side,
                lv.price_lots,
                lv.size_base_lots,
                displayed_at(lv.side, lv.price_lots, index),
                index,
            )
            for lv in accepted
        )
        self._orders = orders
        self._changed()

    # -- reporting ---------------------------------------------------------------------------

    def _step(self, index: int) -> TapeStep:
        book = self._book
        trades = book.trade_events
        low = self._trade_cursor
        high = int(np.searchsorted(trades, index, "right"))
        self._trade_cursor = high
        rows = trades[low:high]
        columns = book.columns
        fills, self._fills = tuple(self._fills), []
        bid, ask = int(book.best_bid[index]), int(book.best_ask[index])
        return TapeStep(
            index=index,
            ts_ns=int(self._ts[index]),
            best_bid_lots=None if bid == NO_BID else bid,
            best_ask_lots=None if ask == NO_ASK else ask,
            trade_ts_ns=self._ts[rows].tolist(),
            trade_price_lots=columns.price_lots[rows].tolist(),
            trade_size_base_lots=columns.size_base_lots[rows].tolist(),
            fills=fills,
            is_pending=self._pending is not None,
            resting=self._resting_grid(),
        )

    def _resting_grid(self) -> Grid:
        if self._resting is None:
            levels = [
                Level(o.side, PriceLots(o.price), BaseLots(o.leaves))
                for o in sorted(self._orders, key=_book_order)
            ]
            self._resting = Grid(
                bids=tuple(lv for lv in levels if lv.side is Side.BID),
                asks=tuple(lv for lv in levels if lv.side is Side.ASK),
            )
        return self._resting


def _book_order(order: _Order) -> tuple[int, int]:
    # bids best (highest) first, then asks best (lowest) first
    return (order.side, -order.price if order.side is Side.BID else order.price)


def _next_at_or_after(indexes: np.ndarray, start: int, default: int) -> int:
    position = int(np.searchsorted(indexes, start))
    return int(indexes[position]) if position < indexes.size else default
