"""The store ports: trades, price history, latency, wallets, rebalances, config versions, state.

Every method is async and every amount is an integer (native units or market lots). Times are UTC
integer nanoseconds (``ts_ns``); stores keep them to the microsecond (``TS_RESOLUTION_NS``), so a
value read back equals the value written floored to a whole microsecond. Implementations raise
``RetryableStoreError`` when the store is unreachable for now and ``FatalStoreError`` when it
refuses the data or is misconfigured; nothing foreign escapes them.

One module for the seven store ports and their value types (about 500 lines): they are
implemented together by each backend and handed out together as ``Stores``.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from bmvbot.core.errors import InvariantError
from bmvbot.core.pivot import Trade, TradeBucket, TradeHistory, TradeId
from bmvbot.core.types import Grid, Side, WalletId

TS_RESOLUTION_NS = 1_000
"""Stores keep timestamps to the microsecond (PostgreSQL ``timestamptz``)."""
MINUTE_NS = 60_000_000_000


def check_limit(limit: int) -> None:
    """Raise ``InvariantError`` unless ``limit`` is a count a store can serve (0..1,000,000)."""
    if not 0 <= limit <= 1_000_000:
        raise InvariantError(f"limit must be 0..1000000, was {limit}")


def floor_ts_ns(ts_ns: int, resolution_ns: int = TS_RESOLUTION_NS) -> int:
    """Return ``ts_ns`` floored to a multiple of ``resolution_ns`` (the stored precision)."""
    return ts_ns - ts_ns % resolution_ns


@dataclass(frozen=True, slots=True, order=True)
class TradeKey:
    """The identity of one trade: market, transaction signature and event sequence number.

    Two sources (websocket and RPC poll, live stream and warm start) that see the same fill
    produce the same key; stores keep one row per key.
    """

    market: str
    tx_signature: str
    event_seq: int


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """One fill: ours (``wallet`` set) or the market's public tape (``wallet`` None).

    Attributes:
        market: market public key (base58).
        tx_signature: signature of the transaction that emitted the fill event.
        event_seq: the event's sequence number (``FillLog.seq_num``), >= 0.
        ts_ns: trade time, UTC ns.
        side: the side of ``wallet`` for our fills; the aggressor's side for external trades.
        price_lots: price in ticks (> 0).
        size_base_lots: size in base lots (> 0).
        base_native: size in native base units (``size_base_lots * base_lot_size``).
        quote_native: traded value in native quote units (``price * size * quote_lot_size``).
        fee_quote_native: fee paid in native quote units; negative for a maker rebate.
        is_maker: True when ``wallet`` was the maker (always False for external trades).
        wallet: the swarm wallet that traded, or None for an external trade.
    """

    market: str
    tx_signature: str
    event_seq: int
    ts_ns: int
    side: Side
    price_lots: int
    size_base_lots: int
    base_native: int
    quote_native: int
    fee_quote_native: int = 0
    is_maker: bool = False
    wallet: WalletId | None = None

    def __post_init__(self) -> None:
        if self.price_lots <= 0 or self.size_base_lots <= 0:
            raise InvariantError(
                f"a trade needs a positive price and size, was price_lots={self.price_lots} "
                f"size_base_lots={self.size_base_lots} tx_signature={self.tx_signature}"
            )
        if self.event_seq < 0 or self.base_native < 0 or self.quote_native < 0:
            raise InvariantError(
                f"a trade needs non-negative event_seq and native amounts, was "
                f"event_seq={self.event_seq} base_native={self.base_native} "
                f"quote_native={self.quote_native} tx_signature={self.tx_signature}"
            )
        if not self.market or not self.tx_signature:
            raise InvariantError(
                f"a trade needs a market and a tx_signature, was market={self.market!r} "
                f"tx_signature={self.tx_signature!r}"
            )

    @property
    def key(self) -> TradeKey:
        """Return the deduplication key of this trade."""
        return TradeKey(self.market, self.tx_signature, self.event_seq)


@dataclass(frozen=True, slots=True)
class Candle:
    """One minute of trades of one market: OHLC in ticks, volume and VWAP sums (spec 7).

    Attributes:
        market: market public key.
        minute_start_ns: start of the minute, UTC ns (a multiple of 60 s).
        open_price_lots: price of the earliest trade of the minute (ties: first stored).
        high_price_lots: highest price.
        low_price_lots: lowest price.
        close_price_lots: price of the latest trade (ties: last stored).
        volume_base_lots: sum of sizes.
        quote_volume_lots: sum of price_lots * size_base_lots (the VWAP numerator).
        trade_count: number of trades.
    """

    market: str
    minute_start_ns: int
    open_price_lots: int
    high_price_lots: int
    low_price_lots: int
    close_price_lots: int
    volume_base_lots: int
    quote_volume_lots: int
    trade_count: int

    @property
    def vwap_price_lots(self) -> float:
        """Return the volume-weighted price in (fractional) ticks: quote_volume / volume."""
        return self.quote_volume_lots / self.volume_base_lots


@dataclass(frozen=True, slots=True)
class PivotBucket:
    """Stored trades of one minute, summed for the pivot (spec 2.1).

    Attributes:
        minute_start_ns: start of the minute, UTC ns.
        volume_base_lots: sum of sizes.
        quote_volume_lots: sum of price_lots * size_base_lots.
        trade_count: number of trades.
        last_ts_ns: time of the newest trade; the bucket ages out of the window by it.
    """

    minute_start_ns: int
    volume_base_lots: int
    quote_volume_lots: int
    trade_count: int
    last_ts_ns: int


@dataclass(frozen=True, slots=True)
class PivotTrade:
    """One stored trade newer than the aggregated part of a warm start, with its identity."""

    ts_ns: int
    price_lots: int
    size_base_lots: int
    key: TradeKey


@dataclass(frozen=True, slots=True)
class PivotInputs:
    """What a warm start needs to rebuild the pivot (spec 2.1) from stored trades.

    The window is ``start_ns < ts <= end_ns`` (``start_ns = now - lookback``, ``end_ns = now``),
    as the PivotEngine counts it. Trades up to ``aggregated_through_ns`` (``now - dedup
    window``, never before ``start_ns``) come summed per minute; later ones come one by one with
    their keys so live events overlapping them can be recognised and dropped.

    Attributes:
        market: market public key.
        start_ns: window start (exclusive), UTC ns.
        aggregated_through_ns: last instant covered by ``buckets`` (inclusive), UTC ns.
        end_ns: window end (inclusive), UTC ns.
        buckets: per-minute sums of ``start_ns < ts <= aggregated_through_ns``, oldest first.
        recent_trades: trades of ``aggregated_through_ns < ts <= end_ns``, by time then key.
    """

    market: str
    start_ns: int
    aggregated_through_ns: int
    end_ns: int
    buckets: tuple[PivotBucket, ...]
    recent_trades: tuple[PivotTrade, ...]

    @property
    def recent_keys(self) -> frozenset[TradeKey]:
        """Return the keys of the recent trades (the live-stream deduplication set)."""
        return frozenset(trade.key for trade in self.recent_trades)

    @property
    def volume_base_lots(self) -> int:
        """Return the total volume of the window in base lots."""
        recent = sum(trade.size_base_lots for trade in self.recent_trades)
        return sum(bucket.volume_base_lots for bucket in self.buckets) + recent

    @property
    def quote_volume_lots(self) -> int:
        """Return the total of price_lots * size_base_lots over the window."""
        recent = sum(trade.price_lots * trade.size_base_lots for trade in self.recent_trades)
        return sum(bucket.quote_volume_lots for bucket in self.buckets) + recent

    def trade_history(self) -> TradeHistory:
        """Return these inputs as the ``TradeHistory`` that ``PivotEngine.warm_start`` takes."""
        return TradeHistory(
            aggregated_through_ns=self.aggregated_through_ns,
            buckets=tuple(
                TradeBucket(b.last_ts_ns, b.quote_volume_lots, b.volume_base_lots)
                for b in self.buckets
            ),
            trades=tuple(
                Trade(
                    t.ts_ns,
                    t.price_lots,
                    t.size_base_lots,
                    TradeId(t.key.tx_signature, t.key.event_seq),
                )
                for t in self.recent_trades
            ),
        )


def pivot_window(now_ns: int, lookback_ns: int, dedup_window_ns: int) -> tuple[int, int]:
    """Return ``(start_ns, aggregated_through_ns)`` of a warm start at ``now_ns``.

    ``start_ns = now - lookback`` (exclusive) and ``aggregated_through_ns = max(start_ns,
    now - dedup_window)``: with no deduplication window every stored trade comes aggregated.
    """
    start_ns = now_ns - lookback_ns
    return start_ns, max(start_ns, now_ns - dedup_window_ns)


@dataclass(frozen=True, slots=True)
class TradeCursor:
    """Where a page of trades stopped: the last row's time and storage id."""

    ts_ns: int
    row_id: int


@dataclass(frozen=True, slots=True)
class TradePage:
    """One page of trades; ``next_cursor`` is None once a page comes back short of the limit."""

    trades: tuple[TradeRecord, ...]
    next_cursor: TradeCursor | None


class TradeStore(Protocol):
    """Every fill of the swarm and every public trade of the market, deduplicated by key."""

    async def add_trades(self, trades: Sequence[TradeRecord]) -> int:
        """Store ``trades``, ignore those whose key is already stored; return how many were new.

        The per-minute price history is updated in the same step.
        """
        ...

    async def trades(self, market: str, start_ns: int, end_ns: int) -> list[TradeRecord]:
        """Return the trades of ``market`` with ``start_ns <= ts_ns < end_ns``, by time then key."""
        ...

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
        """Return up to ``limit`` trades of ``[start_ns, end_ns)`` after ``after``.

        Pages are ordered by time then storage order (the ``(ts, id)`` index), oldest first
        unless ``is_newest_first``; pass the previous page's ``next_cursor`` as ``after``. Rows
        stored later never shift a page already read.
        """
        ...

    async def pivot_inputs(
        self, market: str, now_ns: int, lookback_ns: int, dedup_window_ns: int
    ) -> PivotInputs:
        """Return the warm-start inputs of ``market`` at ``now_ns`` (see ``PivotInputs``).

        One aggregate query sums the older part per minute; one plain query returns the trades
        of the last ``dedup_window_ns`` with their keys.
        """
        ...


class PriceHistoryStore(Protocol):
    """One-minute OHLCV and VWAP per market, maintained incrementally from stored trades."""

    async def candles(self, market: str, start_ns: int, end_ns: int) -> list[Candle]:
        """Return the candles of ``market`` whose minute starts in ``[start_ns, end_ns)``."""
        ...


@dataclass(frozen=True, slots=True)
class LatencySample:
    """One timed I/O call: ``latency_ms`` of ``component`` (jito, rpc, ws, db) ``operation``."""

    ts_ns: int
    component: str
    operation: str
    latency_ms: float
    is_ok: bool = True


class LatencyStore(Protocol):
    """History of I/O latencies per component and operation."""

    async def add_latency_samples(self, samples: Sequence[LatencySample]) -> None:
        """Store ``samples``."""
        ...

    async def latency_samples(
        self, component: str, start_ns: int, end_ns: int
    ) -> list[LatencySample]:
        """Return the samples of ``component`` in ``[start_ns, end_ns)``, oldest first."""
        ...


class LatencyTimer(Protocol):
    """Measures an I/O call; used at every boundary (jito, rpc, ws, db)."""

    def measure(self, component: str, operation: str) -> AbstractAsyncContextManager[None]:
        """Return a context that records how long its body took, and whether it raised."""
        ...


class WalletRole(enum.StrEnum):
    """What a wallet is for."""

    SWARM = "swarm"
    TREASURY = "treasury"


@dataclass(frozen=True, slots=True)
class KdfParams:
    """How the key-encryption key was obtained: ``raw`` (the master key) or ``scrypt``.

    Attributes:
        name: ``raw`` or ``scrypt``.
        salt: KDF salt (empty for ``raw``).
        log2_n: scrypt cost, N = 2**log2_n (0 for ``raw``).
        r: scrypt block size (0 for ``raw``).
        p: scrypt parallelism (0 for ``raw``).
    """

    name: str
    salt: bytes = b""
    log2_n: int = 0
    r: int = 0
    p: int = 0


@dataclass(frozen=True, slots=True)
class EncryptedSecret:
    """A wallet secret key sealed with AES-256-GCM; ``kek_id`` fingerprints the key used."""

    ciphertext: bytes
    nonce: bytes
    kek_id: bytes
    kdf: KdfParams


@dataclass(frozen=True, slots=True)
class WalletAddress:
    """The public part of a wallet: what listings and audit exports show."""

    pubkey: WalletId
    label: str
    role: WalletRole
    created_ns: int
    disabled_ns: int | None = None


@dataclass(frozen=True, slots=True)
class WalletRecord:
    """One swarm or treasury wallet; the secret key is only ever stored encrypted."""

    pubkey: WalletId
    label: str
    role: WalletRole
    created_ns: int
    secret: EncryptedSecret
    disabled_ns: int | None = None

    @property
    def is_disabled(self) -> bool:
        """Return True when the wallet has been disabled."""
        return self.disabled_ns is not None

    @property
    def address(self) -> WalletAddress:
        """Return the public part of this wallet."""
        return WalletAddress(self.pubkey, self.label, self.role, self.created_ns, self.disabled_ns)


class WalletStore(Protocol):
    """The swarm's wallets and their encrypted keys."""

    async def add_wallets(self, wallets: Sequence[WalletRecord]) -> None:
        """Store new wallets; raise ``FatalStoreError`` if a pubkey or label already exists."""
        ...

    async def wallets(self, *, include_disabled: bool = True) -> list[WalletRecord]:
        """Return every wallet, oldest first (then by label)."""
        ...

    async def wallet(self, pubkey: WalletId) -> WalletRecord:
        """Return one wallet; raise ``FatalStoreError`` if it is unknown."""
        ...

    async def disable_wallet(self, pubkey: WalletId, now_ns: int) -> None:
        """Mark a wallet disabled at ``now_ns``; raise ``FatalStoreError`` if it is unknown."""
        ...


@dataclass(frozen=True, slots=True)
class RebalanceRecord:
    """One rebalance: why, around which pivot, to which grid, and what it cost.

    Attributes:
        market: market public key.
        ts_ns: decision time, UTC ns.
        reason: the guard that fired (deviation, proximity, entropy, startup, ...).
        pivot_price_lots: the pivot in (fractional) ticks.
        target_grid: the grid that was sent.
        bundle_ids: Jito bundle ids (or transaction signatures) used.
        landing_result: landed, failed, expired, ...
        tips_lamports: Jito tips paid.
        fees_lamports: transaction fees paid.
    """

    market: str
    ts_ns: int
    reason: str
    pivot_price_lots: float
    target_grid: Grid
    bundle_ids: tuple[str, ...]
    landing_result: str
    tips_lamports: int = 0
    fees_lamports: int = 0


class RebalanceStore(Protocol):
    """The journal of rebalances."""

    async def add_rebalance(self, rebalance: RebalanceRecord) -> None:
        """Append one rebalance."""
        ...

    async def rebalances(self, market: str, start_ns: int, end_ns: int) -> list[RebalanceRecord]:
        """Return the rebalances of ``market`` in ``[start_ns, end_ns)``, oldest first."""
        ...

    async def last_rebalance(self, market: str) -> RebalanceRecord | None:
        """Return the latest rebalance of ``market``, or None before the first one."""
        ...


@dataclass(frozen=True, slots=True)
class ConfigVersionRecord:
    """One configuration submitted (at start or by hot reload) and what became of it."""

    ts_ns: int
    config_hash: str
    diff: str
    is_accepted: bool
    reason: str = ""


class ConfigVersionStore(Protocol):
    """The history of configurations."""

    async def add_config_version(self, version: ConfigVersionRecord) -> None:
        """Append one configuration version."""
        ...

    async def config_versions(self, limit: int) -> list[ConfigVersionRecord]:
        """Return the latest ``limit`` versions, newest first."""
        ...


class BotStateStore(Protocol):
    """Small key-value state kept for warm restarts (last grid per market, cursors)."""

    async def save_grid(self, market: str, grid: Grid, now_ns: int) -> None:
        """Remember the grid resting on ``market`` so a restart does not place it twice."""
        ...

    async def load_grid(self, market: str) -> Grid | None:
        """Return the last grid saved for ``market``, or None if none was saved."""
        ...

    async def put_state(self, key: str, value_json: str, now_ns: int) -> None:
        """Store a JSON document under ``key`` (replacing any previous value)."""
        ...

    async def get_state(self, key: str) -> str | None:
        """Return the JSON document stored under ``key``, or None."""
        ...


@dataclass(frozen=True, slots=True)
class Stores:
    """Every store port of one backend, as the composition root hands them out."""

    trades: TradeStore
    prices: PriceHistoryStore
    latency: LatencyStore
    wallets: WalletStore
    rebalances: RebalanceStore
    config_versions: ConfigVersionStore
    state: BotStateStore
