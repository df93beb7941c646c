"""TradeIngestor over the in-memory store: batching, acknowledgements, the bound, parameters."""

from __future__ import annotations

import asyncio

import pytest

from bmvbot.adapters.memory.store import MemoryPriceHistoryStore, MemoryTradeStore
from bmvbot.adapters.postgres.ingestion import IngestionParams, TradeIngestor
from bmvbot.core.errors import ConfigError
from bmvbot.core.types import Side
from bmvbot.ports.store import TradeRecord

T0_NS = 1_767_225_600_000_000_000


def make_trade(seq: int) -> TradeRecord:
    return TradeRecord("M", f"sig{seq}", seq, T0_NS + seq, Side.BID, 100, 1, 1, 100)


def memory_trades() -> MemoryTradeStore:
    return MemoryTradeStore(MemoryPriceHistoryStore())


@pytest.mark.asyncio
async def test_ingestor_writes_in_batches_and_acknowledges_after_commit() -> None:
    store = memory_trades()
    batches: list[list[int]] = []
    ingestor = TradeIngestor(
        store,
        IngestionParams(batch_size=40, linger_s=0.0),
        on_persisted=lambda batch: batches.append([t.event_seq for t in batch]),
    )
    ingestor.offer_many([make_trade(seq) for seq in range(100)])
    ingestor.close()

    await ingestor.run()

    assert [len(batch) for batch in batches] == [40, 40, 20]
    assert [seq for batch in batches for seq in batch] == list(range(100))
    assert len(await store.trades("M", T0_NS, T0_NS + 1_000)) == 100
    assert (ingestor.persisted_count, ingestor.added_count, ingestor.pending) == (100, 100, 0)


@pytest.mark.asyncio
async def test_ingestor_duplicates_persisted_once_counted_as_acknowledged() -> None:
    store = memory_trades()
    ingestor = TradeIngestor(store, IngestionParams(batch_size=10, linger_s=0.0))
    ingestor.offer_many([make_trade(seq) for seq in range(10)] * 3)
    ingestor.close()

    await ingestor.run()

    assert (ingestor.persisted_count, ingestor.added_count) == (30, 10)


@pytest.mark.asyncio
async def test_ingestor_over_bound_stops_quoting_keeps_everything_then_resumes() -> None:
    ingestor = TradeIngestor(
        memory_trades(), IngestionParams(batch_size=10, max_buffered_trades=50)
    )

    ingestor.offer_many([make_trade(seq) for seq in range(49)])
    is_stopped_below = ingestor.should_stop_quoting
    ingestor.offer(make_trade(49))
    ingestor.offer_many([make_trade(seq) for seq in range(50, 80)])
    is_stopped_over = ingestor.should_stop_quoting
    pending_over = ingestor.pending
    ingestor.close()
    await ingestor.run()

    assert not is_stopped_below
    assert is_stopped_over
    assert pending_over == 80
    assert not ingestor.should_stop_quoting
    assert ingestor.added_count == 80


@pytest.mark.asyncio
async def test_ingestor_put_waits_for_room_at_the_bound() -> None:
    ingestor = TradeIngestor(
        memory_trades(), IngestionParams(batch_size=5, max_buffered_trades=5, linger_s=0.0)
    )
    ingestor.offer_many([make_trade(seq) for seq in range(5)])
    waiting = asyncio.create_task(ingestor.put(make_trade(5)))
    await asyncio.sleep(0)
    is_waiting = not waiting.done()
    writer = asyncio.create_task(ingestor.run())

    await waiting
    await ingestor.drain()
    ingestor.close()
    await writer

    assert is_waiting
    assert ingestor.added_count == 6


@pytest.mark.asyncio
async def test_ingestor_drain_with_nothing_offered_returns_at_once() -> None:
    ingestor = TradeIngestor(memory_trades())

    await ingestor.drain()

    assert ingestor.pending == 0


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"batch_size": 0}, "ingestion.batch_size"),
        ({"batch_size": 100, "max_buffered_trades": 99}, "ingestion.max_buffered_trades"),
        ({"linger_s": -1.0}, "ingestion"),
        ({"retry_initial_s": 5.0, "retry_max_s": 1.0}, "ingestion"),
    ],
)
def test_ingestion_params_out_of_range_config_error(params: dict[str, float], key: str) -> None:
    with pytest.raises(ConfigError, match="was") as caught:
        IngestionParams(**params)  # type: ignore[arg-type]  # mixed int/float test values

    assert caught.value.key == key
