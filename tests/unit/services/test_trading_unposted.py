"""Orders a landed step did not rest are accounted as dropped, never as lost."""

from __future__ import annotations

import pytest

from bmvbot import bootstrap
from bmvbot.core.types import NS_PER_S
from bmvbot.services.simulation import run_simulation
from bmvbot.settings import load_settings


@pytest.mark.asyncio
async def test_trading_flash_crash_drops_are_counted_not_lost() -> None:
    # a 50 s flash crash (seed 0) moves outside quotes across new orders while they land
    params = load_settings(None, env={}).to_params()
    session = bootstrap.simulated_session(
        params, scenario="flash_crash", seed=0, duration_s=50, tick_interval_ns=NS_PER_S
    )

    result = await run_simulation(
        session.service, session.clock, session.pacer, duration_ns=49 * NS_PER_S
    )
    stats = session.service.execution

    assert stats.dropped_orders > 0
    assert stats.swarm_crossed_orders == 0
    assert stats.orders_lost == 0
    assert result.summary.mismatches == 0
    assert stats.orders_placed == (
        result.summary.orders_resting
        + stats.orders_cancelled
        + stats.orders_filled
        + stats.orders_unfunded
        + stats.orders_lost
    )
