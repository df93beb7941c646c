"""The tape's L2 book, indexed once with numpy so that a replay can jump between events.

``TapeBook`` derives, for every event, the best bid and ask after it, the market price the
guards see (mid, else the remaining touch, else the last trade) and two "threat" prices: the
lowest price at which the event can fill one of our bids (the best ask, or a sell print) and the
highest at which it can fill an ask. A search over these arrays finds the next event that can
touch our orders without a Python step per event. It also answers "what size is displayed at
(side, price) after event i" for queue positions and snapshots.

Best prices: each book row opens an interval (until the next row at the same side and price)
during which its level is displayed; the best bid after event t is the highest price over the
intervals covering t. That is an offline "range chmax, point query", answered with a sparse
table pushed down level by level: O(n log n) array work, no Python loop over events.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bmvbot.adapters.tape.loader import ASK, BID, TapeColumns
from bmvbot.core.types import BaseLots, BookLevel, L2Snapshot, PriceLots

NO_ASK = 2**62
"""Best ask of an empty ask side (above every price)."""
NO_BID = 0
"""Best bid of an empty bid side (below every price)."""

Ints = NDArray[np.int64]


def _range_max(starts: Ints, ends: Ints, values: Ints, length: int, fill: int) -> Ints:
    # out[t] = max(values[k] for k with starts[k] <= t < ends[k]), else fill. Starts are
    # distinct (one row per event), so level tables are written by plain assignment
    out = np.full(length, fill, dtype=np.int64)
    if starts.size == 0:
        return out
    powers = np.left_shift(1, np.arange(63, dtype=np.int64))
    levels = np.searchsorted(powers, ends - starts, side="right") - 1
    top = int(levels.max())
    order = np.argsort(levels, kind="stable")
    bounds = np.searchsorted(levels[order], np.arange(top + 2))
    parent: Ints | None = None
    for level in range(top, -1, -1):
        table = np.full(length, fill, dtype=np.int64)
        chosen = order[bounds[level] : bounds[level + 1]]
        if chosen.size:
            s, e, v = starts[chosen], ends[chosen], values[chosen]
            table[s] = v
            anchored = e - (1 << level)
            at_end = e == length
            # intervals open until the end share their anchor: combine those with maximum.at
            np.maximum.at(table, anchored[at_end], v[at_end])
            inner, inner_values = anchored[~at_end], v[~at_end]
            table[inner] = np.maximum(table[inner], inner_values)
        if parent is not None:
            half = 1 << level
            span = length - 2 * half + 1
            if span > 0:
                np.maximum(table[:span], parent[:span], out=table[:span])
                np.maximum(table[half : half + span], parent[:span], out=table[half : half + span])
        parent = table
    return parent if parent is not None else out


class TapeBook:
    """Per-event arrays of the tape's book (see the module docstring).

    Attributes:
        columns: the tape.
        best_bid: best bid after each event, ``NO_BID`` when the side is empty.
        best_ask: best ask after each event, ``NO_ASK`` when the side is empty.
        market_price: the market price the trading loop uses after each event: the mid, else
            the remaining touch, else the last trade's price, else NaN.
        bid_threat: the lowest price at which the event can fill our bids.
        ask_threat: the highest price at which the event can fill our asks.
        trade_events: indexes of the trade rows.
        top_changes: indexes where the best bid or ask differs from the event before.
    """

    def __init__(self, columns: TapeColumns) -> None:
        """Index ``columns`` (array work only)."""
        self.columns = columns
        count = columns.event_count
        self._count = count
        book_rows = np.flatnonzero(~columns.is_trade)
        keys = columns.price_lots[book_rows] * 2 + columns.side[book_rows]
        order = _key_order(keys)
        self._keys = keys[order]
        self._events = book_rows[order]
        self._sizes = columns.size_base_lots[book_rows][order]
        is_first = np.empty(order.size, dtype=bool)
        is_first[:1] = True
        is_first[1:] = self._keys[1:] != self._keys[:-1]
        self._group_start = np.flatnonzero(is_first)
        self._group_keys = self._keys[self._group_start]
        group = np.cumsum(is_first) - 1
        self._composite = group * (count + 1) + self._events
        following = np.full(order.size, count, dtype=np.int64)
        following[:-1] = np.where(is_first[1:], count, self._events[1:])
        self.best_bid = self._best(BID, following, NO_BID)
        self.best_ask = -self._best(ASK, following, -NO_ASK)
        # only the lookups' arrays stay (memory: a 5-million-row tape keeps ~1 GB in all)
        del self._keys, self._events, following
        self.market_price = self._market_price()
        is_trade, side, price = columns.is_trade, columns.side, columns.price_lots
        self.bid_threat = np.minimum(
            self.best_ask, np.where(is_trade & (side == BID), price, NO_ASK)
        )
        self.ask_threat = np.maximum(
            self.best_bid, np.where(is_trade & (side == ASK), price, NO_BID)
        )
        self.trade_events = np.flatnonzero(is_trade)
        changed = np.empty(count, dtype=bool)
        changed[:1] = True
        changed[1:] = (self.best_bid[1:] != self.best_bid[:-1]) | (
            self.best_ask[1:] != self.best_ask[:-1]
        )
        self.top_changes = np.flatnonzero(changed)
        self._vwaps: dict[int, NDArray[np.float64] | None] = {}

    def _best(self, side: int, following: Ints, fill: int) -> Ints:
        # the side's best price after each of its own rows, then carried to every event
        columns = self.columns
        is_row = ~columns.is_trade & (columns.side == side)
        # local[e]: the side's row number of event e (rows before it - 1); local[count]: end
        local = np.empty(self._count + 1, dtype=np.int64)
        np.cumsum(is_row, out=local[:-1])
        row_count = int(local[-2]) if self._count else 0
        local[:-1] -= 1
        local[-1] = row_count
        mine = (self._keys & 1) == side
        alive = mine & (self._sizes > 0)
        sign = 1 if side == BID else -1
        per_row = _range_max(
            local[self._events[alive]],
            local[following[alive]],
            sign * (self._keys[alive] >> 1),
            row_count,
            fill,
        )
        last_row = local[:-1]
        return np.where(last_row >= 0, per_row[np.maximum(last_row, 0)], fill)

    def _market_price(self) -> NDArray[np.float64]:
        bid, ask = self.best_bid, self.best_ask
        has_mid = (bid != NO_BID) & (ask != NO_ASK)
        columns = self.columns
        last = np.maximum.accumulate(
            np.where(columns.is_trade, np.arange(self._count), -1), dtype=np.int64
        )
        last_price = np.where(
            last >= 0, columns.price_lots[np.maximum(last, 0)].astype(np.float64), np.nan
        )
        touch = np.where(bid != NO_BID, bid, ask).astype(np.float64)
        fallback = np.where((bid != NO_BID) | (ask != NO_ASK), touch, last_price)
        return np.where(has_mid, (bid + ask) / 2.0, fallback)

    def window_vwap(self, window_ns: int) -> NDArray[np.float64] | None:
        """Return the VWAP of the trades in ``(ts - window_ns, ts]`` after each event.

        ``Σ price·size / Σ size`` (NaN with no trade); None when the sums could overflow int64.
        The sums are exact integers (prefix sums), so each value is the exact ratio rounded
        once; the replay uses it only to decide when to ask the ``PivotEngine``.
        """
        cached = self._vwaps.get(window_ns)
        if cached is not None or window_ns in self._vwaps:
            return cached
        columns = self.columns
        rows = self.trade_events
        price_volume = columns.price_lots[rows] * columns.size_base_lots[rows]
        if (
            float(columns.price_lots[rows].astype(np.float64) @ columns.size_base_lots[rows])
            > 2**61
        ):
            self._vwaps[window_ns] = None
            return None
        sums_pv = np.zeros(rows.size + 1, dtype=np.int64)
        sums_v = np.zeros(rows.size + 1, dtype=np.int64)
        np.cumsum(price_volume, out=sums_pv[1:])
        np.cumsum(columns.size_base_lots[rows], out=sums_v[1:])
        newest = np.cumsum(columns.is_trade)
        trade_ts = columns.ts_ns[rows]
        oldest = np.searchsorted(trade_ts, columns.ts_ns - window_ns, side="right")
        volume = sums_v[newest] - sums_v[oldest]
        with np.errstate(invalid="ignore", divide="ignore"):
            vwap = (sums_pv[newest] - sums_pv[oldest]) / volume.astype(np.float64)
        vwap[volume == 0] = np.nan
        self._vwaps[window_ns] = vwap
        return vwap

    def displayed(self, side: int, prices: Ints, event: int) -> Ints:
        """Return the size displayed at each of ``prices`` on ``side`` after ``event``."""
        keys = prices * 2 + side
        group = np.searchsorted(self._group_keys, keys)
        found = group < self._group_keys.size
        found[found] = self._group_keys[group[found]] == keys[found]
        group = np.where(found, group, 0)
        position = np.searchsorted(self._composite, group * (self._count + 1) + event, "right") - 1
        found &= position >= self._group_start[group]
        return np.where(found, self._sizes[np.maximum(position, 0)], 0)

    def displayed_at(self, side: int, price: int, event: int) -> int:
        """Return the size displayed at (side, price) after ``event`` (one price, scalar path)."""
        key = price * 2 + side
        group = int(self._group_keys.searchsorted(key))
        if group >= self._group_keys.size or self._group_keys[group] != key:
            return 0
        position = int(self._composite.searchsorted(group * (self._count + 1) + event, "right"))
        if position <= self._group_start[group]:
            return 0
        return int(self._sizes[position - 1])

    def minimum_between(self, side: int, price: int, after: int, before: int) -> int | None:
        """Return the smallest size shown at (side, price) by book rows in (after, before)."""
        key = price * 2 + side
        group = int(np.searchsorted(self._group_keys, key))
        if group >= self._group_keys.size or self._group_keys[group] != key:
            return None
        base = group * (self._count + 1)
        low = int(np.searchsorted(self._composite, base + after, "right"))
        high = int(np.searchsorted(self._composite, base + before, "left"))
        return int(self._sizes[low:high].min()) if high > low else None

    def snapshot(self, event: int, depth: int) -> L2Snapshot:
        """Return the top ``depth`` levels per side after ``event``."""
        if depth == 1:
            return self._top_snapshot(event)
        count = self._count
        groups = np.arange(self._group_keys.size)
        position = np.searchsorted(self._composite, groups * (count + 1) + event, "right") - 1
        valid = position >= self._group_start
        sizes = np.where(valid, self._sizes[np.maximum(position, 0)], 0)
        keys = self._group_keys[sizes > 0]
        sizes = sizes[sizes > 0]
        bid_keys = keys & 1 == BID
        bids = _levels(keys[bid_keys] >> 1, sizes[bid_keys], depth, is_descending=True)
        asks = _levels(keys[~bid_keys] >> 1, sizes[~bid_keys], depth, is_descending=False)
        return L2Snapshot(bids=bids, asks=asks)

    def _top_snapshot(self, event: int) -> L2Snapshot:
        bid, ask = int(self.best_bid[event]), int(self.best_ask[event])
        bids: tuple[BookLevel, ...] = ()
        asks: tuple[BookLevel, ...] = ()
        if bid != NO_BID:
            bids = (BookLevel(PriceLots(bid), BaseLots(self.displayed_at(BID, bid, event))),)
        if ask != NO_ASK:
            asks = (BookLevel(PriceLots(ask), BaseLots(self.displayed_at(ASK, ask, event))),)
        return L2Snapshot(bids=bids, asks=asks)


def _levels(prices: Ints, sizes: Ints, depth: int, *, is_descending: bool) -> tuple[BookLevel, ...]:
    order = np.argsort(-prices if is_descending else prices)[:depth]
    return tuple(
        BookLevel(PriceLots(int(p)), BaseLots(int(s)))
        for p, s in zip(prices[order], sizes[order], strict=True)
    )


def _key_order(keys: Ints) -> NDArray[np.intp]:
    # stable order by key (rows of one level stay in time order); a narrow key range is
    # shifted into 16 bits, where numpy's stable sort is a radix sort
    if keys.size == 0:
        return np.zeros(0, dtype=np.intp)
    low = int(keys.min())
    if int(keys.max()) - low < 1 << 16:
        return np.argsort((keys - low).astype(np.uint16), kind="stable")
    return np.argsort(keys, kind="stable")
