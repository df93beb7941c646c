"""Warm start after a restart: same pivot inputs, same pivot, same last grid and rebalance.

One test restarts the bot (a new pool on the same database); another restarts the embedded
server itself on its data directory, which must be reused with everything in it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from bmvbot.adapters.postgres.settings import StoreSettings
from bmvbot.adapters.postgres.store import PostgresDatabase
from bmvbot.core.config import PivotParams
from bmvbot.core.pivot import PivotEngine, PivotState, TradeId
from bmvbot.core.types import BaseLots, Grid, Level, PriceLots, Side
from bmvbot.ports.store import MINUTE_NS, PivotInputs, RebalanceRecord, TradeRecord

T0_NS = 1_767_225_600_000_000_000
MARKET = "WarmMarket"
PARAMS = PivotParams(lookback_ns=24 * 60 * MINUTE_NS, dedup_window_ns=15 * MINUTE_NS)


def session_trades(count: int) -> list[TradeRecord]:
    return [
        TradeRecord(
            market=MARKET,
            tx_signature=f"warm{i:07d}",
            event_seq=i % 3,
            ts_ns=T0_NS + i * 13_700_000_000 + 123_456,
            side=Side(i % 2),
            price_lots=5_000 + (i * 37) % 200,
            size_base_lots=1 + (i * 11) % 40,
            base_native=1_000,
            quote_native=5_000_000,
            wallet=None,
        )
        for i in range(count)
    ]


def live_pivot(trades: list[TradeRecord], now_ns: int) -> PivotState:
    engine = PivotEngine(PARAMS)
    for t in trades:
        engine.add_trade(
            t.ts_ns, t.price_lots, t.size_base_lots, TradeId(t.tx_signature, t.event_seq)
        )
    return engine.state(now_ns)


def warm_pivot(inputs: PivotInputs, now_ns: int) -> PivotState:
    engine = PivotEngine(PARAMS)
    engine.warm_start(now_ns, inputs.trade_history())
    return engine.state(now_ns)


GRID = Grid(
    bids=(Level(Side.BID, PriceLots(4_990), BaseLots(10)),),
    asks=(Level(Side.ASK, PriceLots(5_010), BaseLots(10)),),
)


async def _record_session(
    database: PostgresDatabase, trades: list[TradeRecord], now_ns: int
) -> PivotInputs:
    await database.stores.trades.add_trades(trades)
    await database.stores.state.save_grid(MARKET, GRID, now_ns)
    await database.stores.rebalances.add_rebalance(
        RebalanceRecord(
            MARKET, now_ns, "deviation", 5_000.5, GRID, ("bundle-1",), "landed", 10_000, 5_000
        )
    )
    return await database.stores.trades.pivot_inputs(
        MARKET, now_ns, PARAMS.lookback_ns, PARAMS.dedup_window_ns
    )


@pytest.mark.asyncio
async def test_restart_pivot_inputs_and_pivot_equal_before_and_after(
    pg_settings: StoreSettings,
) -> None:
    trades = session_trades(8_000)  # about 30 hours: part of it has left the window
    now_ns = trades[-1].ts_ns + 5_000_000
    before_db = await PostgresDatabase.open(pg_settings)
    before = await _record_session(before_db, trades, now_ns)
    await before_db.close()

    after_db = await PostgresDatabase.open(pg_settings)
    try:
        after = await after_db.stores.trades.pivot_inputs(
            MARKET, now_ns, PARAMS.lookback_ns, PARAMS.dedup_window_ns
        )
        grid = await after_db.stores.state.load_grid(MARKET)
        last = await after_db.stores.rebalances.last_rebalance(MARKET)
    finally:
        await after_db.close()

    assert after == before
    assert warm_pivot(after, now_ns).as_fraction() == live_pivot(trades, now_ns).as_fraction()
    assert grid == GRID
    assert last is not None
    assert last.target_grid == GRID


@pytest.mark.asyncio
async def test_embedded_server_restart_reuses_data_dir_and_keeps_pivot_inputs() -> None:
    data_root = Path(tempfile.mkdtemp(prefix="bmvbot-test-restart-"))
    pgdata = data_root / "postgres"
    settings = StoreSettings(database_url=None, data_dir=data_root, db_schema="public")
    trades = session_trades(500)
    now_ns = trades[-1].ts_ns
    try:
        first = await PostgresDatabase.open(settings)
        assert first.embedded is not None
        before = await _record_session(first, trades, now_ns)
        await first.close()
        is_stopped_after_first = not (pgdata / "postmaster.pid").exists()
        # a previous bot killed with SIGKILL left its pid among the server's users
        (pgdata / ".handle_pids.json").write_text(json.dumps([_dead_pid()]))

        second = await PostgresDatabase.open(settings)
        try:
            after = await second.stores.trades.pivot_inputs(
                MARKET, now_ns, PARAMS.lookback_ns, PARAMS.dedup_window_ns
            )
        finally:
            await second.close()
        is_stopped_after_second = not (pgdata / "postmaster.pid").exists()
    finally:
        _stop_if_running(pgdata)
        shutil.rmtree(data_root, ignore_errors=True)

    assert is_stopped_after_first
    assert is_stopped_after_second
    assert after == before
    assert warm_pivot(after, now_ns).as_fraction() == live_pivot(trades, now_ns).as_fraction()


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])  # noqa: S607 - coreutils, fixed arguments
    process.wait()
    return process.pid


def _stop_if_running(pgdata: Path) -> None:
    # only when the test failed to stop the server: a fast shutdown of the postmaster
    postmaster = pgdata / "postmaster.pid"
    if postmaster.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(postmaster.read_text().split()[0]), signal.SIGINT)
