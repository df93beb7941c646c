"""LatencyRecorder: context manager and decorator record samples; flush batches them."""

from __future__ import annotations

import pytest

from bmvbot.adapters.memory.store import MemoryLatencyStore
from bmvbot.adapters.postgres.engine import create_engine
from bmvbot.adapters.postgres.journals import PostgresLatencyStore
from bmvbot.adapters.postgres.latency import LatencyRecorder
from bmvbot.core.errors import RetryableStoreError


class TickClock:
    def __init__(self) -> None:
        self.ts_ns = 1_767_225_600_000_000_000

    def now_ns(self) -> int:
        self.ts_ns += 1_000
        return self.ts_ns


@pytest.mark.asyncio
async def test_measure_records_ok_and_failed_calls_then_flushes_once() -> None:
    store = MemoryLatencyStore()
    recorder = LatencyRecorder(store, TickClock())

    async with recorder.measure("rpc", "get_slot"):
        pass
    with pytest.raises(ValueError, match="boom"):
        async with recorder.measure("rpc", "send_transaction"):
            raise ValueError("boom")
    written = await recorder.flush()

    samples = await store.latency_samples("rpc", 0, 2**62)
    assert written == 2
    assert [(s.operation, s.is_ok) for s in samples] == [
        ("get_slot", True),
        ("send_transaction", False),
    ]
    assert all(s.latency_ms >= 0 for s in samples)
    assert recorder.pending == 0
    assert await recorder.flush() == 0


@pytest.mark.asyncio
async def test_timed_decorator_measures_each_call() -> None:
    store = MemoryLatencyStore()
    recorder = LatencyRecorder(store, TickClock())

    @recorder.timed("jito", "send_bundle")
    async def send(bundle_id: str) -> str:
        return bundle_id.upper()

    results = [await send("a"), await send("b")]
    await recorder.flush()

    assert results == ["A", "B"]
    assert len(await store.latency_samples("jito", 0, 2**62)) == 2


@pytest.mark.asyncio
async def test_record_beyond_buffer_drops_oldest_and_counts() -> None:
    recorder = LatencyRecorder(MemoryLatencyStore(), TickClock(), max_buffered=3)

    for _ in range(5):
        async with recorder.measure("ws", "recv"):
            pass

    assert recorder.pending == 3
    assert recorder.dropped_count == 2


@pytest.mark.asyncio
async def test_flush_store_unreachable_keeps_samples_and_raises() -> None:
    engine = create_engine(
        "postgresql://postgres@127.0.0.1:1/none", schema="public", pool_size=1, timeout_s=2
    )
    recorder = LatencyRecorder(PostgresLatencyStore(engine), TickClock())
    async with recorder.measure("db", "ping"):
        pass

    try:
        with pytest.raises(RetryableStoreError):
            await recorder.flush()
    finally:
        await engine.dispose()

    assert recorder.pending == 1
