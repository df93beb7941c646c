"""Trades and their one-minute price history in PostgreSQL.

``add_trades`` copies the batch into a per-connection temporary staging table with the binary
``COPY`` protocol, then one statement inserts the new rows into ``trades_history`` (duplicates by
``(market, tx_signature, event_seq)`` are skipped by ``ON CONFLICT DO NOTHING``) and folds exactly
the rows it inserted into ``price_history``, all in one transaction: a trade is never counted
twice in a candle, even when two sources deliver it, and candles never miss a stored trade.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Row,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.expression import ColumnClause

from bmvbot.adapters.postgres.engine import fetch_all, in_window
from bmvbot.adapters.postgres.errors import translated
from bmvbot.adapters.postgres.tables import price_history, trades_history
from bmvbot.adapters.postgres.timestamps import to_datetime, to_ns
from bmvbot.core.types import Side, WalletId
from bmvbot.ports.store import (
    MINUTE_NS,
    TS_RESOLUTION_NS,
    Candle,
    PivotBucket,
    PivotInputs,
    PivotTrade,
    PriceHistoryStore,
    TradeCursor,
    TradeKey,
    TradePage,
    TradeRecord,
    TradeStore,
    check_limit,
    floor_ts_ns,
    pivot_window,
)

_STAGING_COLUMNS = (
    "ord",
    "market",
    "wallet",
    "side",
    "price_lots",
    "size_base_lots",
    "base_native",
    "quote_native",
    "fee_quote_native",
    "is_maker",
    "tx_signature",
    "event_seq",
    "ts_us",
)

_CREATE_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS bmvbot_trades_staging (
    ord bigint NOT NULL, market text NOT NULL, wallet text, side smallint NOT NULL,
    price_lots bigint NOT NULL, size_base_lots bigint NOT NULL, base_native bigint NOT NULL,
    quote_native bigint NOT NULL, fee_quote_native bigint NOT NULL, is_maker boolean NOT NULL,
    tx_signature text NOT NULL, event_seq bigint NOT NULL, ts_us bigint NOT NULL
) ON COMMIT DELETE ROWS
"""

# The open of a minute is its earliest trade and the close its latest; ties go to the row
# stored first (open) and last (close), i.e. by (ts, id), which the in-memory store mirrors.
_INSERT_FROM_STAGING = """
WITH new_rows AS (
    INSERT INTO trades_history (market, wallet, side, price_lots, size_base_lots, base_native,
        quote_native, fee_quote_native, is_maker, tx_signature, event_seq, ts)
    SELECT market, wallet, side, price_lots, size_base_lots, base_native, quote_native,
        fee_quote_native, is_maker, tx_signature, event_seq,
        TIMESTAMPTZ 'epoch' + ts_us * INTERVAL '1 microsecond'
    FROM bmvbot_trades_staging ORDER BY ord
    ON CONFLICT ON CONSTRAINT trades_history_trade_key DO NOTHING
    RETURNING id, market, ts, price_lots, size_base_lots
), minutes AS (
    SELECT market, date_bin('1 minute', ts, TIMESTAMPTZ 'epoch') AS minute_start,
        (array_agg(price_lots ORDER BY ts, id))[1] AS open_price_lots,
        max(price_lots) AS high_price_lots, min(price_lots) AS low_price_lots,
        (array_agg(price_lots ORDER BY ts DESC, id DESC))[1] AS close_price_lots,
        min(ts) AS open_ts, max(ts) AS close_ts,
        sum(size_base_lots) AS volume_base_lots,
        sum(price_lots * size_base_lots) AS quote_volume_lots, count(*) AS trade_count
    FROM new_rows GROUP BY 1, 2
), candles AS (
    INSERT INTO price_history AS p (market, minute_start, open_price_lots, high_price_lots,
        low_price_lots, close_price_lots, open_ts, close_ts, volume_base_lots,
        quote_volume_lots, trade_count)
    SELECT market, minute_start, open_price_lots, high_price_lots, low_price_lots,
        close_price_lots, open_ts, close_ts, volume_base_lots, quote_volume_lots, trade_count
    FROM minutes ORDER BY market, minute_start
    ON CONFLICT (market, minute_start) DO UPDATE SET
        open_price_lots = CASE WHEN excluded.open_ts < p.open_ts
            THEN excluded.open_price_lots ELSE p.open_price_lots END,
        open_ts = LEAST(p.open_ts, excluded.open_ts),
        high_price_lots = GREATEST(p.high_price_lots, excluded.high_price_lots),
        low_price_lots = LEAST(p.low_price_lots, excluded.low_price_lots),
        close_price_lots = CASE WHEN excluded.close_ts >= p.close_ts
            THEN excluded.close_price_lots ELSE p.close_price_lots END,
        close_ts = GREATEST(p.close_ts, excluded.close_ts),
        volume_base_lots = p.volume_base_lots + excluded.volume_base_lots,
        quote_volume_lots = p.quote_volume_lots + excluded.quote_volume_lots,
        trade_count = p.trade_count + excluded.trade_count
    RETURNING 1
)
SELECT (SELECT count(*) FROM new_rows) AS added, (SELECT count(*) FROM candles) AS candles
"""

_MINUTE: ColumnClause[object] = literal_column("INTERVAL '1 minute'")
_EPOCH: ColumnClause[object] = literal_column("TIMESTAMPTZ 'epoch'")


def _staging_row(ord_: int, t: TradeRecord) -> tuple[object, ...]:
    return (
        ord_,
        t.market,
        t.wallet,
        int(t.side),
        t.price_lots,
        t.size_base_lots,
        t.base_native,
        t.quote_native,
        t.fee_quote_native,
        t.is_maker,
        t.tx_signature,
        t.event_seq,
        t.ts_ns // 1_000,
    )


def _trade_record(row: Row[Any]) -> TradeRecord:
    return TradeRecord(
        market=row.market,
        tx_signature=row.tx_signature,
        event_seq=row.event_seq,
        ts_ns=to_ns(row.ts),
        side=Side(row.side),
        price_lots=row.price_lots,
        size_base_lots=row.size_base_lots,
        base_native=row.base_native,
        quote_native=row.quote_native,
        fee_quote_native=row.fee_quote_native,
        is_maker=row.is_maker,
        wallet=None if row.wallet is None else WalletId(row.wallet),
    )


class PostgresTradeStore(TradeStore):
    """``trades_history`` with its incremental ``price_history``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add_trades(self, trades: Sequence[TradeRecord]) -> int:
        if not trades:
            return 0
        records = [_staging_row(i, t) for i, t in enumerate(trades)]
        async with translated("storing trades"), self._engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            if driver is None:
                raise RuntimeError("the asyncpg connection is closed")
            async with driver.transaction():
                # a 100k-row batch sorts twice (copy order, candle order): keep it in memory
                await driver.execute("SET LOCAL work_mem = '64MB'")
                await driver.execute(_CREATE_STAGING)
                await driver.copy_records_to_table(
                    "bmvbot_trades_staging", records=records, columns=_STAGING_COLUMNS
                )
                added = await driver.fetchval(_INSERT_FROM_STAGING)
        return int(added)

    async def trades(self, market: str, start_ns: int, end_ns: int) -> list[TradeRecord]:
        t = trades_history.c
        query = (
            select(trades_history)
            .where(
                t.market == market,
                in_window(t.ts, start_ns, end_ns),
            )
            .order_by(t.ts, t.tx_signature.collate("C"), t.event_seq)
        )
        rows = await fetch_all(self._engine, query, "reading trades")
        return [_trade_record(row) for row in rows]

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
        t = trades_history.c
        position = tuple_(t.ts, t.id)
        query = select(trades_history).where(t.market == market, in_window(t.ts, start_ns, end_ns))
        if after is not None:
            mark = tuple_(literal(to_datetime(after.ts_ns)), literal(after.row_id))
            query = query.where(position < mark if is_newest_first else position > mark)
        order = (t.ts.desc(), t.id.desc()) if is_newest_first else (t.ts, t.id)
        rows = await fetch_all(self._engine, query.order_by(*order).limit(limit), "reading trades")
        last = rows[-1] if rows and len(rows) == limit else None
        cursor = None if last is None else TradeCursor(to_ns(last.ts), last.id)
        return TradePage(tuple(_trade_record(row) for row in rows), cursor)

    async def pivot_inputs(
        self, market: str, now_ns: int, lookback_ns: int, dedup_window_ns: int
    ) -> PivotInputs:
        start_ns, through_ns = pivot_window(now_ns, lookback_ns, dedup_window_ns)
        buckets_query = _buckets_query(market, start_ns, through_ns)
        t = trades_history.c
        recent_query = (
            select(t.ts, t.price_lots, t.size_base_lots, t.tx_signature, t.event_seq)
            .where(
                t.market == market,
                t.ts > to_datetime(through_ns),
                t.ts <= to_datetime(now_ns),
            )
            .order_by(t.ts, t.tx_signature.collate("C"), t.event_seq)
        )
        async with translated("reading the pivot inputs"), self._engine.connect() as connection:
            # one snapshot for both queries, so a concurrent write cannot fall between them
            snapshot = await connection.execution_options(isolation_level="REPEATABLE READ")
            async with snapshot.begin():
                bucket_rows = (await snapshot.execute(buckets_query)).all()
                recent_rows = (await snapshot.execute(recent_query)).all()
        buckets = tuple(
            PivotBucket(
                minute_start_ns=to_ns(row.minute_start),
                volume_base_lots=int(row.volume),
                quote_volume_lots=int(row.quote_volume),
                trade_count=int(row.trade_count),
                last_ts_ns=to_ns(row.last_ts),
            )
            for row in bucket_rows
        )
        recent = tuple(
            PivotTrade(
                to_ns(row.ts),
                row.price_lots,
                row.size_base_lots,
                TradeKey(market, row.tx_signature, row.event_seq),
            )
            for row in recent_rows
        )
        return PivotInputs(market, start_ns, through_ns, now_ns, buckets, recent)


def _full_minutes(start_ns: int, through_ns: int) -> tuple[int, int]:
    # minutes [full_from, full_to) hold only trades with start < ts <= through: the first
    # minute boundary after start, and the boundary after the last stored microsecond
    full_from_ns = start_ns - start_ns % MINUTE_NS + MINUTE_NS
    last_us_ns = floor_ts_ns(through_ns) + TS_RESOLUTION_NS
    return full_from_ns, last_us_ns - last_us_ns % MINUTE_NS


def _buckets_query(market: str, start_ns: int, through_ns: int) -> CompoundSelect[Any]:
    """Return the one aggregate query of a warm start: per-minute sums of start < ts <= through.

    Whole minutes come from ``price_history``, the per-minute sums that ``add_trades`` keeps in
    the same transaction as the trades (so they always agree with ``trades_history``); the
    at most two partial minutes at the edges are summed from ``trades_history``. A week is
    then about 10,000 candle rows instead of every trade of the week.
    """
    full_from_ns, full_to_ns = _full_minutes(start_ns, through_ns)
    p, t = price_history.c, trades_history.c
    whole_minutes = select(
        p.minute_start.label("minute_start"),
        p.volume_base_lots.label("volume"),
        p.quote_volume_lots.label("quote_volume"),
        p.trade_count.label("trade_count"),
        p.close_ts.label("last_ts"),
    ).where(
        p.market == market,
        p.minute_start >= to_datetime(full_from_ns),
        p.minute_start < to_datetime(full_to_ns),
    )
    minute = func.date_bin(_MINUTE, t.ts, _EPOCH)
    edge_minutes = (
        select(
            minute,
            func.sum(t.size_base_lots),
            func.sum(t.price_lots * t.size_base_lots),
            func.count(),
            func.max(t.ts),
        )
        .where(
            t.market == market,
            t.ts > to_datetime(start_ns),
            t.ts <= to_datetime(through_ns),
            or_(t.ts < to_datetime(full_from_ns), t.ts >= to_datetime(full_to_ns)),
        )
        .group_by(minute)
    )
    return union_all(whole_minutes, edge_minutes).order_by(literal_column("minute_start"))


class PostgresPriceHistoryStore(PriceHistoryStore):
    """Reads ``price_history``; ``PostgresTradeStore.add_trades`` keeps it up to date."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def candles(self, market: str, start_ns: int, end_ns: int) -> list[Candle]:
        p = price_history.c
        query = (
            select(price_history)
            .where(
                p.market == market,
                in_window(p.minute_start, start_ns, end_ns),
            )
            .order_by(p.minute_start)
        )
        rows = await fetch_all(self._engine, query, "reading the price history")
        return [
            Candle(
                market=row.market,
                minute_start_ns=to_ns(row.minute_start),
                open_price_lots=row.open_price_lots,
                high_price_lots=row.high_price_lots,
                low_price_lots=row.low_price_lots,
                close_price_lots=row.close_price_lots,
                volume_base_lots=int(row.volume_base_lots),
                quote_volume_lots=int(row.quote_volume_lots),
                trade_count=row.trade_count,
            )
            for row in rows
        ]
