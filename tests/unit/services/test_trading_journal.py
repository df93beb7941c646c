"""The trading journal writes trades and rebalances to the (in-memory) stores off the loop."""

from __future__ import annotations

import asyncio

import pytest
from tests.factories import default_params

from bmvbot import bootstrap
from bmvbot.core.pivot import TradeId
from bmvbot.core.types import BaseLots, Grid, Lamports, MarketSpec, PriceLots, Side, WalletId
from bmvbot.ports.store import Stores
from bmvbot.ports.venue import ExecutionReport, LandingStatus, MarketTrade
from bmvbot.services.journal import TradingJournal, trade_record
from bmvbot.services.simulation import run_simulation

MARKET = MarketSpec(base_lot_size=1000, quote_lot_size=10)
SWARM = WalletId("swarm-1")


def _trade(seq: int, maker: WalletId | None = None, taker: WalletId | None = None) -> MarketTrade:
    return MarketTrade(
        TradeId("sig", seq),
        1_000 + seq,
        PriceLots(100),
        BaseLots(3),
        Side.BID,
        maker_wallet=maker,
        taker_wallet=taker,
        maker_fee_native=-2,
        taker_fee_native=9,
    )


def _journal(stores: Stores, capacity: int = 1000) -> TradingJournal:
    return TradingJournal(stores.trades, stores.rebalances, "m", MARKET, capacity=capacity)


def test_journal_trade_record_takes_our_side_and_fee() -> None:
    maker = trade_record(_trade(1, maker=SWARM), "m", MARKET)
    taker = trade_record(_trade(2, taker=SWARM), "m", MARKET)
    public = trade_record(_trade(3), "m", MARKET)

    assert (maker.side, maker.is_maker, maker.fee_quote_native, maker.wallet) == (
        Side.ASK,
        True,
        -2,
        SWARM,
    )
    assert (taker.side, taker.is_maker, taker.fee_quote_native) == (Side.BID, False, 9)
    assert (public.side, public.wallet, public.fee_quote_native) == (Side.BID, None, 0)
    assert (maker.base_native, maker.quote_native) == (3000, 3000)


def test_journal_fill_id_trade_gets_event_seq_zero() -> None:
    trade = MarketTrade(TradeId.from_fill_id("fill-7"), 0, PriceLots(5), BaseLots(1), Side.ASK)

    assert trade_record(trade, "m", MARKET).event_seq == 0


@pytest.mark.asyncio
async def test_journal_flush_writes_trades_and_rebalances() -> None:
    stores = bootstrap.memory_store()
    journal = _journal(stores)
    report = ExecutionReport(
        LandingStatus.LANDED,
        ("b1",),
        (SWARM,),
        (),
        True,
        1,
        Lamports(10_000),
        Lamports(5_000),
    )

    journal.add_trades([_trade(1, maker=SWARM), _trade(2)])
    journal.add_rebalance(1_500, "initial", 100.5, Grid(), report)
    journal.add_rebalance(1_600, "repair", 100.5, Grid(), None)
    await journal.flush()

    assert len(await stores.trades.trades("m", 0, 10**6)) == 2
    rebalances = await stores.rebalances.rebalances("m", 0, 10**6)
    assert [(r.reason, r.landing_result, r.tips_lamports) for r in rebalances] == [
        ("initial", "landed", 10_000),
        ("repair", "not_sent", 0),
    ]
    assert (journal.pending, journal.written_trades, journal.written_rebalances) == (0, 2, 2)


@pytest.mark.asyncio
async def test_journal_full_buffer_drops_oldest_and_counts() -> None:
    journal = _journal(bootstrap.memory_store(), capacity=3)

    journal.add_trades([_trade(i) for i in range(5)])

    assert journal.pending == 3
    assert journal.dropped_records == 2


@pytest.mark.asyncio
async def test_journal_run_drains_then_returns_after_close() -> None:
    stores = bootstrap.memory_store()
    journal = _journal(stores)
    task = asyncio.create_task(journal.run())

    journal.add_trades([_trade(1), _trade(2)])
    await asyncio.sleep(0)
    journal.add_trades([_trade(3)])
    journal.close()
    await asyncio.wait_for(task, 5)

    assert len(await stores.trades.trades("m", 0, 10**6)) == 3


@pytest.mark.asyncio
async def test_journal_records_a_simulated_run_off_the_loop() -> None:
    stores = bootstrap.memory_store()
    params = default_params()
    journal = TradingJournal(stores.trades, stores.rebalances, "sim", params.market)
    session = bootstrap.simulated_session(
        params, scenario="low_liquidity", seed=1, duration_s=300, journal=journal
    )
    task = asyncio.create_task(journal.run())

    result = await run_simulation(
        session.service, session.clock, session.pacer, duration_ns=300 * 10**9
    )
    journal.close()
    await asyncio.wait_for(task, 10)

    trades = await stores.trades.trades("sim", 0, 2**62)
    assert sum(1 for t in trades if t.wallet is not None) == result.summary.fills > 0
    rebalances = await stores.rebalances.rebalances("sim", 0, 2**62)
    assert len(rebalances) == result.summary.rebalances
