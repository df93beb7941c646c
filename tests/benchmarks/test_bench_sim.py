"""Throughput of the simulated market: participant events per second, no strategy.

Run: ``.venv/bin/pytest tests/benchmarks/test_bench_sim.py --benchmark-enable``.
One round advances a fresh ``SimulatedVenue`` (4 swarm wallets, no swarm orders) through
``SIMULATED_S`` seconds of a scenario; every scheduled event counts (latent price steps, keeper
cranks, provider looks and requotes, whale walls, noise and informed takes). The event count
per round is in ``extra_info`` (``events_per_round``); events/s = events_per_round / mean.
A second benchmark measures one rebalance (``execute``) of 16 wallets x 2 orders in one bundle
on a busy book, including the bundle checkpoint.
"""

from __future__ import annotations

import asyncio

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from bmvbot.adapters.sim.clock import SimClock
from bmvbot.adapters.sim.scenarios import scenario
from bmvbot.adapters.sim.venue import SimulatedVenue
from bmvbot.core.swarm import ReplacementPlan, ReplacementStep, StepKind
from bmvbot.core.types import BaseLots, Lamports, Level, PriceLots, Side

SIMULATED_S = 600
NS_PER_S = 1_000_000_000


def _advance(name: str) -> int:
    clock = SimClock()
    recipe = scenario(name, seed=1, duration_s=SIMULATED_S)
    venue = SimulatedVenue.create(wallet_count=4, clock=clock, scenario=recipe)
    before = venue.pool.events_processed
    clock.advance(SIMULATED_S * NS_PER_S)
    asyncio.run(venue.snapshot())
    return venue.pool.events_processed - before


@pytest.mark.parametrize("name", ["random_walk", "flash_crash", "whale_wall"])
def test_bench_sim_market_events(benchmark: BenchmarkFixture, name: str) -> None:
    events = benchmark(_advance, name)

    benchmark.extra_info["events_per_round"] = events
    assert events > SIMULATED_S * 5


def test_bench_sim_execute_one_bundle(benchmark: BenchmarkFixture) -> None:
    clock = SimClock()
    venue = SimulatedVenue.create(wallet_count=16, clock=clock, scenario="random_walk", seed=1)
    clock.advance(60 * NS_PER_S)
    snapshot = asyncio.run(venue.snapshot())
    mid = int(snapshot.book.mid_price_lots or 125_000)
    wallets = asyncio.run(venue.wallets())
    rounds = iter(range(10**9))

    def rebalance() -> int:
        shift = next(rounds) % 7
        steps = tuple(
            ReplacementStep(
                wallet,
                StepKind.REPLACE,
                (Level(Side.BID, PriceLots(mid - 400 - 10 * i - shift), BaseLots(100)),),
                (Level(Side.ASK, PriceLots(mid + 400 + 10 * i + shift), BaseLots(100)),),
            )
            for i, wallet in enumerate(wallets)
        )
        report = asyncio.run(venue.execute(ReplacementPlan(steps), Lamports(10_000)))
        return len(report.bundle_ids)

    bundles = benchmark(rebalance)

    assert bundles == 1
