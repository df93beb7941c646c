"""Execution planner invariants over random rebalance plans.

For any plan (wallets, orders per wallet 0..24, cancel steps, delegate or not, either compute
budget policy): every transaction is signed and within 1,232 bytes, 64 locks and 1.4M CU;
bundles hold 1..5 transactions with the tip last; steps appear once each, in plan order; the
plan is atomic exactly when it is one bundle; and every bundle but the last is full (five
transactions), so a plan is split only when it needs more than one bundle.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from solders.transaction import VersionedTransaction

from bmvbot.adapters.openbook.planner import ComputeBudgetPolicy, PlannerParams, plan_execution
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
    execution = plan_execution(
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

    assert execution.is_atomic == (len(execution.bundles) == 1)
    assert [w for b in execution.bundles for w in b.wallets] == [s.wallet for s in plan.steps]
    for bundle in execution.bundles:
        assert 1 <= len(bundle.transactions) <= 5
        assert [tx.has_tip for tx in bundle.transactions] == [False] * (
            len(bundle.transactions) - 1
        ) + [True]
        for tx in bundle.transactions:
            signed = VersionedTransaction.from_bytes(tx.transaction)
            assert len(tx.transaction) == tx.size_bytes <= 1_232
            assert all(signed.verify_with_results())
            assert tx.account_locks <= 64
            assert tx.compute_unit_estimate <= tx.compute_unit_limit <= 1_400_000
            assert tx.wallets
    for bundle in execution.bundles[:-1]:
        assert len(bundle.transactions) == 5
