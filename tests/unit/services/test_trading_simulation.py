"""The simulation runner over a real SimulatedVenue and SimClock."""

from __future__ import annotations

import asyncio
import json

import pytest
from tests.factories import default_params, lp_scenario, trading

from bmvbot import bootstrap
from bmvbot.adapters.sim.clock import SimClock
from bmvbot.core.errors import ConfigError
from bmvbot.core.types import NS_PER_S
from bmvbot.services.simulation import (
    RealTimePacer,
    SimulationPoint,
    SteppedPacer,
    run_simulation,
    with_final_state,
)
from bmvbot.services.state import TradingState


@pytest.mark.asyncio
async def test_simulation_runs_the_duration_one_tick_per_interval() -> None:
    setup = trading(lp_scenario())
    pacer = SteppedPacer(setup.clock, 2 * NS_PER_S)
    seen: list[TradingState] = []

    result = await run_simulation(
        setup.service, setup.clock, pacer, duration_ns=20 * NS_PER_S, on_tick=seen.append
    )

    assert result.summary.ticks == 11
    assert result.summary.duration_ns == 20 * NS_PER_S
    assert len(result.points) == len(seen) == 11
    assert [p.ts_ns for p in result.points] == [s.ts_ns for s in seen]
    point = result.points[-1]
    assert point.lowest_bid_price_lots is not None
    assert point.highest_bid_price_lots is not None
    assert point.lowest_ask_price_lots is not None
    assert point.highest_ask_price_lots is not None
    assert point.lowest_bid_price_lots < point.highest_bid_price_lots
    assert point.highest_bid_price_lots < point.lowest_ask_price_lots < point.highest_ask_price_lots
    assert result.summary.empty_grid_ns == 0
    assert result.summary.rebalances_by_reason == (("initial", 1),)


@pytest.mark.asyncio
async def test_simulation_bounds_the_series_by_halving_its_resolution() -> None:
    setup = trading("quiet")
    pacer = SteppedPacer(setup.clock, NS_PER_S)

    result = await run_simulation(
        setup.service, setup.clock, pacer, duration_ns=40 * NS_PER_S, max_points=8
    )

    assert result.summary.ticks == 41
    assert 4 <= len(result.points) <= 8
    steps = [b.ts_ns - a.ts_ns for a, b in zip(result.points, result.points[1:], strict=False)]
    assert min(steps) > 2 * NS_PER_S  # every other tick at least, twice over


@pytest.mark.asyncio
async def test_simulation_zero_points_keeps_no_series() -> None:
    setup = trading("quiet")

    result = await run_simulation(
        setup.service,
        setup.clock,
        SteppedPacer(setup.clock, NS_PER_S),
        duration_ns=3 * NS_PER_S,
        max_points=0,
    )

    assert result.points == ()
    assert result.summary.ticks == 4


@pytest.mark.asyncio
async def test_simulation_stop_event_ends_an_open_run() -> None:
    setup = trading("quiet")
    stop = asyncio.Event()
    ticks: list[int] = []

    def on_tick(state: TradingState) -> None:
        ticks.append(state.ts_ns)
        if len(ticks) == 5:
            stop.set()

    result = await run_simulation(
        setup.service,
        setup.clock,
        SteppedPacer(setup.clock, NS_PER_S),
        duration_ns=None,
        on_tick=on_tick,
        stop=stop,
    )

    assert result.summary.ticks == 5


@pytest.mark.asyncio
async def test_simulation_without_pivot_counts_empty_grid_time() -> None:
    setup = trading("quiet", params=default_params())

    result = await run_simulation(
        setup.service, setup.clock, SteppedPacer(setup.clock, NS_PER_S), duration_ns=5 * NS_PER_S
    )

    assert result.summary.empty_grid_ns == 5 * NS_PER_S
    assert result.summary.rebalances == 0
    assert result.points[0].pivot_price_lots is None


@pytest.mark.asyncio
async def test_simulation_paced_run_waits_for_the_wall_clock() -> None:
    clock = SimClock()
    pacer = SteppedPacer(clock, NS_PER_S, speed=1000.0)
    loop = asyncio.get_running_loop()
    start = loop.time()

    for _ in range(20):
        await pacer.wait_tick()

    assert loop.time() - start >= 0.019  # 20 simulated seconds at 1000x
    assert clock.now_ns() - SimClock().now_ns() == 20 * NS_PER_S
    assert pacer.interval_ns == NS_PER_S


@pytest.mark.asyncio
async def test_simulation_real_time_pacer_sleeps_one_interval() -> None:
    pacer = RealTimePacer(NS_PER_S // 1000)
    loop = asyncio.get_running_loop()
    start = loop.time()

    await pacer.wait_tick()

    assert loop.time() - start >= 0.0009
    assert pacer.interval_ns == NS_PER_S // 1000


@pytest.mark.asyncio
async def test_simulation_rejects_bad_arguments() -> None:
    setup = trading("quiet")
    pacer = SteppedPacer(setup.clock, NS_PER_S)

    with pytest.raises(ConfigError, match="duration or a stop"):
        await run_simulation(setup.service, setup.clock, pacer, duration_ns=None)
    with pytest.raises(ConfigError, match="duration"):
        await run_simulation(setup.service, setup.clock, pacer, duration_ns=-1)
    with pytest.raises(ConfigError, match="tick interval"):
        SteppedPacer(setup.clock, 0)
    with pytest.raises(ConfigError, match="speed"):
        SteppedPacer(setup.clock, NS_PER_S, speed=0.0)
    with pytest.raises(ConfigError, match="tick interval"):
        RealTimePacer(-1)


@pytest.mark.asyncio
async def test_simulation_summary_after_shutdown_counts_the_cancel_all() -> None:
    params = default_params()
    session = bootstrap.simulated_session(params, scenario="random_walk", seed=1, duration_s=60)
    result = await run_simulation(
        session.service, session.clock, session.pacer, duration_ns=60 * NS_PER_S
    )
    await session.service.shutdown()

    summary = with_final_state(result.summary, session.service.state)

    assert summary.orders_resting == 0
    assert summary.orders_cancelled > result.summary.orders_cancelled
    assert summary.orders_placed == summary.orders_cancelled + summary.orders_filled + (
        summary.orders_unfunded + summary.orders_lost
    )
    document = json.loads(json.dumps(summary.as_dict()))
    assert document["rebalances_by_reason"]["initial"] == 1
    assert isinstance(SimulationPoint.of(session.service.state), SimulationPoint)
