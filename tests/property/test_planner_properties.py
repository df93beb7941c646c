"""Execution planner invariants over random rebalance plans.

For any plan (wallets, orders per wallet 0..24, cancel steps, delegate or not, either compute
budget policy): every transaction is signed and within 1,232 bytes, 64 locks and 1.4M CU;
bundles hold 1..5 transactions with the tip last; steps appear once each, in plan order; the
plan is atomic exactly when it is one bundle. On small plans the packing is optimal: no way of
cutting the steps into transactions and bundles has fewer bundles, then fewer transactions,
then fewer transactions without a compute budget.
"""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st
from solders.transaction import VersionedTransaction

from bmvbot.adapters.openbook.execution_plan import ExecutionPlan
from bmvbot.adapters.openbook.packing import Packer
from bmvbot.adapters.openbook.planner import (
    ComputeBudgetPolicy,
    PlannerParams,
    build_packer,
    plan_execution,
)
from bmvbot.adapters.openbook.synthetic import TABLE_SLOT, synthetic_swarm
from bmvbot.core.swarm import ReplacementPlan, ReplacementStep, StepKind
from bmvbot.core.types import BaseLots, Level, PriceLots, Side

SWARM = synthetic_swarm(40, seed=3)


def _step(index: int, bids: int, asks: int) -> ReplacementStep:
    wallet = SWARM.wallet_ids[index]
    bid_levels = tuple(Level(Side.BID, PriceLots(5_000 - i), BaseLots(3)) for i in range(bids))
    ask_levels = tuple(Level(Side.ASK, PriceLots(6_000 + i), BaseLots(3)) for i in range(asks))
    kind = StepKind.REPLACE if bids + asks else StepKind.CANCEL
    return ReplacementStep(wallet, kind, bid_levels, ask_levels)


@st.composite
def plans(draw: st.DrawFn) -> ReplacementPlan:
    count = draw(st.integers(1, len(SWARM.wallet_ids)))
    wallets = draw(st.permutations(range(len(SWARM.wallet_ids))))[:count]
    steps = []
    for index in wallets:
        bids = draw(st.integers(0, 24))
        asks = draw(st.integers(0, 24 - bids))
        steps.append(_step(index, bids, asks))
    return ReplacementPlan(tuple(steps))


def _packer(plan: ReplacementPlan, is_delegate: bool, policy: ComputeBudgetPolicy) -> Packer:
    return build_packer(
        plan,
        keys=SWARM.keys,
        accounts=SWARM.accounts,
        table=SWARM.table,
        recent_blockhash=SWARM.recent_blockhash,
        tip_account=SWARM.tip_account,
        params=PlannerParams(compute_budget=policy),
        delegate=SWARM.delegate if is_delegate else None,
        resting_orders=dict.fromkeys(SWARM.wallet_ids, 24),
    )


def _execute(
    plan: ReplacementPlan, is_delegate: bool, policy: ComputeBudgetPolicy, resting: int
) -> ExecutionPlan:
    return plan_execution(
        plan,
        keys=SWARM.keys,
        accounts=SWARM.accounts,
        keypairs=[*SWARM.keypairs, SWARM.delegate.keypair],
        table=SWARM.table,
        current_slot=TABLE_SLOT + 1,
        recent_blockhash=SWARM.recent_blockhash,
        tip_account=SWARM.tip_account,
        params=PlannerParams(compute_budget=policy),
        delegate=SWARM.delegate if is_delegate else None,
        resting_orders=dict.fromkeys(SWARM.wallet_ids, resting),
    )


@settings(max_examples=25, deadline=None)
@given(
    plan=plans(),
    is_delegate=st.booleans(),
    policy=st.sampled_from(ComputeBudgetPolicy),
    resting=st.integers(0, 24),
)
def test_planner_any_plan_packs_within_limits_in_order(
    plan: ReplacementPlan, is_delegate: bool, policy: ComputeBudgetPolicy, resting: int
) -> None:
    execution = _execute(plan, is_delegate, policy, resting)

    assert execution.is_atomic == (len(execution.bundles) == 1)
    assert [w for b in execution.bundles for w in b.wallets] == [s.wallet for s in plan.steps]
    for bundle in execution.bundles:
        assert 1 <= len(bundle.transactions) <= 5
        tips = [tx.has_tip for tx in bundle.transactions]
        assert tips == [False] * (len(tips) - 1) + [True]
        for tx in bundle.transactions:
            signed = VersionedTransaction.from_bytes(tx.transaction)
            assert len(tx.transaction) == tx.size_bytes <= 1_232
            assert all(signed.verify_with_results())
            assert tx.account_locks <= 64
            assert tx.compute_unit_estimate <= tx.compute_unit_limit <= 1_400_000
            assert tx.wallets


def _bundle_sizes(tips: list[bool]) -> list[int]:
    sizes, count = [], 0
    for tip in tips:
        count += 1
        if tip:
            sizes.append(count)
            count = 0
    return sizes


def _brute_force_cost(packer: Packer) -> tuple[int, int, int]:
    # every way to cut the units into transactions and the transactions into bundles
    total = len(packer.units)
    best = (total + 1, total + 1, total + 1)
    for cuts in itertools.product((False, True), repeat=total - 1):
        bounds = [0, *[i + 1 for i, cut in enumerate(cuts) if cut], total]
        spans = list(itertools.pairwise(bounds))
        for closes in itertools.product((False, True), repeat=len(spans) - 1):
            tips = [*closes, True]
            sizes = _bundle_sizes(tips)
            fitted = [packer.candidate(a, b, tip) for (a, b), tip in zip(spans, tips, strict=True)]
            candidates = [c for c in fitted if c is not None]
            if max(sizes) > 5 or len(candidates) < len(fitted):
                continue
            without = sum(not c.has_budget for c in candidates)
            best = min(best, (len(sizes), len(spans), without))
    return best


@settings(max_examples=15, deadline=None)
@given(
    orders=st.lists(st.integers(0, 24), min_size=1, max_size=7),
    is_delegate=st.booleans(),
    policy=st.sampled_from(ComputeBudgetPolicy),
)
def test_planner_packing_is_optimal_on_small_plans(
    orders: list[int], is_delegate: bool, policy: ComputeBudgetPolicy
) -> None:
    plan = ReplacementPlan(tuple(_step(i, n, 0) for i, n in enumerate(orders)))
    packer = _packer(plan, is_delegate, policy)

    execution = _execute(plan, is_delegate, policy, 24)

    cost = (
        len(execution.bundles),
        execution.transaction_count,
        sum(not tx.has_compute_budget for b in execution.bundles for tx in b.transactions),
    )
    assert cost == _brute_force_cost(packer)
