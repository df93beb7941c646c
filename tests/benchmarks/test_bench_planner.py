"""Speed of the execution planner: a 32-order rebalance packed, signed and checked.

Run: ``.venv/bin/pytest tests/benchmarks/test_bench_planner.py --benchmark-enable``.
Each run compiles and serializes every candidate transaction (real bytes, locks and CU) and
signs the chosen ones; the synthetic swarm (key derivation) is built outside the timed part.
"""

from __future__ import annotations

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from bmvbot.adapters.openbook.execution_plan import ExecutionPlan
from bmvbot.adapters.openbook.planner import ComputeBudgetPolicy, PlannerParams, plan_execution
from bmvbot.adapters.openbook.synthetic import TABLE_SLOT, synthetic_plan, synthetic_swarm


@pytest.mark.parametrize(
    ("wallets", "is_delegate", "policy", "expected_transactions"),
    [
        (16, False, ComputeBudgetPolicy.WHEN_ROOM, 3),
        (16, False, ComputeBudgetPolicy.ALWAYS, 4),
        (20, False, ComputeBudgetPolicy.WHEN_ROOM, 4),
        (16, True, ComputeBudgetPolicy.WHEN_ROOM, 2),
    ],
)
def test_bench_plan_execution_32_orders(
    benchmark: BenchmarkFixture,
    wallets: int,
    is_delegate: bool,
    policy: ComputeBudgetPolicy,
    expected_transactions: int,
) -> None:
    swarm = synthetic_swarm(wallets)
    plan, resting = synthetic_plan(swarm, 32)
    params = PlannerParams(compute_budget=policy)

    def run() -> ExecutionPlan:
        return plan_execution(
            plan,
            keys=swarm.keys,
            accounts=swarm.accounts,
            keypairs=[*swarm.keypairs, swarm.delegate.keypair],
            table=swarm.table,
            current_slot=TABLE_SLOT + 1,
            recent_blockhash=swarm.recent_blockhash,
            tip_account=swarm.tip_account,
            params=params,
            delegate=swarm.delegate if is_delegate else None,
            resting_orders=resting,
        )

    assert benchmark(run).transaction_count == expected_transactions
