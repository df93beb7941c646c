"""Recording trades and rebalances to the store, off the trading path.

The trading loop hands records to ``TradingJournal`` without waiting (``add_trades``,
``add_rebalance`` only append to a bounded buffer); ``run`` writes them in batches from its own
task and retries while the store is unreachable. When the buffer is full the oldest records are
dropped and counted, so a slow or absent database never slows trading.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Iterable

from bmvbot.core.errors import RetryableStoreError
from bmvbot.core.types import Grid, MarketSpec
from bmvbot.ports.store import RebalanceRecord, RebalanceStore, TradeRecord, TradeStore
from bmvbot.ports.venue import ExecutionReport, MarketTrade

_log = logging.getLogger("bmvbot.journal")

DEFAULT_CAPACITY = 100_000
"""Records kept waiting at most before the oldest are dropped."""
BATCH_SIZE = 5_000
"""Trades written per store call at most."""


def trade_record(trade: MarketTrade, market: str, spec: MarketSpec) -> TradeRecord:
    """Return the store's record of one market trade (our side for a swarm fill)."""
    is_maker = trade.maker_wallet is not None
    wallet = trade.maker_wallet if is_maker else trade.taker_wallet
    side = trade.taker_side.opposite if is_maker else trade.taker_side
    fee = trade.maker_fee_native if is_maker else trade.taker_fee_native
    return TradeRecord(
        market=market,
        tx_signature=trade.trade_id.signature,
        # a fill known by its venue id has no event sequence: it is the only fill of its id
        event_seq=max(trade.trade_id.event_seq, 0),
        ts_ns=trade.ts_ns,
        side=side,
        price_lots=trade.price_lots,
        size_base_lots=trade.size_base_lots,
        base_native=trade.size_base_lots * spec.base_lot_size,
        quote_native=spec.quote_native(trade.price_lots, trade.size_base_lots),
        fee_quote_native=fee if wallet is not None else 0,
        is_maker=is_maker,
        wallet=wallet,
    )


class TradingJournal:
    """Buffer trades and rebalances and write them to the stores from a background task."""

    def __init__(
        self,
        trades: TradeStore,
        rebalances: RebalanceStore,
        market: str,
        spec: MarketSpec,
        *,
        capacity: int = DEFAULT_CAPACITY,
        retry_s: float = 1.0,
    ) -> None:
        """Create a journal for ``market`` (the key its records are stored under)."""
        self._trades_store = trades
        self._rebalance_store = rebalances
        self._market = market
        self._spec = spec
        self._trades: deque[TradeRecord] = deque()
        self._rebalances: deque[RebalanceRecord] = deque()
        self._capacity = capacity
        self._retry_s = retry_s
        self._wakeup = asyncio.Event()
        self._is_closing = False
        self.dropped_records = 0
        self.written_trades = 0
        self.written_rebalances = 0

    @property
    def pending(self) -> int:
        """Return the records waiting to be written."""
        return len(self._trades) + len(self._rebalances)

    def add_trades(self, trades: Iterable[MarketTrade]) -> None:
        """Queue every trade (swarm fills and public trades) without waiting."""
        for trade in trades:
            self._trades.append(trade_record(trade, self._market, self._spec))
        self._trim()

    def add_rebalance(
        self,
        ts_ns: int,
        reason: str,
        pivot_lots: float,
        target: Grid,
        report: ExecutionReport | None,
    ) -> None:
        """Queue one rebalance (``report`` None: the venue refused it or was unreachable)."""
        self._rebalances.append(
            RebalanceRecord(
                market=self._market,
                ts_ns=ts_ns,
                reason=reason,
                pivot_price_lots=pivot_lots,
                target_grid=target,
                bundle_ids=() if report is None else report.bundle_ids,
                landing_result="not_sent" if report is None else report.status.value,
                tips_lamports=0 if report is None else report.tips_lamports,
                fees_lamports=0 if report is None else report.fees_lamports,
            )
        )
        self._trim()

    def _trim(self) -> None:
        while self.pending > self._capacity:
            queue = self._trades if self._trades else self._rebalances
            queue.popleft()
            self.dropped_records += 1
        self._wakeup.set()

    async def flush(self) -> None:
        """Write everything queued now.

        Raises:
            StoreError: the store failed (records not written stay queued).
        """
        while self._trades:
            batch = [self._trades[i] for i in range(min(BATCH_SIZE, len(self._trades)))]
            await self._trades_store.add_trades(batch)
            for _ in batch:
                self._trades.popleft()
            self.written_trades += len(batch)
        while self._rebalances:
            await self._rebalance_store.add_rebalance(self._rebalances[0])
            self._rebalances.popleft()
            self.written_rebalances += 1

    async def run(self) -> None:
        """Write queued records as they come; retry while the store is down.

        Returns once ``close`` was called and everything queued is written (cancel it to give
        up on a store that stays down).

        Raises:
            FatalStoreError: the store refuses the data.
        """
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            try:
                await self.flush()
            except RetryableStoreError as error:
                _log.warning("store unreachable, will retry", extra={"error": str(error)})
                await asyncio.sleep(self._retry_s)
                self._wakeup.set()
                continue
            if self._is_closing and not self.pending:
                return

    def close(self) -> None:
        """Ask ``run`` to return once everything queued is written."""
        self._is_closing = True
        self._wakeup.set()
