"""Planner rules: refused inputs, non-atomic splits, compute-bound packing, cancel steps."""

from __future__ import annotations

from dataclasses import replace

import pytest
from solders.keypair import Keypair
from tests.unit.adapters.openbook.planner_cases import message_of, planned, transactions

from bmvbot.adapters.openbook.execution_plan import ExecutionPlan
from bmvbot.adapters.openbook.lookup_table import LookupTableState
from bmvbot.adapters.openbook.planner import (
    MAX_TRANSACTIONS_PER_BUNDLE,
    PlannerParams,
    plan_execution,
)
from bmvbot.adapters.openbook.synthetic import (
    TABLE_SLOT,
    SyntheticSwarm,
    synthetic_plan,
    synthetic_swarm,
)
from bmvbot.core.errors import ConfigError, FatalVenueError, RejectedError, RetryableVenueError
from bmvbot.core.swarm import ReplacementPlan, ReplacementStep, StepKind
from bmvbot.core.types import BaseLots, Level, PriceLots, Side, WalletId
from bmvbot.openbook import instructions as ix
from bmvbot.openbook.args import PlaceOrdersArgs


def _execute(
    swarm: SyntheticSwarm,
    plan: ReplacementPlan,
    *,
    table: LookupTableState | None = None,
    current_slot: int = TABLE_SLOT + 1,
    keypairs: list[Keypair] | None = None,
    is_delegate: bool = False,
    resting: dict[WalletId, int] | None = None,
) -> ExecutionPlan:
    return plan_execution(
        plan,
        keys=swarm.keys,
        accounts=swarm.accounts,
        keypairs=list(swarm.keypairs) if keypairs is None else keypairs,
        table=table or swarm.table,
        current_slot=current_slot,
        recent_blockhash=swarm.recent_blockhash,
        tip_account=swarm.tip_account,
        delegate=swarm.delegate if is_delegate else None,
        resting_orders=resting,
    )


def _bids(count: int) -> tuple[Level, ...]:
    return tuple(Level(Side.BID, PriceLots(9_000 - i), BaseLots(1)) for i in range(count))


def test_planner_table_extended_in_current_slot_is_refused() -> None:
    swarm = synthetic_swarm(4)
    plan, _ = synthetic_plan(swarm, 8)

    with pytest.raises(RetryableVenueError, match="retry then"):
        _execute(swarm, plan, current_slot=TABLE_SLOT)


def test_planner_deactivated_table_is_refused() -> None:
    swarm = synthetic_swarm(4)
    plan, _ = synthetic_plan(swarm, 8)

    with pytest.raises(FatalVenueError, match="deactivated"):
        _execute(swarm, plan, table=replace(swarm.table, deactivation_slot=TABLE_SLOT))


def test_planner_table_holding_tip_account_or_signer_is_refused() -> None:
    swarm = synthetic_swarm(4)
    plan, _ = synthetic_plan(swarm, 8)
    owner = swarm.keypairs[2].pubkey()

    for intruder in (swarm.tip_account, owner):
        table = swarm.table.extended([intruder], TABLE_SLOT)
        with pytest.raises(ConfigError, match="must not hold signers or the tip account"):
            _execute(swarm, plan, table=table)


def test_planner_table_missing_a_rotated_in_wallet_is_refused() -> None:
    swarm = synthetic_swarm(4)
    plan, _ = synthetic_plan(swarm, 8)
    last = swarm.accounts[swarm.wallet_ids[-1]]
    table = replace(
        swarm.table,
        addresses=tuple(a for a in swarm.table.addresses if a != last.open_orders_account),
    )

    with pytest.raises(RetryableVenueError, match="lacks 1 accounts"):
        _execute(swarm, plan, table=table)


def test_planner_missing_key_or_accounts_is_fatal() -> None:
    swarm = synthetic_swarm(4)
    plan, _ = synthetic_plan(swarm, 8)
    stranger = ReplacementPlan((ReplacementStep(WalletId("stranger"), StepKind.CANCEL),))

    with pytest.raises(FatalVenueError, match="no signing key"):
        _execute(swarm, plan, keypairs=list(swarm.keypairs[1:]))
    with pytest.raises(FatalVenueError, match="no accounts for wallet=stranger"):
        _execute(swarm, stranger)


def test_planner_step_over_open_orders_capacity_is_rejected() -> None:
    swarm = synthetic_swarm(1)
    plan = ReplacementPlan((ReplacementStep(swarm.wallet_ids[0], StepKind.REPLACE, _bids(25)),))

    with pytest.raises(RejectedError, match="holds 24"):
        _execute(swarm, plan)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tip_lamports", 999),
        ("compute_unit_price_micro_lamports", -1),
        ("compute_margin_pct", 401),
        ("match_limit", 256),
        ("maker_fee_ppm", 1_000_000),
        ("compute_budget", "sometimes"),
    ],
)
def test_planner_params_out_of_range_raise(field: str, value: object) -> None:
    with pytest.raises(ConfigError, match=field):
        PlannerParams(**{field: value})  # type: ignore[arg-type]  # one bad field at a time


def test_planner_empty_plan_has_no_bundle() -> None:
    swarm = synthetic_swarm(2)

    execution = plan_execution(
        ReplacementPlan(()),
        keys=swarm.keys,
        accounts=swarm.accounts,
        keypairs=list(swarm.keypairs),
        table=swarm.table,
        current_slot=TABLE_SLOT + 1,
        recent_blockhash=swarm.recent_blockhash,
        tip_account=swarm.tip_account,
    )

    assert execution.bundles == ()
    assert execution.is_atomic
    assert execution.transaction_count == 0


def test_planner_too_large_rebalance_splits_into_fewest_safe_bundles() -> None:
    case = planned(48, 96)

    bundles = case.execution.bundles

    assert not case.execution.is_atomic
    assert [len(b.transactions) for b in bundles] == [MAX_TRANSACTIONS_PER_BUNDLE, 4]
    for bundle in bundles:
        assert [tx.has_tip for tx in bundle.transactions][-1]
        assert not any(tx.has_tip for tx in bundle.transactions[:-1])
    # the split falls between steps, in plan order: each bundle is a prefix-safe piece
    assert [w for b in bundles for w in b.wallets] == [s.wallet for s in case.plan.steps]
    assert len({b.bundle_id for b in bundles}) == 2


def test_planner_compute_bound_transactions_stay_under_the_cap() -> None:
    swarm = synthetic_swarm(30)
    plan, resting = synthetic_plan(swarm, 30)
    keys = [swarm.delegate.keypair]

    worst = _execute(swarm, plan, keypairs=keys, is_delegate=True)
    known = _execute(swarm, plan, keypairs=keys, is_delegate=True, resting=resting)

    # assuming 24 resting orders per wallet, 13 instructions reach the 1.4M cap before the
    # bytes run out; with the real counts the bytes bind first
    assert [len(tx.wallets) for tx in transactions(worst)] == [13, 13, 4]
    assert all(tx.compute_unit_limit <= 1_400_000 for tx in transactions(worst))
    assert [len(tx.wallets) for tx in transactions(known)] == [16, 14]


def test_planner_cancel_first_wallet_sends_two_instructions() -> None:
    swarm = synthetic_swarm(2)
    first, second = swarm.wallet_ids
    plan = ReplacementPlan(
        (
            ReplacementStep(first, StepKind.CANCEL),
            ReplacementStep(second, StepKind.REPLACE, _bids(2), stage=1),
            ReplacementStep(first, StepKind.REPLACE, _bids(3)[2:], stage=1),
        )
    )

    execution = _execute(swarm, plan)

    (packed,) = transactions(execution)
    assert packed.wallets == (first, second, first)
    message = message_of(packed)
    datas = [bytes(c.data) for c in message.instructions[2:5]]
    decoded = [ix.decode_instruction(data) for data in datas]
    assert [d.name for d in decoded] == ["cancel_all_and_place_orders"] * 3
    batches = [d.args for d in decoded]
    assert all(isinstance(b, PlaceOrdersArgs) for b in batches)
    assert [len(b.bids) for b in batches if isinstance(b, PlaceOrdersArgs)] == [0, 2, 1]
    # a wallet's second instruction has nothing left to cancel: 24 + 2 cancels, not 24 + 2 + 24
    cancels_and_places = (21_800 + 24 * 2_300) + (21_800 + 24 * 2_300 + 2 * 7_750)
    cancels_and_places += 21_800 + 7_750
    assert packed.compute_unit_estimate == -(-(cancels_and_places + 3 * 150) * 125 // 100)


def test_planner_rotated_in_wallet_plans_one_slot_after_the_extension() -> None:
    swarm = synthetic_swarm(4)
    plan, _ = synthetic_plan(swarm, 8)
    newcomer = swarm.accounts[swarm.wallet_ids[-1]]
    wallet_keys = (newcomer.open_orders_account, newcomer.base_account, newcomer.quote_account)
    before = replace(
        swarm.table, addresses=tuple(a for a in swarm.table.addresses if a not in wallet_keys)
    )
    extension_slot = TABLE_SLOT + 10

    extends = before.extend_instructions(before.authority, wallet_keys)
    after = before.extended(wallet_keys, extension_slot)

    assert len(extends) == 1
    assert before.missing(wallet_keys) == wallet_keys
    with pytest.raises(RetryableVenueError, match="lacks 3 accounts"):
        _execute(swarm, plan, table=before, current_slot=extension_slot)
    with pytest.raises(RetryableVenueError, match="retry then"):
        _execute(swarm, plan, table=after, current_slot=extension_slot)
    assert _execute(swarm, plan, table=after, current_slot=extension_slot + 1).is_atomic
