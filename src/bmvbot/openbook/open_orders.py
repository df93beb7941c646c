"""``OpenOrdersAccount`` (1,264 bytes) and ``OpenOrdersIndexer`` (17 + 32 n bytes) layouts.

Decoders and writers; fact sheet sections 5.2 and 5.3.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from solders.pubkey import Pubkey

from bmvbot.core.errors import CodecError, InvariantError
from bmvbot.openbook.borsh import BorshReader, BorshWriter
from bmvbot.openbook.ids import ACCOUNT_DISCRIMINATORS, OPENBOOK_PROGRAM_ID
from bmvbot.openbook.pda import open_orders_account_with_bump
from bmvbot.openbook.zerocopy import Record, check_account

OPEN_ORDERS_ACCOUNT_SIZE = 1264
OPEN_ORDERS_ACCOUNT_DISCRIMINATOR = ACCOUNT_DISCRIMINATORS["OpenOrdersAccount"]
OPEN_ORDERS_INDEXER_DISCRIMINATOR = ACCOUNT_DISCRIMINATORS["OpenOrdersIndexer"]
MAX_OPEN_ORDERS = 24
"""Order slots per OpenOrders account."""

_HEADER = Record(
    (
        ("owner", "pubkey"),
        ("market", "pubkey"),
        ("name", "str32"),
        ("delegate", "opt_pubkey"),
        ("account_num", "u32"),
        ("bump", "u8"),
        ("version", "u8"),
        ("_padding", "pad2"),
    )
)
_POSITION = Record(
    (
        ("bids_base_lots", "i64"),
        ("asks_base_lots", "i64"),
        ("base_free_native", "u64"),
        ("quote_free_native", "u64"),
        ("locked_maker_fees", "u64"),
        ("referrer_rebates_available", "u64"),
        ("penalty_heap_count", "u64"),
        ("maker_volume", "u128"),
        ("taker_volume", "u128"),
        ("bids_quote_lots", "i64"),
        ("_reserved", "pad64"),
    )
)
_SLOT = Record(
    (
        ("id", "u128"),
        ("client_id", "u64"),
        ("locked_price", "i64"),
        ("is_free", "bool"),
        ("side_and_tree", "u8"),
        ("_padding", "pad6"),
    )
)
_SLOTS_OFFSET = 8 + _HEADER.size + _POSITION.size
if _SLOTS_OFFSET + MAX_OPEN_ORDERS * _SLOT.size != OPEN_ORDERS_ACCOUNT_SIZE:  # layout self-check
    raise InvariantError("OpenOrdersAccount layout does not add up to 1,264 bytes")


@dataclass(frozen=True, slots=True)
class Position:
    """Balances of an OpenOrders account: lots resting, native free balances, fees, volumes."""

    bids_base_lots: int = 0
    asks_base_lots: int = 0
    base_free_native: int = 0
    quote_free_native: int = 0
    locked_maker_fees: int = 0
    referrer_rebates_available: int = 0
    penalty_heap_count: int = 0
    maker_volume: int = 0
    taker_volume: int = 0
    bids_quote_lots: int = 0


@dataclass(frozen=True, slots=True)
class OpenOrderSlot:
    """One of the 24 order slots; ``side_and_tree`` 0 bid fixed, 1 ask fixed, 2/3 pegged."""

    id: int = 0
    client_id: int = 0
    locked_price: int = 0
    is_free: bool = True
    side_and_tree: int = 0


@dataclass(frozen=True, slots=True)
class OpenOrdersAccount:
    """A decoded OpenOrders account; ``owner`` is the wallet, ``delegate`` None when unset."""

    owner: Pubkey
    market: Pubkey
    name: str
    delegate: Pubkey | None
    account_num: int
    bump: int
    version: int
    position: Position
    open_orders: tuple[OpenOrderSlot, ...]

    @property
    def open_orders_in_use(self) -> int:
        """Return the number of occupied order slots."""
        return sum(1 for slot in self.open_orders if not slot.is_free)

    def first_free_slot(self) -> int | None:
        """Return the lowest free slot index, or None when all 24 are taken."""
        for index, slot in enumerate(self.open_orders):
            if slot.is_free:
                return index
        return None


def _public(values: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in values.items() if not k.startswith("_")}


def decode_open_orders_account(data: bytes) -> OpenOrdersAccount:
    """Return the OpenOrders account stored in ``data``.

    Raises:
        CodecError: wrong discriminator or size, or a slot's ``is_free`` byte is not 0/1.
    """
    check_account(
        data, OPEN_ORDERS_ACCOUNT_DISCRIMINATOR, OPEN_ORDERS_ACCOUNT_SIZE, "OpenOrdersAccount"
    )
    header = _public(_HEADER.unpack(data, 8))
    position = Position(**_public(_POSITION.unpack(data, 8 + _HEADER.size)))  # type: ignore[arg-type]  # record types
    slots = tuple(
        OpenOrderSlot(**_public(_SLOT.unpack(data, _SLOTS_OFFSET + k * _SLOT.size)))  # type: ignore[arg-type]  # record types
        for k in range(MAX_OPEN_ORDERS)
    )
    return OpenOrdersAccount(**header, position=position, open_orders=slots)  # type: ignore[arg-type]  # record types


def encode_open_orders_account(account: OpenOrdersAccount) -> bytes:
    """Return the 1,264 account bytes of ``account`` (padding and reserved bytes zero).

    Raises:
        CodecError: not exactly 24 slots, or a field out of range.
    """
    if len(account.open_orders) != MAX_OPEN_ORDERS:
        raise CodecError(
            f"an OpenOrders account has {MAX_OPEN_ORDERS} slots, was {len(account.open_orders)}"
        )
    header = {f.name: getattr(account, f.name) for f in dataclasses.fields(account)}
    parts = [
        OPEN_ORDERS_ACCOUNT_DISCRIMINATOR,
        _HEADER.pack(header),
        _POSITION.pack(dataclasses.asdict(account.position)),
    ]
    parts.extend(_SLOT.pack(dataclasses.asdict(slot)) for slot in account.open_orders)
    return b"".join(parts)


@dataclass(frozen=True, slots=True)
class OpenOrdersIndexer:
    """A wallet's list of OpenOrders accounts; ``created_counter`` only ever grows."""

    bump: int
    created_counter: int
    addresses: tuple[Pubkey, ...]

    @property
    def size(self) -> int:
        """Return the account size in bytes: 17 + 32 per address."""
        return 17 + 32 * len(self.addresses)


def decode_open_orders_indexer(data: bytes) -> OpenOrdersIndexer:
    """Return the OpenOrdersIndexer stored in ``data`` (Borsh, not zero-copy).

    Raises:
        CodecError: wrong discriminator, truncated data, or trailing bytes.
    """
    if bytes(data[:8]) != OPEN_ORDERS_INDEXER_DISCRIMINATOR:
        raise CodecError(
            f"not an OpenOrdersIndexer account: discriminator {bytes(data[:8]).hex()}, "
            f"expected {OPEN_ORDERS_INDEXER_DISCRIMINATOR.hex()}"
        )
    r = BorshReader(data, 8, what="OpenOrdersIndexer account data")
    bump = r.integer("u8", "bump")
    created_counter = r.integer("u32", "created_counter")
    count = r.integer("u32", "addresses length")
    if count * 32 > r.remaining:
        raise CodecError(
            f"OpenOrdersIndexer claims {count} addresses, only {r.remaining} bytes follow"
        )
    addresses = tuple(r.pubkey(f"addresses[{i}]") for i in range(count))
    r.expect_end()
    return OpenOrdersIndexer(bump, created_counter, addresses)


def encode_open_orders_indexer(indexer: OpenOrdersIndexer) -> bytes:
    """Return the account bytes of ``indexer`` (17 + 32 n bytes)."""
    w = BorshWriter(OPEN_ORDERS_INDEXER_DISCRIMINATOR)
    w.integer(indexer.bump, "u8", "bump").integer(indexer.created_counter, "u32", "created_counter")
    w.integer(len(indexer.addresses), "u32", "addresses length")
    for index, address in enumerate(indexer.addresses):
        w.pubkey(address, f"addresses[{index}]")
    return bytes(w)


def new_open_orders_account(
    *,
    owner: Pubkey,
    market: Pubkey,
    name: str,
    account_num: int,
    delegate: Pubkey | None = None,
    program_id: Pubkey = OPENBOOK_PROGRAM_ID,
) -> OpenOrdersAccount:
    """Return the OpenOrders account ``create_open_orders_account`` writes (version 1, empty).

    ``account_num`` is the indexer's ``created_counter + 1``; the bump is the PDA's.
    """
    _, bump = open_orders_account_with_bump(owner, account_num, program_id)
    return OpenOrdersAccount(
        owner=owner,
        market=market,
        name=name,
        delegate=delegate,
        account_num=account_num,
        bump=bump,
        version=1,
        position=Position(),
        open_orders=tuple(OpenOrderSlot() for _ in range(MAX_OPEN_ORDERS)),
    )
