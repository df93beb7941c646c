"""Speed of the core's per-tick work in one call: grid build with L2 scan, allocation, guards.

Run with ``.venv/bin/pytest tests/benchmarks/test_bench_core_step.py --benchmark-enable``.
Target (issue 2): <= 100 us for build + scan + allocation + guards, 32 levels over 16 wallets.
"""

from pytest_benchmark.fixture import BenchmarkFixture

from bmvbot.core.config import GridParams, GuardParams, SwarmParams
from bmvbot.core.grid import AvailableFunds, GridBuilder
from bmvbot.core.guards import GuardObservation, RebalanceDecision, decide_rebalance
from bmvbot.core.swarm import Allocation, WalletFunds, allocate
from bmvbot.core.types import (
    NS_PER_S,
    BaseLots,
    BookLevel,
    Grid,
    L2Snapshot,
    MarketSpec,
    PriceLots,
    QuoteLots,
    WalletId,
)

NOW_NS = 1_700_000_000 * NS_PER_S
PIVOT_LOTS = 1_250_000.5
BUILDER = GridBuilder(
    GridParams(levels_per_side=16, wall_threshold_quote_lots=10**12, front_run_ticks=1),
    MarketSpec(),
)
SWARM = SwarmParams(wallet_count=16, is_side_split=True)
GUARDS = GuardParams()
WALLETS = [
    WalletFunds(WalletId(f"wallet-{i:02d}"), BaseLots(10**9), QuoteLots(10**15)) for i in range(16)
]
FUNDS = AvailableFunds(quote_lots=10**15, base_lots=10**9)
# yesterday's grid is resting; the pivot moved up 2.5 %, so the guards fire
RESTING = BUILDER.build(PIVOT_LOTS / 1.025)


def _book(center: int) -> L2Snapshot:
    # 25 external levels per side around the market, a wall every 7th bid and every 5th ask
    return L2Snapshot(
        bids=tuple(
            BookLevel(PriceLots(center - 300 - 250 * i), BaseLots(900 if i % 7 != 3 else 10**7))
            for i in range(25)
        ),
        asks=tuple(
            BookLevel(PriceLots(center + 300 + 250 * i), BaseLots(900 if i % 5 != 2 else 10**7))
            for i in range(25)
        ),
    )


BOOK = _book(int(PIVOT_LOTS))


def core_step() -> tuple[Grid, Allocation, RebalanceDecision]:
    target = BUILDER.build(PIVOT_LOTS, BOOK, RESTING, FUNDS)
    allocation = allocate(target, WALLETS, SWARM, NOW_NS)
    observation = GuardObservation(
        NOW_NS, PIVOT_LOTS, PIVOT_LOTS / 1.025, NOW_NS - 600 * NS_PER_S, RESTING, target
    )
    return target, allocation, decide_rebalance(observation, GUARDS)


def test_bench_core_step_build_scan_allocate_guard_32_levels_16_wallets(
    benchmark: BenchmarkFixture,
) -> None:
    target, allocation, decision = benchmark(core_step)

    assert len(target.bids) == len(target.asks) == 16
    assert allocation.unplaced == ()
    assert {len(orders.levels) for orders in allocation.wallets} == {2}
    assert decision.should_rebalance
