"""Lookup table: address derivation, instruction layouts, lifecycle state, and a LiteSVM run."""

from __future__ import annotations

import struct

import pytest
from solders.address_lookup_table_account import (
    AddressLookupTableAccount,
    derive_lookup_table_address,
)
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.system_program import (
    CloseLookupTableParams,
    DeactivateLookupTableParams,
    ExtendLookupTableParams,
    TransferParams,
    transfer,
)
from solders.system_program import close_lookup_table as solders_close
from solders.system_program import create_lookup_table as solders_create
from solders.system_program import deactivate_lookup_table as solders_deactivate
from solders.system_program import extend_lookup_table as solders_extend
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata

from bmvbot.adapters.openbook.lookup_table import (
    EXTEND_ADDRESSES_PER_TRANSACTION,
    MAX_ADDRESSES,
    LookupTableState,
    close_lookup_table,
    create_lookup_table,
    deactivate_lookup_table,
    extend_lookup_table,
    lookup_table_address,
    swarm_table_addresses,
)
from bmvbot.adapters.openbook.synthetic import synthetic_swarm
from bmvbot.core.errors import CodecError, ConfigError, FatalVenueError, RetryableVenueError
from bmvbot.openbook.ids import TOKEN_PROGRAM_ID


def _keys(count: int) -> list[Pubkey]:
    return [Keypair.from_seed(bytes([i + 1]) * 32).pubkey() for i in range(count)]


def test_planner_lookup_table_address_matches_solders_derivation() -> None:
    authority = _keys(1)[0]

    for slot in (0, 1, 270_000_002, 2**64 - 1):
        assert (
            lookup_table_address(authority, slot)[0]
            == derive_lookup_table_address(authority, slot)[0]
        )


def test_planner_lookup_table_slot_out_of_range_raises() -> None:
    with pytest.raises(CodecError, match="recent_slot must be a u64"):
        lookup_table_address(_keys(1)[0], -1)


def test_planner_lookup_table_instructions_match_program_layout() -> None:
    authority, payer, recipient = _keys(3)
    addresses = _keys(30)

    create, table = create_lookup_table(authority, payer, 42)
    bump = lookup_table_address(authority, 42)[1]
    extend = extend_lookup_table(table, authority, payer, addresses)

    assert create.data == struct.pack("<IQB", 0, 42, bump)
    reference = solders_create(
        {"authority_address": authority, "payer_address": payer, "recent_slot": 42}
    )
    assert reference[1] == table
    assert reference[0].data == create.data
    # the authority signs our create (accepted with or without the relaxed-signer feature)
    assert create.accounts[1].is_signer
    extend_params: ExtendLookupTableParams = {
        "lookup_table_address": table,
        "authority_address": authority,
        "payer_address": payer,
        "new_addresses": addresses,
    }
    assert extend == solders_extend(extend_params)
    deactivate_params: DeactivateLookupTableParams = {
        "lookup_table_address": table,
        "authority_address": authority,
    }
    assert deactivate_lookup_table(table, authority) == solders_deactivate(deactivate_params)
    close_params: CloseLookupTableParams = {
        "lookup_table_address": table,
        "authority_address": authority,
        "recipient_address": recipient,
    }
    assert close_lookup_table(table, authority, recipient) == solders_close(close_params)


@pytest.mark.parametrize("count", [0, EXTEND_ADDRESSES_PER_TRANSACTION + 1])
def test_planner_lookup_table_extend_size_out_of_range_raises(count: int) -> None:
    authority, payer, table = _keys(3)

    with pytest.raises(ConfigError, match=r"an extend carries 1\.\.30 addresses"):
        extend_lookup_table(table, authority, payer, _keys(count))


def test_planner_lookup_table_contents_exclude_signers_and_programs() -> None:
    swarm = synthetic_swarm(4)

    addresses = swarm_table_addresses(swarm.keys, list(swarm.accounts.values()))

    owners = {w.owner for w in swarm.accounts.values()}
    assert not owners & set(addresses)
    assert swarm.keys.program_id not in addresses
    assert TOKEN_PROGRAM_ID in addresses
    assert len(addresses) == 7 + 3 * 4 == len(set(addresses))


def test_planner_lookup_table_active_only_after_its_last_extension_slot() -> None:
    table = LookupTableState(_keys(1)[0], _keys(2)[1], tuple(_keys(3)), last_extended_slot=100)

    assert not table.is_active(100)
    assert table.is_active(101)
    with pytest.raises(RetryableVenueError, match="usable from the next slot"):
        table.require_active(100)
    table.require_active(101)


def test_planner_lookup_table_extension_moves_activation_slot() -> None:
    table = LookupTableState(_keys(1)[0], _keys(2)[1], tuple(_keys(3)), last_extended_slot=100)
    new = _keys(5)

    extended = table.extended(new, 150)

    assert extended.addresses == tuple(_keys(5))
    assert table.missing(new) == tuple(_keys(5)[3:])
    assert extended.missing(new) == ()
    assert not extended.is_active(150)
    assert extended.is_active(151)


def test_planner_lookup_table_deactivated_is_refused() -> None:
    table = LookupTableState(_keys(1)[0], _keys(2)[1], (), 10, deactivation_slot=20)

    assert not table.is_active(1_000)
    with pytest.raises(FatalVenueError, match="deactivated"):
        table.require_active(1_000)


def test_planner_lookup_table_full_refuses_more_addresses() -> None:
    authority = _keys(1)[0]
    full = LookupTableState(authority, authority, tuple(Pubkey.new_unique() for _ in range(250)), 1)

    with pytest.raises(ConfigError, match="exceeds 256"):
        full.extend_instructions(authority, _keys(7))
    with pytest.raises(ConfigError, match=f"at most {MAX_ADDRESSES}"):
        LookupTableState(authority, authority, tuple(_keys(1)) * 257, 1)


def test_planner_lookup_table_extend_instructions_chunk_by_transaction() -> None:
    authority, table = _keys(2)
    state = LookupTableState(table, authority, (), 1)

    chunks = state.extend_instructions(authority, [Pubkey.new_unique() for _ in range(65)])

    assert [struct.unpack_from("<Q", ix.data, 4)[0] for ix in chunks] == [30, 30, 5]


def test_planner_lookup_table_decode_rejects_foreign_data() -> None:
    with pytest.raises(CodecError, match="not an address lookup table"):
        LookupTableState.from_account_data(_keys(1)[0], b"\x01\x02")


def _send(
    svm: LiteSVM, payer: Keypair, ixs: list[Instruction], tables: list[AddressLookupTableAccount]
) -> bool:
    message = MessageV0.try_compile(payer.pubkey(), ixs, tables, svm.latest_blockhash())
    result = svm.send_transaction(VersionedTransaction(message, [payer]))
    svm.expire_blockhash()
    return not isinstance(result, FailedTransactionMetadata)


def test_planner_lookup_table_lifecycle_runs_on_litesvm() -> None:
    svm = LiteSVM()
    payer = Keypair()
    svm.airdrop(payer.pubkey(), 10**10)
    slot = svm.get_clock().slot
    destinations = [Pubkey.new_unique() for _ in range(EXTEND_ADDRESSES_PER_TRANSACTION)]
    create, table = create_lookup_table(payer.pubkey(), payer.pubkey(), slot)
    extend = extend_lookup_table(table, payer.pubkey(), payer.pubkey(), destinations)
    extend_tx = MessageV0.try_compile(payer.pubkey(), [extend], [], Hash.default())
    pay = [
        transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=d, lamports=10**6))
        for d in destinations[:3]
    ]

    assert _send(svm, payer, [create], [])
    assert len(bytes(VersionedTransaction(extend_tx, [payer]))) <= 1_232
    assert _send(svm, payer, [extend], [])
    account = svm.get_account(table)
    assert account is not None
    state = LookupTableState.from_account_data(table, bytes(account.data))
    assert state.addresses == tuple(destinations)
    assert state.last_extended_slot == slot
    assert state.deactivation_slot is None
    assert not state.is_active(svm.get_clock().slot)
    assert not _send(svm, payer, pay, [state.account()])  # same slot: entries not usable yet
    svm.warp_to_slot(slot + 1)
    assert state.is_active(svm.get_clock().slot)
    assert _send(svm, payer, pay, [state.account()])
    assert svm.get_balance(destinations[0]) == 10**6
    assert _send(svm, payer, [deactivate_lookup_table(table, payer.pubkey())], [])
    account = svm.get_account(table)
    assert account is not None
    assert LookupTableState.from_account_data(table, bytes(account.data)).deactivation_slot == (
        slot + 1
    )
