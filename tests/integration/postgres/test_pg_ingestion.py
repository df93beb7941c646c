"""Ingestion into PostgreSQL: duplicates, outages, a refusing store and kill -9 of the writer."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from tests.integration.postgres.pg_proxy import PgProxy

from bmvbot.adapters.postgres.ingestion import IngestionParams, TradeIngestor
from bmvbot.adapters.postgres.settings import StoreSettings
from bmvbot.adapters.postgres.store import PostgresDatabase
from bmvbot.core.errors import FatalStoreError
from bmvbot.core.types import Side
from bmvbot.ports.store import TradeRecord

T0_NS = 1_767_225_600_000_000_000
MARKET = "IngestMarket"
WAIT_LIMIT = 2_000  # polls of 10 ms: a bound so a broken writer fails instead of hanging


def make_trade(seq: int, market: str = MARKET) -> TradeRecord:
    return TradeRecord(
        market=market,
        tx_signature=f"sig{seq:09d}",
        event_seq=seq,
        ts_ns=T0_NS + seq * 250_000_000,
        side=Side(seq % 2),
        price_lots=1_000 + seq % 50,
        size_base_lots=1 + seq % 9,
        base_native=(1 + seq % 9) * 1_000,
        quote_native=(1_000 + seq % 50) * (1 + seq % 9),
    )


async def wait_until(condition_name: str, check: object) -> None:
    assert callable(check)
    for _ in range(WAIT_LIMIT):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{condition_name} never happened")


async def stored_seqs(database: PostgresDatabase, market: str = MARKET) -> list[int]:
    async with database.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT event_seq FROM trades_history WHERE market = :m ORDER BY event_seq"),
            {"m": market},
        )
        return [row[0] for row in rows]


@pytest.mark.asyncio
async def test_ingestor_two_sources_overlapping_each_trade_stored_once(
    pg_database: PostgresDatabase,
) -> None:
    acknowledged: list[int] = []
    ingestor = TradeIngestor(
        pg_database.stores.trades,
        IngestionParams(batch_size=64, linger_s=0.0),
        on_persisted=lambda batch: acknowledged.extend(t.event_seq for t in batch),
    )
    writer = asyncio.create_task(ingestor.run())

    for seq in range(300):
        ingestor.offer(make_trade(seq))  # websocket
        if seq % 3 == 0:
            ingestor.offer(make_trade(seq))  # RPC poll sees every third trade as well
    await ingestor.drain()
    ingestor.close()
    await writer

    assert await stored_seqs(pg_database) == list(range(300))
    assert ingestor.added_count == 300
    assert sorted(acknowledged) == sorted(list(range(300)) + list(range(0, 300, 3)))
    candles = await pg_database.stores.prices.candles(MARKET, T0_NS, T0_NS + 10**12)
    assert sum(c.trade_count for c in candles) == 300


@pytest.mark.asyncio
async def test_ingestor_database_outage_buffers_stops_quoting_then_loses_nothing(
    pg_settings: StoreSettings,
) -> None:
    assert pg_settings.database_url is not None
    proxy = PgProxy(pg_settings.database_url.get_secret_value())
    await proxy.start()
    settings = pg_settings.model_copy(update={"database_url": SecretStr(proxy.url)})
    database = await PostgresDatabase.open(settings)
    params = IngestionParams(
        batch_size=100,
        max_buffered_trades=1_000,
        linger_s=0.0,
        retry_initial_s=0.01,
        retry_max_s=0.05,
    )
    ingestor = TradeIngestor(database.stores.trades, params)
    writer = asyncio.create_task(ingestor.run())
    try:
        ingestor.offer_many([make_trade(seq) for seq in range(250)])
        await ingestor.drain()

        await proxy.cut()
        ingestor.offer_many([make_trade(seq) for seq in range(250, 1_500)])
        await wait_until("store marked down", lambda: ingestor.is_store_down)
        is_stopped_during_outage = ingestor.should_stop_quoting
        pending_during_outage = ingestor.pending
        await proxy.restore()
        await ingestor.drain()

        assert is_stopped_during_outage
        assert pending_during_outage >= 1_000
        assert not ingestor.should_stop_quoting
        assert not ingestor.is_store_down
        assert await stored_seqs(database) == list(range(1_500))
    finally:
        ingestor.close()
        await writer
        await database.close()
        await proxy.close()


@pytest.mark.asyncio
async def test_ingestor_store_refuses_batch_raises_fatal_and_keeps_trades(
    pg_database: PostgresDatabase,
) -> None:
    ingestor = TradeIngestor(
        pg_database.stores.trades, IngestionParams(batch_size=10, linger_s=0.0)
    )
    async with pg_database.engine.begin() as connection:
        await connection.execute(text("DROP TABLE price_history"))

    ingestor.offer_many([make_trade(seq) for seq in range(25)])
    with pytest.raises(FatalStoreError, match="sqlstate=42P01"):
        await ingestor.run()

    assert ingestor.pending == 25
    assert ingestor.should_stop_quoting
    with pytest.raises(FatalStoreError):
        await ingestor.drain()


def test_writer_killed_with_sigkill_loses_no_acknowledged_trade(pg_settings: StoreSettings) -> None:
    assert pg_settings.database_url is not None
    script = Path(__file__).with_name("pg_ingest_writer.py")
    process = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
        [
            sys.executable,
            str(script),
            pg_settings.database_url.get_secret_value(),
            pg_settings.db_schema,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acknowledged: list[int] = []
    try:
        assert process.stdout is not None
        while len(acknowledged) < 5_000:
            line = process.stdout.readline()
            if not line:
                break
            acknowledged.append(int(line))
        os.kill(process.pid, signal.SIGKILL)
        rest, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    # the last line may have been cut by the kill: only whole lines are acknowledgements
    acknowledged += [int(line) for line in rest.split("\n")[:-1] if line.strip()]

    stored = asyncio.run(_stored_after_kill(pg_settings))

    assert process.returncode == -signal.SIGKILL, errors[-2000:]
    assert len(acknowledged) >= 5_000, errors[-2000:]
    assert set(acknowledged) <= stored
    assert stored == set(range(len(stored)))  # committed batches only: no hole, no partial row


async def _stored_after_kill(settings: StoreSettings) -> set[int]:
    database = await PostgresDatabase.open(settings)
    try:
        return set(await stored_seqs(database, "KillMarket"))
    finally:
        await database.close()
