"""The swarm's address lookup table: contents, lifecycle state and its instructions.

One table per market and swarm holds every account the rebalance instructions reference except
signers, invoked programs (they must be static keys) and Jito tip accounts (the block engine
needs a static, write-locked tip account): the market, bids, asks, event heap, both vaults, the
token program, any oracles, and each wallet's OpenOrders account and base and quote token
accounts (solana-jito-jupiter.md section 2.3).

Lifecycle: ``create`` (the address is the PDA of ``[authority, recent_slot as u64 LE]`` under
the lookup-table program, ``recent_slot`` at most 512 slots old), ``extend`` (at most 30
addresses per transaction), then entries are usable only once ``current_slot >
last_extended_slot``; ``deactivate`` makes the table unusable once its deactivation slot leaves
SlotHashes (512 slots), after which ``close`` returns the rent. ``LookupTableState`` records the
slots; the planner refuses a table that is not active. Instructions are built by hand in the
program's bincode layout (solders 0.29 has builders only in ``system_program`` and its create
leaves the authority unsigned, which older programs reject).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from solders.address_lookup_table_account import (
    ID as LOOKUP_TABLE_PROGRAM_ID,
)
from solders.address_lookup_table_account import (
    AddressLookupTable,
    AddressLookupTableAccount,
)
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from bmvbot.core.errors import CodecError, ConfigError, FatalVenueError, RetryableVenueError
from bmvbot.openbook.ids import SYSTEM_PROGRAM_ID, TOKEN_PROGRAM_ID
from bmvbot.openbook.instruction_codec import MarketKeys

__all__ = [
    "LOOKUP_TABLE_PROGRAM_ID",
    "MAX_ADDRESSES",
    "LookupTableState",
    "WalletAccounts",
    "close_lookup_table",
    "create_lookup_table",
    "deactivate_lookup_table",
    "extend_lookup_table",
    "lookup_table_address",
    "swarm_table_addresses",
]

MAX_ADDRESSES = 256
"""A table holds at most 256 addresses."""
EXTEND_ADDRESSES_PER_TRANSACTION = 30
"""Addresses one extend transaction carries within 1,232 bytes (one signer, no budget ixs)."""
SLOT_HASHES_DEPTH = 512
"""Slots a recent slot (create) or a deactivation slot stays in the SlotHashes sysvar."""
_NOT_DEACTIVATED = 2**64 - 1

_CREATE, _FREEZE, _EXTEND, _DEACTIVATE, _CLOSE = range(5)


@dataclass(frozen=True, slots=True)
class WalletAccounts:
    """The accounts of one swarm wallet on one market.

    Attributes:
        owner: the wallet (signs its own instructions; never in the table).
        open_orders_account: its OpenOrders account on the market.
        base_account: its base-mint token account.
        quote_account: its quote-mint token account.
    """

    owner: Pubkey
    open_orders_account: Pubkey
    base_account: Pubkey
    quote_account: Pubkey


def swarm_table_addresses(
    keys: MarketKeys,
    wallets: Sequence[WalletAccounts],
    extra_token_accounts: Sequence[Pubkey] = (),
) -> tuple[Pubkey, ...]:
    """Return the table's addresses: market accounts, token program, oracles, wallet accounts.

    ``extra_token_accounts`` adds accounts such as a delegate's token accounts. Duplicates are
    listed once, in first-seen order.
    """
    market = [keys.market, keys.bids, keys.asks, keys.event_heap, keys.base_vault]
    market += [keys.quote_vault, TOKEN_PROGRAM_ID]
    market += [oracle for oracle in (keys.oracle_a, keys.oracle_b) if oracle is not None]
    per_wallet = [
        key
        for wallet in wallets
        for key in (wallet.open_orders_account, wallet.base_account, wallet.quote_account)
    ]
    return tuple(dict.fromkeys([*market, *per_wallet, *extra_token_accounts]))


def lookup_table_address(authority: Pubkey, recent_slot: int) -> tuple[Pubkey, int]:
    """Return the table address and bump: PDA ``[authority, u64_le(recent_slot)]``.

    Raises:
        CodecError: ``recent_slot`` is not a u64.
    """
    if not 0 <= recent_slot < 2**64:
        raise CodecError(f"recent_slot must be a u64, was {recent_slot}")
    seeds = [bytes(authority), recent_slot.to_bytes(8, "little")]
    return Pubkey.find_program_address(seeds, LOOKUP_TABLE_PROGRAM_ID)


def create_lookup_table(
    authority: Pubkey, payer: Pubkey, recent_slot: int
) -> tuple[Instruction, Pubkey]:
    """Return the create instruction and the new table's address.

    ``recent_slot`` must be a slot still in SlotHashes (a recent finalized slot).
    """
    table, bump = lookup_table_address(authority, recent_slot)
    data = struct.pack("<IQB", _CREATE, recent_slot, bump)
    accounts = [
        AccountMeta(table, is_signer=False, is_writable=True),
        AccountMeta(authority, is_signer=True, is_writable=False),
        AccountMeta(payer, is_signer=True, is_writable=True),
        AccountMeta(SYSTEM_PROGRAM_ID, is_signer=False, is_writable=False),
    ]
    return Instruction(LOOKUP_TABLE_PROGRAM_ID, data, accounts), table


def extend_lookup_table(
    table: Pubkey, authority: Pubkey, payer: Pubkey, addresses: Sequence[Pubkey]
) -> Instruction:
    """Return the extend instruction appending ``addresses`` (1..30 per transaction).

    Raises:
        ConfigError: no address, or more than fit one transaction.
    """
    if not 1 <= len(addresses) <= EXTEND_ADDRESSES_PER_TRANSACTION:
        raise ConfigError(
            f"an extend carries 1..{EXTEND_ADDRESSES_PER_TRANSACTION} addresses, "
            f"was {len(addresses)}"
        )
    data = struct.pack("<IQ", _EXTEND, len(addresses)) + b"".join(map(bytes, addresses))
    accounts = [
        AccountMeta(table, is_signer=False, is_writable=True),
        AccountMeta(authority, is_signer=True, is_writable=False),
        AccountMeta(payer, is_signer=True, is_writable=True),
        AccountMeta(SYSTEM_PROGRAM_ID, is_signer=False, is_writable=False),
    ]
    return Instruction(LOOKUP_TABLE_PROGRAM_ID, data, accounts)


def deactivate_lookup_table(table: Pubkey, authority: Pubkey) -> Instruction:
    """Return the deactivate instruction (the table stays usable for 512 more slots)."""
    accounts = [
        AccountMeta(table, is_signer=False, is_writable=True),
        AccountMeta(authority, is_signer=True, is_writable=False),
    ]
    return Instruction(LOOKUP_TABLE_PROGRAM_ID, struct.pack("<I", _DEACTIVATE), accounts)


def close_lookup_table(table: Pubkey, authority: Pubkey, recipient: Pubkey) -> Instruction:
    """Return the close instruction (only once deactivated and out of SlotHashes)."""
    accounts = [
        AccountMeta(table, is_signer=False, is_writable=True),
        AccountMeta(authority, is_signer=True, is_writable=False),
        AccountMeta(recipient, is_signer=False, is_writable=True),
    ]
    return Instruction(LOOKUP_TABLE_PROGRAM_ID, struct.pack("<I", _CLOSE), accounts)


def _chunks(addresses: Sequence[Pubkey], size: int) -> list[tuple[Pubkey, ...]]:
    return [tuple(addresses[i : i + size]) for i in range(0, len(addresses), size)]


@dataclass(frozen=True, slots=True)
class LookupTableState:
    """What the bot knows about its table on chain.

    Attributes:
        address: the table's address.
        authority: the key allowed to extend, deactivate and close it.
        addresses: its entries, in table order.
        last_extended_slot: the slot of the last create or extend; entries are usable only
            in later slots.
        deactivation_slot: the slot it was deactivated in, None while active.
    """

    address: Pubkey
    authority: Pubkey
    addresses: tuple[Pubkey, ...]
    last_extended_slot: int
    deactivation_slot: int | None = None

    def __post_init__(self) -> None:
        if len(self.addresses) > MAX_ADDRESSES:
            raise ConfigError(
                f"a lookup table holds at most {MAX_ADDRESSES} addresses, was {len(self.addresses)}"
            )

    @classmethod
    def from_account_data(cls, address: Pubkey, data: bytes) -> LookupTableState:
        """Return the state decoded from the table account's data (``getAccountInfo``).

        Raises:
            CodecError: the data is not a lookup table.
        """
        try:
            table = AddressLookupTable.deserialize(data)
        except ValueError as e:
            raise CodecError(f"account {address} is not an address lookup table: {e}") from e
        meta = table.meta
        if meta.authority is None:
            raise CodecError(f"lookup table {address} is frozen (no authority)")
        deactivation = meta.deactivation_slot
        return cls(
            address,
            meta.authority,
            tuple(table.addresses),
            meta.last_extended_slot,
            None if deactivation == _NOT_DEACTIVATED else deactivation,
        )

    def is_active(self, current_slot: int) -> bool:
        """Return True when every entry is usable at ``current_slot`` and it is not deactivated."""
        return self.deactivation_slot is None and current_slot > self.last_extended_slot

    def require_active(self, current_slot: int) -> None:
        """Check that the table can be used at ``current_slot``.

        Raises:
            RetryableVenueError: it was created or extended in this slot or later; retry in a
                later slot.
            FatalVenueError: it was deactivated; create a new table.
        """
        if self.deactivation_slot is not None:
            raise FatalVenueError(
                f"lookup table {self.address} was deactivated at slot "
                f"{self.deactivation_slot}; create and extend a new one"
            )
        if current_slot <= self.last_extended_slot:
            raise RetryableVenueError(
                f"lookup table {self.address} was last extended at slot "
                f"{self.last_extended_slot}, current slot is {current_slot}: entries are usable "
                "from the next slot on; retry then"
            )

    def missing(self, addresses: Iterable[Pubkey]) -> tuple[Pubkey, ...]:
        """Return the addresses not in the table yet (wallets that rotated in), in order."""
        present = set(self.addresses)
        return tuple(dict.fromkeys(a for a in addresses if a not in present))

    def extend_instructions(
        self, payer: Pubkey, addresses: Sequence[Pubkey]
    ) -> tuple[Instruction, ...]:
        """Return one extend instruction per transaction adding ``addresses`` not yet present.

        Raises:
            ConfigError: the table would exceed 256 addresses.
        """
        new = self.missing(addresses)
        if len(self.addresses) + len(new) > MAX_ADDRESSES:
            raise ConfigError(
                f"lookup table {self.address} holds {len(self.addresses)} addresses; adding "
                f"{len(new)} exceeds {MAX_ADDRESSES}: create a second table for this swarm"
            )
        return tuple(
            extend_lookup_table(self.address, self.authority, payer, chunk)
            for chunk in _chunks(new, EXTEND_ADDRESSES_PER_TRANSACTION)
        )

    def extended(self, addresses: Sequence[Pubkey], slot: int) -> LookupTableState:
        """Return the state after an extend with ``addresses`` landed at ``slot``."""
        new = self.missing(addresses)
        return LookupTableState(
            self.address,
            self.authority,
            self.addresses + new,
            max(slot, self.last_extended_slot),
            self.deactivation_slot,
        )

    def account(self) -> AddressLookupTableAccount:
        """Return the table as ``MessageV0.try_compile`` takes it."""
        return AddressLookupTableAccount(self.address, list(self.addresses))
