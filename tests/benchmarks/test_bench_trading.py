"""Speed of the trading loop: one decision step, and the full loop on the simulated market.

Run: ``.venv/bin/pytest tests/benchmarks/test_bench_trading.py --benchmark-enable``.

- decision step: ``TradingService.decide`` on a venue snapshot of 32 resting levels over 16
  wallets (pivot, ledger reconcile, external book, grid build with wall scan, crossing filter,
  guards, allocation, replacement order, self-trade check) when the entropy guard fires.
- full loop: ten simulated minutes of the ``flash_crash`` market at one tick per second; the
  simulated market events per second (participant actions, latent steps, cranks) are reported
  in ``extra_info["market_events_per_s"]``.
"""

from __future__ import annotations

import asyncio

from pytest_benchmark.fixture import BenchmarkFixture
from tests.factories import Trading, lp_scenario, trading

from bmvbot import bootstrap
from bmvbot.ports.venue import MarketSnapshot
from bmvbot.services.simulation import SimulationResult, run_simulation
from bmvbot.services.state import TickDecision
from bmvbot.settings import load_settings

LOOP_DURATION_S = 600


async def _entropy_due() -> tuple[Trading, MarketSnapshot]:
    setup = trading(lp_scenario())
    await setup.service.tick()
    setup.advance_s(3601)
    return setup, await setup.venue.snapshot()


def test_bench_trading_decision_step_32_levels_16_wallets(benchmark: BenchmarkFixture) -> None:
    setup, snapshot = asyncio.run(_entropy_due())
    assert len(snapshot.orders) == 32

    decision: TickDecision = benchmark(setup.service.decide, snapshot)

    assert decision.reason == "entropy"
    assert decision.plan is not None
    assert len(decision.plan.steps) == 16
    assert sum(len(s.bids) + len(s.asks) for s in decision.plan.steps) == 32


def _loop() -> tuple[SimulationResult, int]:
    params = load_settings(None, env={}).to_params()
    session = bootstrap.simulated_session(
        params, scenario="flash_crash", seed=7, duration_s=LOOP_DURATION_S
    )
    result = asyncio.run(
        run_simulation(
            session.service,
            session.clock,
            session.pacer,
            duration_ns=LOOP_DURATION_S * 10**9,
        )
    )
    return result, session.venue.pool.events_processed


def test_bench_trading_full_loop_market_events_per_second(benchmark: BenchmarkFixture) -> None:
    result, events = benchmark.pedantic(  # type: ignore[no-untyped-call]  # untyped upstream
        _loop, rounds=3, iterations=1
    )

    assert result.summary.ticks == LOOP_DURATION_S + 1
    assert result.summary.fills > 0
    assert events > 0
    if benchmark.stats is not None:  # None when benchmarks are disabled (plain test runs)
        mean_s = benchmark.stats.stats.mean
        benchmark.extra_info["market_events"] = events
        benchmark.extra_info["market_events_per_s"] = round(events / mean_s)
        benchmark.extra_info["ticks_per_s"] = round(result.summary.ticks / mean_s)
