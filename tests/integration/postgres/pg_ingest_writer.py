"""Subprocess for the kill -9 test: ingest trades forever, print each acknowledged event_seq.

Usage: ``python pg_ingest_writer.py URL SCHEMA``. A line ``<event_seq>`` is printed (and flushed)
only after the batch holding that trade was committed, which is what "acknowledged" means.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from bmvbot.adapters.postgres.ingestion import IngestionParams, TradeIngestor
from bmvbot.adapters.postgres.settings import StoreSettings
from bmvbot.adapters.postgres.store import PostgresDatabase
from bmvbot.core.types import Side
from bmvbot.ports.store import TradeRecord

T0_NS = 1_767_225_600_000_000_000


def _trade(seq: int) -> TradeRecord:
    return TradeRecord(
        market="KillMarket",
        tx_signature=f"sig{seq:09d}",
        event_seq=seq,
        ts_ns=T0_NS + seq * 1_000_000,
        side=Side(seq % 2),
        price_lots=100 + seq % 17,
        size_base_lots=1 + seq % 7,
        base_native=1_000,
        quote_native=100_000,
    )


def _acknowledge(batch: Sequence[TradeRecord]) -> None:
    sys.stdout.write("".join(f"{t.event_seq}\n" for t in batch))
    sys.stdout.flush()


async def _main(url: str, schema: str) -> None:
    settings = StoreSettings(database_url=url, db_schema=schema)
    database = await PostgresDatabase.open(settings)
    params = IngestionParams(batch_size=500, linger_s=0.001)
    ingestor = TradeIngestor(database.stores.trades, params, on_persisted=_acknowledge)
    writer = asyncio.create_task(ingestor.run())
    seq = 0
    while not writer.done():
        ingestor.offer_many([_trade(seq + i) for i in range(100)])
        seq += 100
        await asyncio.sleep(0.001)
    await writer


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], sys.argv[2]))
