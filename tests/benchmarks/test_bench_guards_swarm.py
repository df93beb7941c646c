"""Speed of the per-tick swarm and guard work: 32 levels over 16 wallets.

Run with ``.venv/bin/pytest tests/benchmarks/test_bench_guards_swarm.py --benchmark-enable``.
Target: allocation plus guard evaluation well under 40 us.
"""

from pytest_benchmark.fixture import BenchmarkFixture

from bmvbot.core.config import GuardParams, SwarmParams
from bmvbot.core.guards import (
    GuardObservation,
    RebalanceDecision,
    RebalanceReason,
    decide_rebalance,
)
from bmvbot.core.swarm import Allocation, WalletFunds, allocate, plan_replacement
from bmvbot.core.types import NS_PER_S, BaseLots, Grid, Level, PriceLots, QuoteLots, Side, WalletId

PIVOT_LOTS = 1_000_000
NOW_NS = 1_700_000_000 * NS_PER_S
PARAMS = SwarmParams(wallet_count=16, is_side_split=True)
WALLETS = [
    WalletFunds(WalletId(f"wallet-{i:02d}"), BaseLots(10**9), QuoteLots(10**15)) for i in range(16)
]


def grid_at(pivot_lots: int) -> Grid:
    offsets = [round(5_000 * n**1.2) for n in range(1, 17)]
    sizes = [round(1_000 * 1.1 ** (n - 1)) for n in range(1, 17)]
    return Grid(
        tuple(
            Level(Side.BID, PriceLots(pivot_lots - o), BaseLots(s))
            for o, s in zip(offsets, sizes, strict=True)
        ),
        tuple(
            Level(Side.ASK, PriceLots(pivot_lots + o), BaseLots(s))
            for o, s in zip(offsets, sizes, strict=True)
        ),
    )


RESTING = grid_at(PIVOT_LOTS)
TARGET = grid_at(PIVOT_LOTS + 25_000)
GUARDS = GuardParams()


def allocate_and_decide() -> tuple[Allocation, RebalanceDecision]:
    # the observation is built every tick too, so it is part of the measured step
    observation = GuardObservation(
        NOW_NS, PIVOT_LOTS + 25_000.5, float(PIVOT_LOTS), NOW_NS - 600 * NS_PER_S, RESTING, TARGET
    )
    return (
        allocate(TARGET, WALLETS, PARAMS, NOW_NS),
        decide_rebalance(observation, GUARDS),
    )


def test_bench_allocation_and_guards_32_levels_16_wallets(benchmark: BenchmarkFixture) -> None:
    allocation, decision = benchmark(allocate_and_decide)

    assert allocation.unplaced == ()
    assert sum(len(o.levels) for o in allocation.wallets) == 32
    assert decision.should_rebalance


def test_bench_allocation_32_levels_16_wallets(benchmark: BenchmarkFixture) -> None:
    allocation = benchmark(allocate, TARGET, WALLETS, PARAMS, NOW_NS)

    assert {len(o.levels) for o in allocation.wallets} == {2}


def test_bench_guard_decision_with_material_change_check(benchmark: BenchmarkFixture) -> None:
    unchanged = GuardObservation(
        NOW_NS, PIVOT_LOTS + 25_000.5, float(PIVOT_LOTS), NOW_NS - 600 * NS_PER_S, RESTING, RESTING
    )

    decision = benchmark(decide_rebalance, unchanged, GUARDS)

    assert not decision.should_rebalance


def test_bench_replacement_plan_16_wallets_after_up_move(benchmark: BenchmarkFixture) -> None:
    old = allocate(RESTING, WALLETS, PARAMS, NOW_NS - 60 * NS_PER_S)
    resting = {orders.wallet: orders.levels for orders in old.wallets}
    new = allocate(TARGET, WALLETS, PARAMS, NOW_NS)

    plan = benchmark(plan_replacement, resting, new)

    assert plan.is_single_pass
    assert len(plan.steps) == 16


def test_bench_guard_decision_quiet_tick(benchmark: BenchmarkFixture) -> None:
    # the common tick: market near the pivot, between the inner levels, nothing due
    quiet = GuardObservation(
        NOW_NS, PIVOT_LOTS + 100.5, float(PIVOT_LOTS), NOW_NS - 600 * NS_PER_S, RESTING, TARGET
    )

    decision = benchmark(decide_rebalance, quiet, GuardParams(proximity_fraction=0.001))

    assert decision.reason is RebalanceReason.NONE
