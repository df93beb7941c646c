"""Packing table: transaction and bundle counts per swarm size, every limit checked on the bytes."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from solders.compute_budget import ID as COMPUTE_BUDGET_ID
from solders.instruction import AccountMeta, Instruction
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from solders.system_program import decode_transfer
from solders.transaction import VersionedTransaction
from tests.unit.adapters.openbook.planner_cases import (
    PACKING_WALLETS,
    PlannedCase,
    message_of,
    planned,
    resolved_keys,
    transactions,
)

from bmvbot.adapters.openbook.execution_plan import PackedTransaction
from bmvbot.adapters.openbook.planner import (
    MAX_ACCOUNT_LOCKS,
    TX_SIZE_LIMIT_BYTES,
    ComputeBudgetPolicy,
    entry_args,
)
from bmvbot.adapters.openbook.synthetic import packing_table, packing_table_markdown
from bmvbot.core.swarm import StepKind
from bmvbot.core.types import PlaceOrderType
from bmvbot.openbook import instructions as ix
from bmvbot.openbook.args import PlaceOrdersArgs

README = Path(__file__).resolve().parents[4] / "README.md"

# wallets -> (transactions, bundles): default policy, budget in every tx, delegate mode
EXPECTED_COUNTS = {
    1: ((1, 1), (1, 1), (1, 1)),
    2: ((2, 1), (2, 1), (1, 1)),
    4: ((2, 1), (2, 1), (1, 1)),
    8: ((2, 1), (2, 1), (2, 1)),
    16: ((3, 1), (4, 1), (2, 1)),
    20: ((4, 1), (4, 1), (2, 1)),
}


def _counts(case: PlannedCase) -> tuple[int, int]:
    return case.execution.transaction_count, len(case.execution.bundles)


def _check_transactions(case: PlannedCase) -> None:
    table = list(case.swarm.table.addresses)
    owners = {w.owner for w in case.swarm.accounts.values()}
    for packed in transactions(case.execution):
        signed = VersionedTransaction.from_bytes(packed.transaction)
        message = message_of(packed)
        static = list(message.account_keys)
        signer_count = message.header.num_required_signatures

        assert packed.size_bytes == len(packed.transaction) <= TX_SIZE_LIMIT_BYTES
        assert bytes(signed) == packed.transaction
        assert all(signed.verify_with_results())
        assert message.recent_blockhash == case.swarm.recent_blockhash
        assert [lookup.account_key for lookup in message.address_table_lookups] == [
            case.swarm.table.address
        ]
        assert packed.account_locks == len(resolved_keys(message, table)) <= MAX_ACCOUNT_LOCKS
        assert packed.signers == tuple(str(k) for k in static[:signer_count])
        assert packed.compute_unit_estimate <= packed.compute_unit_limit <= 1_400_000
        assert not (set(static[:signer_count]) | {case.swarm.tip_account}) & set(table)
        assert case.execution.is_delegate or set(static[:signer_count]) <= owners
        _check_budget(packed, static, message.instructions[0].data)


def _check_budget(packed: PackedTransaction, static: list[Pubkey], first_data: bytes) -> None:
    if packed.has_compute_budget:
        assert first_data == b"\x02" + struct.pack("<I", packed.compute_unit_limit)
    else:
        assert COMPUTE_BUDGET_ID not in static


def _check_instructions(case: PlannedCase) -> None:
    # every step is one cancel_all_and_place_orders, in plan order, signed by its wallet (or
    # the delegate), with the entries of its levels; the tip ends each bundle
    table = list(case.swarm.table.addresses)
    steps = iter(case.plan.steps)
    delegate = case.swarm.delegate
    for bundle in case.execution.bundles:
        for position, packed in enumerate(bundle.transactions):
            message = message_of(packed)
            keys = resolved_keys(message, table)
            compiled = [
                Instruction(
                    keys[c.program_id_index],
                    bytes(c.data),
                    [
                        AccountMeta(keys[i], message.is_signer(i), message.is_maybe_writable(i))
                        for i in c.accounts
                    ],
                )
                for c in message.instructions
            ]
            body = compiled[2:] if packed.has_compute_budget else compiled
            if position == len(bundle.transactions) - 1:
                tip = body.pop()
                _check_tip(case, tip, message, packed.signers[0])
            for instruction in body:
                step = next(steps)
                wallet = case.swarm.accounts[step.wallet]
                signer = delegate.keypair.pubkey() if case.execution.is_delegate else wallet.owner
                expected = ix.cancel_all_and_place_orders(
                    case.swarm.keys,
                    signer=signer,
                    open_orders_account=wallet.open_orders_account,
                    user_base_account=(
                        delegate.base_account if case.execution.is_delegate else wallet.base_account
                    ),
                    user_quote_account=(
                        delegate.quote_account
                        if case.execution.is_delegate
                        else wallet.quote_account
                    ),
                    args=PlaceOrdersArgs(
                        PlaceOrderType.POST_ONLY,
                        tuple(entry_args(level, 0) for level in step.bids),
                        tuple(entry_args(level, 0) for level in step.asks),
                        10,
                    ),
                )
                assert instruction.program_id == expected.program_id
                assert instruction.data == expected.data
                assert [a.pubkey for a in instruction.accounts] == [
                    a.pubkey for a in expected.accounts
                ]
                assert instruction.accounts[0].is_signer
    assert next(steps, None) is None


def _check_tip(case: PlannedCase, tip: Instruction, message: MessageV0, payer: str) -> None:
    assert tip.program_id == SYSTEM_PROGRAM_ID
    params = decode_transfer(tip)
    assert params["to_pubkey"] == case.swarm.tip_account
    assert str(params["from_pubkey"]) == payer
    assert params["lamports"] == 10_000
    # the tip account is a static, writable key (never loaded from the table)
    index = list(message.account_keys).index(case.swarm.tip_account)
    assert message.is_maybe_writable(index)


@pytest.mark.parametrize("wallets", PACKING_WALLETS)
def test_planner_packing_table_counts_and_limits(wallets: int) -> None:
    default = planned(wallets)
    always = planned(wallets, policy=ComputeBudgetPolicy.ALWAYS)
    delegated = planned(wallets, is_delegate=True)

    counts = (_counts(default), _counts(always), _counts(delegated))

    assert counts == EXPECTED_COUNTS[wallets]
    for case in (default, always, delegated):
        assert case.execution.is_atomic
        _check_transactions(case)
        _check_instructions(case)


def test_planner_goal_16_and_20_wallets_one_bundle_each() -> None:
    sixteen = planned(16)
    twenty = planned(20)

    assert _counts(sixteen) == (3, 1)
    assert _counts(twenty) == (4, 1)
    assert _counts(planned(16, is_delegate=True)) == (2, 1)
    assert sum(len(s.bids) + len(s.asks) for s in sixteen.plan.steps) == 32


def test_planner_when_room_drops_budget_from_fewest_transactions() -> None:
    case = planned(16)

    flags = [tx.has_compute_budget for tx in transactions(case.execution)]

    # one transaction of six wallets goes without the 52 bytes; the others keep their budget
    assert flags == [False, True, True]
    assert all(tx.has_compute_budget for tx in transactions(planned(20).execution))
    for tx in transactions(case.execution):
        if not tx.has_compute_budget:
            assert tx.compute_unit_limit == 200_000 * len(tx.wallets)


def test_planner_every_step_replaces_in_plan_order() -> None:
    case = planned(20)

    wallets = [w for bundle in case.execution.bundles for w in bundle.wallets]

    assert wallets == [step.wallet for step in case.plan.steps]
    assert all(step.kind is StepKind.REPLACE for step in case.plan.steps)


def test_planner_readme_table_is_generated_by_the_planner() -> None:
    table = packing_table_markdown(packing_table(PACKING_WALLETS))

    assert table in README.read_text(encoding="utf-8")


def test_planner_same_inputs_same_bytes() -> None:
    first = planned(8)
    second = planned(8)

    assert [tx.transaction for tx in transactions(first.execution)] == [
        tx.transaction for tx in transactions(second.execution)
    ]
