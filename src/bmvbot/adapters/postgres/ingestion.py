"""Trade ingestion off the trading path: a bounded buffer drained in batches into a TradeStore.

The trading loop calls ``offer`` (never blocks, never drops) or ``put`` (waits for room). A
background task takes up to ``batch_size`` trades, writes them with one ``add_trades`` call
(``COPY`` + ``INSERT ... ON CONFLICT DO NOTHING`` on PostgreSQL) and only then removes them from
the buffer and reports them to ``on_persisted``: a trade is acknowledged once it is committed.

When the store is unreachable (``RetryableStoreError``) the batch stays at the head of the
buffer and is retried with exponential backoff; trading goes on and the buffer grows. Once it
holds ``max_buffered_trades`` the writer says so (one warning) and ``should_stop_quoting``
turns True: the bot must stop quoting rather than make fills it cannot record. Quoting may
resume when the buffer is back under half the bound. A ``FatalStoreError`` stops the writer
with the trades still buffered (``pending``) and is raised by ``run``/``drain``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bmvbot.core.errors import ConfigError, FatalStoreError, RetryableStoreError
from bmvbot.ports.store import TradeRecord, TradeStore

_log = logging.getLogger(__name__)

PersistedCallback = Callable[[Sequence[TradeRecord]], None]


@dataclass(frozen=True, slots=True)
class IngestionParams:
    """Tuning of the ingestion writer.

    Attributes:
        batch_size: most trades per write; default 5,000.
        max_buffered_trades: buffer size at which quoting must stop; default 200,000.
        linger_s: how long a partial batch waits for more trades; default 0.05 s.
        retry_initial_s: first backoff after a failed write; default 0.05 s.
        retry_max_s: longest backoff; default 2 s.
    """

    batch_size: int = 5_000
    max_buffered_trades: int = 200_000
    linger_s: float = 0.05
    retry_initial_s: float = 0.05
    retry_max_s: float = 2.0

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ConfigError(
                f"ingestion.batch_size must be >= 1, was {self.batch_size}",
                key="ingestion.batch_size",
            )
        if self.max_buffered_trades < self.batch_size:
            raise ConfigError(
                f"ingestion.max_buffered_trades must be >= batch_size ({self.batch_size}), "
                f"was {self.max_buffered_trades}",
                key="ingestion.max_buffered_trades",
            )
        if not 0 <= self.linger_s <= 60 or not 0 < self.retry_initial_s <= self.retry_max_s:
            raise ConfigError(
                "ingestion timings must satisfy 0 <= linger_s <= 60 and "
                f"0 < retry_initial_s <= retry_max_s, was linger_s={self.linger_s} "
                f"retry_initial_s={self.retry_initial_s} retry_max_s={self.retry_max_s}",
                key="ingestion",
            )


class TradeIngestor:
    """Buffer trades and write them to ``store`` in batches, surviving store outages."""

    def __init__(
        self,
        store: TradeStore,
        params: IngestionParams | None = None,
        *,
        on_persisted: PersistedCallback | None = None,
    ) -> None:
        self._store = store
        self._params = params or IngestionParams()
        self._on_persisted = on_persisted
        self._buffer: deque[TradeRecord] = deque()
        self._has_data = asyncio.Event()
        self._has_room = asyncio.Event()
        self._has_room.set()
        self._is_idle = asyncio.Event()
        self._is_idle.set()
        self._is_closing = False
        self._is_over_bound = False
        self._is_store_down = False
        self._fatal: FatalStoreError | None = None
        self.persisted_count = 0
        self.added_count = 0

    @property
    def pending(self) -> int:
        """Return how many trades are buffered and not yet committed."""
        return len(self._buffer)

    @property
    def should_stop_quoting(self) -> bool:
        """Return True while the buffer is over its bound or the store refused our data."""
        return self._is_over_bound or self._fatal is not None

    @property
    def is_store_down(self) -> bool:
        """Return True while the last write failed with a retryable error."""
        return self._is_store_down

    def offer(self, trade: TradeRecord) -> None:
        """Buffer one trade without waiting; it is kept even beyond the bound (never dropped)."""
        self._buffer.append(trade)
        self._is_idle.clear()
        self._has_data.set()
        self._update_bound()

    def offer_many(self, trades: Sequence[TradeRecord]) -> None:
        """Buffer several trades without waiting (same rule as ``offer``)."""
        if trades:
            self._buffer.extend(trades)
            self._is_idle.clear()
            self._has_data.set()
            self._update_bound()

    async def put(self, trade: TradeRecord) -> None:
        """Buffer one trade, first waiting while the buffer is at its bound."""
        while len(self._buffer) >= self._params.max_buffered_trades and self._fatal is None:
            self._has_room.clear()
            await self._has_room.wait()
        self.offer(trade)

    def _update_bound(self) -> None:
        size, bound = len(self._buffer), self._params.max_buffered_trades
        if not self._is_over_bound and size >= bound:
            self._is_over_bound = True
            _log.warning(
                "ingestion buffer full pending=%d max_buffered_trades=%d: stop quoting until "
                "the store catches up (no trade is dropped)",
                size,
                bound,
            )
        elif self._is_over_bound and size < bound // 2:
            self._is_over_bound = False
            _log.info("ingestion buffer drained pending=%d: quoting may resume", size)
        if size < bound:
            self._has_room.set()

    async def run(self) -> None:
        """Write batches until ``close`` was called and the buffer is empty.

        Raises:
            FatalStoreError: the store refused a batch (the trades stay in ``pending``).
        """
        delay_s = self._params.retry_initial_s
        while True:
            if not self._buffer:
                self._is_idle.set()
                if self._is_closing:
                    return
                self._has_data.clear()
                await self._has_data.wait()
                continue
            if len(self._buffer) < self._params.batch_size and not self._is_closing:
                await asyncio.sleep(self._params.linger_s)
            if await self._write_batch():
                delay_s = self._params.retry_initial_s
            else:
                await asyncio.sleep(delay_s)
                delay_s = min(delay_s * 2, self._params.retry_max_s)

    async def _write_batch(self) -> bool:
        count = min(len(self._buffer), self._params.batch_size)
        batch = [self._buffer[i] for i in range(count)]
        try:
            added = await self._store.add_trades(batch)
        except RetryableStoreError as error:
            if not self._is_store_down:
                _log.warning("store down, buffering trades pending=%d: %s", self.pending, error)
            self._is_store_down = True
            return False
        except FatalStoreError as error:
            self._fatal = error
            self._is_idle.set()
            self._has_room.set()
            _log.error("store refused trades pending=%d, stop quoting: %s", self.pending, error)
            raise
        for _ in range(count):
            self._buffer.popleft()
        if self._is_store_down:
            _log.info("store back, pending=%d", self.pending)
            self._is_store_down = False
        self.persisted_count += count
        self.added_count += added
        self._update_bound()
        if self._on_persisted is not None:
            self._on_persisted(batch)
        return True

    async def drain(self) -> None:
        """Wait until every trade offered so far is committed.

        Raises:
            FatalStoreError: the writer stopped on a refused batch.
        """
        while True:
            await self._is_idle.wait()
            if self._fatal is not None:
                raise self._fatal
            if not self._buffer:
                return

    def close(self) -> None:
        """Ask ``run`` to return once the buffer is empty."""
        self._is_closing = True
        self._has_data.set()
