"""In-memory stores: the same contract as PostgreSQL, kept in dictionaries.

The Simulation Lab runs on these so a scenario needs no database. They follow the PostgreSQL
semantics exactly (deduplication by trade key, microsecond timestamps, candle tie-breaking), which
the contract suite in ``tests/contract/test_store_contract.py`` checks over both.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bmvbot.core.errors import FatalStoreError
from bmvbot.core.types import Grid, WalletId
from bmvbot.ports.store import (
    MINUTE_NS,
    TS_RESOLUTION_NS,
    BotStateStore,
    Candle,
    ConfigVersionRecord,
    ConfigVersionStore,
    LatencySample,
    LatencyStore,
    PivotBucket,
    PivotInputs,
    PivotTrade,
    PriceHistoryStore,
    RebalanceRecord,
    RebalanceStore,
    Stores,
    TradeCursor,
    TradeKey,
    TradePage,
    TradeRecord,
    TradeStore,
    WalletRecord,
    WalletStore,
    check_limit,
    floor_ts_ns,
    pivot_window,
)


@dataclass(slots=True)
class _CandleState:
    open_ts_ns: int
    close_ts_ns: int
    candle: Candle


class MemoryPriceHistoryStore(PriceHistoryStore):
    """Candles kept per (market, minute) and updated trade by trade."""

    def __init__(self) -> None:
        self._candles: dict[tuple[str, int], _CandleState] = {}

    def apply(self, trade: TradeRecord) -> None:
        """Fold one newly stored trade into its minute's candle."""
        minute_ns = trade.ts_ns - trade.ts_ns % MINUTE_NS
        state = self._candles.get((trade.market, minute_ns))
        price, size = trade.price_lots, trade.size_base_lots
        if state is None:
            candle = Candle(
                trade.market, minute_ns, price, price, price, price, size, price * size, 1
            )
            self._candles[(trade.market, minute_ns)] = _CandleState(
                trade.ts_ns, trade.ts_ns, candle
            )
            return
        old = state.candle
        # earliest trade opens the minute (first stored wins a tie), latest closes it (last wins)
        is_new_open = trade.ts_ns < state.open_ts_ns
        is_new_close = trade.ts_ns >= state.close_ts_ns
        state.candle = replace(
            old,
            open_price_lots=price if is_new_open else old.open_price_lots,
            high_price_lots=max(old.high_price_lots, price),
            low_price_lots=min(old.low_price_lots, price),
            close_price_lots=price if is_new_close else old.close_price_lots,
            volume_base_lots=old.volume_base_lots + size,
            quote_volume_lots=old.quote_volume_lots + price * size,
            trade_count=old.trade_count + 1,
        )
        state.open_ts_ns = min(state.open_ts_ns, trade.ts_ns)
        state.close_ts_ns = max(state.close_ts_ns, trade.ts_ns)

    async def candles(self, market: str, start_ns: int, end_ns: int) -> list[Candle]:
        found = [
            state.candle
            for (candle_market, minute_ns), state in self._candles.items()
            if candle_market == market and start_ns <= minute_ns < end_ns
        ]
        return sorted(found, key=lambda candle: candle.minute_start_ns)


class MemoryTradeStore(TradeStore):
    """Trades in a dictionary by key, with a per-market time index."""

    def __init__(self, prices: MemoryPriceHistoryStore) -> None:
        self._prices = prices
        self._by_key: dict[TradeKey, TradeRecord] = {}
        self._index: dict[str, list[tuple[int, int, TradeKey]]] = {}
        self._next_id = 0

    async def add_trades(self, trades: Sequence[TradeRecord]) -> int:
        added = 0
        for trade in trades:
            if trade.key in self._by_key:
                continue
            stored = replace(trade, ts_ns=floor_ts_ns(trade.ts_ns))
            self._by_key[stored.key] = stored
            self._next_id += 1
            bisect.insort(
                self._index.setdefault(stored.market, []), (stored.ts_ns, self._next_id, stored.key)
            )
            self._prices.apply(stored)
            added += 1
        return added

    def _window(self, market: str, start_ns: int, end_ns: int) -> list[TradeRecord]:
        index = self._index.get(market, [])
        low = bisect.bisect_left(index, (start_ns,))
        high = bisect.bisect_left(index, (end_ns,))
        return [self._by_key[key] for _, _, key in index[low:high]]

    async def trades(self, market: str, start_ns: int, end_ns: int) -> list[TradeRecord]:
        return sorted(self._window(market, start_ns, end_ns), key=lambda t: (t.ts_ns, t.key))

    async def trades_page(
        self,
        market: str,
        start_ns: int,
        end_ns: int,
        *,
        limit: int,
        after: TradeCursor | None = None,
        is_newest_first: bool = False,
    ) -> TradePage:
        check_limit(limit)
        index = self._index.get(market, [])
        low = bisect.bisect_left(index, (start_ns,))
        high = bisect.bisect_left(index, (end_ns,))
        rows = index[low:high]
        if is_newest_first:
            rows = rows[::-1]
        if after is not None:
            mark = (after.ts_ns, after.row_id)
            rows = [
                r for r in rows if ((r[0], r[1]) < mark if is_newest_first else (r[0], r[1]) > mark)
            ]
        page = rows[:limit]
        last = page[-1] if len(page) == limit and page else None
        cursor = None if last is None else TradeCursor(last[0], last[1])
        return TradePage(tuple(self._by_key[key] for _, _, key in page), cursor)

    async def pivot_inputs(
        self, market: str, now_ns: int, lookback_ns: int, dedup_window_ns: int
    ) -> PivotInputs:
        start_ns, through_ns = pivot_window(now_ns, lookback_ns, dedup_window_ns)
        # the window is start < ts <= now; _window takes [low, high) on microsecond times
        window = self._window(market, floor_ts_ns(start_ns) + TS_RESOLUTION_NS, now_ns + 1)
        buckets: dict[int, PivotBucket] = {}
        recent: list[PivotTrade] = []
        for trade in window:
            size, price = trade.size_base_lots, trade.price_lots
            if trade.ts_ns > through_ns:
                recent.append(PivotTrade(trade.ts_ns, price, size, trade.key))
                continue
            minute_ns = trade.ts_ns - trade.ts_ns % MINUTE_NS
            old = buckets.get(minute_ns)
            if old is None:
                buckets[minute_ns] = PivotBucket(minute_ns, size, price * size, 1, trade.ts_ns)
            else:
                buckets[minute_ns] = PivotBucket(
                    minute_ns,
                    old.volume_base_lots + size,
                    old.quote_volume_lots + price * size,
                    old.trade_count + 1,
                    max(old.last_ts_ns, trade.ts_ns),
                )
        ordered = tuple(buckets[minute] for minute in sorted(buckets))
        recent.sort(key=lambda t: (t.ts_ns, t.key))
        return PivotInputs(market, start_ns, through_ns, now_ns, ordered, tuple(recent))


class MemoryLatencyStore(LatencyStore):
    """Latency samples in a list."""

    def __init__(self) -> None:
        self._samples: list[LatencySample] = []

    async def add_latency_samples(self, samples: Sequence[LatencySample]) -> None:
        self._samples.extend(replace(s, ts_ns=floor_ts_ns(s.ts_ns)) for s in samples)

    async def latency_samples(
        self, component: str, start_ns: int, end_ns: int
    ) -> list[LatencySample]:
        found = [
            s for s in self._samples if s.component == component and start_ns <= s.ts_ns < end_ns
        ]
        return sorted(found, key=lambda s: s.ts_ns)


class MemoryWalletStore(WalletStore):
    """Wallets by public key; labels unique."""

    def __init__(self) -> None:
        self._wallets: dict[WalletId, WalletRecord] = {}

    async def add_wallets(self, wallets: Sequence[WalletRecord]) -> None:
        labels = {w.label for w in self._wallets.values()}
        seen: set[WalletId] = set()
        for wallet in wallets:
            if wallet.pubkey in self._wallets or wallet.pubkey in seen:
                raise FatalStoreError(f"wallet {wallet.pubkey} is already stored")
            if wallet.label in labels:
                raise FatalStoreError(f"wallet label {wallet.label!r} is already used")
            seen.add(wallet.pubkey)
            labels.add(wallet.label)
        for wallet in wallets:
            self._wallets[wallet.pubkey] = replace(
                wallet, created_ns=floor_ts_ns(wallet.created_ns)
            )

    async def wallets(self, *, include_disabled: bool = True) -> list[WalletRecord]:
        found = [w for w in self._wallets.values() if include_disabled or not w.is_disabled]
        return sorted(found, key=lambda w: (w.created_ns, w.label))

    async def wallet(self, pubkey: WalletId) -> WalletRecord:
        try:
            return self._wallets[pubkey]
        except KeyError:
            raise FatalStoreError(f"wallet {pubkey} is not stored") from None

    async def disable_wallet(self, pubkey: WalletId, now_ns: int) -> None:
        wallet = await self.wallet(pubkey)
        self._wallets[pubkey] = replace(wallet, disabled_ns=floor_ts_ns(now_ns))


class MemoryRebalanceStore(RebalanceStore):
    """Rebalances in a list, in insertion order."""

    def __init__(self) -> None:
        self._rebalances: list[RebalanceRecord] = []

    async def add_rebalance(self, rebalance: RebalanceRecord) -> None:
        self._rebalances.append(replace(rebalance, ts_ns=floor_ts_ns(rebalance.ts_ns)))

    async def rebalances(self, market: str, start_ns: int, end_ns: int) -> list[RebalanceRecord]:
        found = [r for r in self._rebalances if r.market == market and start_ns <= r.ts_ns < end_ns]
        return sorted(found, key=lambda r: r.ts_ns)

    async def last_rebalance(self, market: str) -> RebalanceRecord | None:
        found = [r for r in self._rebalances if r.market == market]
        # the latest time wins; among equal times the one stored last
        return max(reversed(found), key=lambda r: r.ts_ns, default=None)


class MemoryConfigVersionStore(ConfigVersionStore):
    """Configuration versions in a list."""

    def __init__(self) -> None:
        self._versions: list[ConfigVersionRecord] = []

    async def add_config_version(self, version: ConfigVersionRecord) -> None:
        self._versions.append(replace(version, ts_ns=floor_ts_ns(version.ts_ns)))

    async def config_versions(self, limit: int) -> list[ConfigVersionRecord]:
        check_limit(limit)
        ordered = sorted(enumerate(self._versions), key=lambda p: (p[1].ts_ns, p[0]), reverse=True)
        return [version for _, version in ordered[:limit]]


class MemoryBotStateStore(BotStateStore):
    """Key-value state in dictionaries."""

    def __init__(self) -> None:
        self._grids: dict[str, Grid] = {}
        self._values: dict[str, str] = {}

    async def save_grid(self, market: str, grid: Grid, now_ns: int) -> None:
        self._grids[market] = grid

    async def load_grid(self, market: str) -> Grid | None:
        return self._grids.get(market)

    async def put_state(self, key: str, value_json: str, now_ns: int) -> None:
        try:
            json.loads(value_json)
        except ValueError as error:
            raise FatalStoreError(f"state key={key} must be a JSON document ({error})") from error
        self._values[key] = value_json

    async def get_state(self, key: str) -> str | None:
        return self._values.get(key)


def memory_stores() -> Stores:
    """Return a fresh, empty set of in-memory stores."""
    prices = MemoryPriceHistoryStore()
    return Stores(
        trades=MemoryTradeStore(prices),
        prices=prices,
        latency=MemoryLatencyStore(),
        wallets=MemoryWalletStore(),
        rebalances=MemoryRebalanceStore(),
        config_versions=MemoryConfigVersionStore(),
        state=MemoryBotStateStore(),
    )
