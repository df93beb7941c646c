"""Store benchmarks on the embedded PostgreSQL (and ``DATABASE_URL`` when set).

- ingestion: ``add_trades`` of 100,000 new trades per round (COPY into a staging table, one
  ``INSERT ... ON CONFLICT DO NOTHING`` that also folds them into the minute candles);
  rows/s = 100,000 / mean. Target >= 100,000 rows/s.
- warm start: ``pivot_inputs`` over a 7-day window of stored trades. 1,000,000 trades with
  ``BMVBOT_BENCH_LARGE=1`` (target <= 1 s), 200,000 otherwise.
- one day of trades (86,400, one per second) aggregated into 1,440 candles: the incremental
  candle upkeep of ``add_trades`` for a whole day, plus reading the day's candles back.

Run: ``.venv/bin/pytest tests/benchmarks/test_bench_store.py --benchmark-enable``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest
from pytest_benchmark.fixture import BenchmarkFixture
from sqlalchemy import text

from bmvbot.adapters.postgres.settings import StoreSettings
from bmvbot.adapters.postgres.store import PostgresDatabase
from bmvbot.core.types import NS_PER_DAY, Side
from bmvbot.ports.store import TradeRecord

T0_NS = 1_767_225_600_000_000_000
LARGE = os.environ.get("BMVBOT_BENCH_LARGE") == "1"
WARM_START_TRADES = 1_000_000 if LARGE else 200_000
INGEST_BATCH = 100_000


def trades(market: str, start_seq: int, count: int, spacing_ns: int) -> list[TradeRecord]:
    return [
        TradeRecord(
            market=market,
            tx_signature=f"bench{seq:010d}",
            event_seq=seq % 4,
            ts_ns=T0_NS + seq * spacing_ns,
            side=Side(seq % 2),
            price_lots=10_000 + (seq * 7919) % 500,
            size_base_lots=1 + (seq * 104_729) % 1_000,
            base_native=1_000_000,
            quote_native=10_000_000,
            fee_quote_native=-5,
            is_maker=seq % 3 == 0,
        )
        for seq in range(start_seq, start_seq + count)
    ]


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture
def database(
    pg_settings: StoreSettings, loop: asyncio.AbstractEventLoop
) -> Iterator[PostgresDatabase]:
    database = loop.run_until_complete(PostgresDatabase.open(pg_settings))
    yield database
    loop.run_until_complete(database.close())


def test_bench_ingest_100k_trades(
    benchmark: BenchmarkFixture, database: PostgresDatabase, loop: asyncio.AbstractEventLoop
) -> None:
    rounds = iter(range(1_000))

    def setup() -> tuple[tuple[list[TradeRecord]], dict[str, object]]:
        start = next(rounds) * INGEST_BATCH
        return (trades("IngestBench", start, INGEST_BATCH, 10_000_000),), {}

    def ingest(batch: list[TradeRecord]) -> int:
        return loop.run_until_complete(database.stores.trades.add_trades(batch))

    added = benchmark.pedantic(ingest, setup=setup, rounds=5, iterations=1)  # type: ignore[no-untyped-call]  # unannotated upstream

    assert added == INGEST_BATCH
    if benchmark.stats is not None:  # None when benchmarks are disabled (the default run)
        benchmark.extra_info["rows_per_s"] = round(INGEST_BATCH / benchmark.stats.stats.mean)


def test_bench_warm_start_pivot_inputs(
    benchmark: BenchmarkFixture, database: PostgresDatabase, loop: asyncio.AbstractEventLoop
) -> None:
    spacing_ns = 7 * NS_PER_DAY // WARM_START_TRADES
    for start in range(0, WARM_START_TRADES, 200_000):
        batch = trades("WarmBench", start, min(200_000, WARM_START_TRADES - start), spacing_ns)
        loop.run_until_complete(database.stores.trades.add_trades(batch))
    loop.run_until_complete(_analyze(database))
    now_ns = T0_NS + 7 * NS_PER_DAY

    def warm_start() -> int:
        inputs = loop.run_until_complete(
            database.stores.trades.pivot_inputs("WarmBench", now_ns, 7 * NS_PER_DAY, 3600 * 10**9)
        )
        return sum(b.trade_count for b in inputs.buckets) + len(inputs.recent_trades)

    counted = benchmark.pedantic(warm_start, rounds=5, iterations=1, warmup_rounds=1)  # type: ignore[no-untyped-call]  # unannotated upstream

    assert counted == WARM_START_TRADES - 1  # the trade exactly at now - lookback is out
    benchmark.extra_info["stored_trades"] = WARM_START_TRADES


async def _analyze(database: PostgresDatabase) -> None:
    # what autovacuum does after a bulk load; VACUUM cannot run inside a transaction
    async with database.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE trades_history"))


def test_bench_one_day_into_minute_candles(
    benchmark: BenchmarkFixture, database: PostgresDatabase, loop: asyncio.AbstractEventLoop
) -> None:
    markets = iter(range(1_000))

    def setup() -> tuple[tuple[str, list[TradeRecord]], dict[str, object]]:
        market = f"DayBench{next(markets)}"
        return (market, trades(market, 0, 86_400, 1_000_000_000)), {}

    def aggregate_day(market: str, day: list[TradeRecord]) -> int:
        async def run() -> int:
            for start in range(0, len(day), 10_000):
                await database.stores.trades.add_trades(day[start : start + 10_000])
            candles = await database.stores.prices.candles(market, T0_NS, T0_NS + NS_PER_DAY)
            return len(candles)

        return loop.run_until_complete(run())

    candle_count = benchmark.pedantic(aggregate_day, setup=setup, rounds=3, iterations=1)  # type: ignore[no-untyped-call]  # unannotated upstream

    assert candle_count == 1_440
