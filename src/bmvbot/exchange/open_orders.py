"""OpenOrders accounts (24 order slots and a position per owner and market) and indexers.

The position holds what the owner has in the market: free base and quote (withdrawable with
``settle_funds``), base and quote locked in open orders, maker fees locked for bids, referrer
rebates, the count of instructions that left events on the heap, and volumes. Amounts named
``_native`` are token units; ``_lots`` are market lots.
"""

from __future__ import annotations

import operator
from typing import NamedTuple

from bmvbot.core.types import Side
from bmvbot.exchange.errors import OpenBookErrorCode, openbook_error
from bmvbot.exchange.fees import maker_fees_ceil

MAX_OPEN_ORDERS = 24
"""Order slots per OpenOrders account."""
MAX_OPEN_ORDERS_ACCOUNTS_PER_INDEXER = 256

_POSITION_FIELDS = (
    "bids_base_lots",
    "asks_base_lots",
    "base_free_native",
    "quote_free_native",
    "locked_maker_fees",
    "referrer_rebates_available",
    "penalty_heap_count",
    "maker_volume",
    "taker_volume",
    "bids_quote_lots",
)
_get_position = operator.attrgetter(*_POSITION_FIELDS)


class OpenOrderSlot(NamedTuple):
    """One used order slot: the order id, client id, locked price (lots) and side."""

    order_id: int
    client_order_id: int
    locked_price: int
    side: Side


class OpenOrdersAccount:
    """An owner's orders and funds on one market (the program's OpenOrdersAccount)."""

    __slots__ = (
        "account_id",
        "account_num",
        "asks_base_lots",
        "base_free_native",
        "bids_base_lots",
        "bids_quote_lots",
        "delegate",
        "locked_maker_fees",
        "maker_volume",
        "market",
        "name",
        "owner",
        "penalty_heap_count",
        "quote_free_native",
        "referrer_rebates_available",
        "slots",
        "taker_volume",
        "version",
    )

    def __init__(
        self,
        account_id: str,
        owner: str,
        market: str,
        *,
        name: str = "",
        account_num: int = 1,
        delegate: str | None = None,
    ) -> None:
        self.account_id = account_id
        self.owner = owner
        self.market = market
        self.name = name
        self.account_num = account_num
        self.delegate = delegate
        self.version = 1
        self.bids_base_lots = 0
        self.asks_base_lots = 0
        self.base_free_native = 0
        self.quote_free_native = 0
        self.locked_maker_fees = 0
        self.referrer_rebates_available = 0
        self.penalty_heap_count = 0
        self.maker_volume = 0
        self.taker_volume = 0
        self.bids_quote_lots = 0
        self.slots: list[OpenOrderSlot | None] = [None] * MAX_OPEN_ORDERS

    # -- queries -----------------------------------------------------------------------------

    def is_owner_or_delegate(self, signer: str) -> bool:
        """Return True when ``signer`` may trade and cancel for this account."""
        return signer == self.owner or (self.delegate is not None and signer == self.delegate)

    def is_settle_destination_allowed(self, signer: str, token_account_owner: str) -> bool:
        """Return True when ``signer`` may settle to a token account of ``token_account_owner``.

        The owner may settle anywhere; a delegate only to the owner's token accounts.
        """
        if self.delegate is not None and signer == self.delegate:
            return token_account_owner == self.owner
        return signer == self.owner

    @property
    def open_orders_in_use(self) -> int:
        """Return the number of used slots."""
        return MAX_OPEN_ORDERS - self.slots.count(None)

    @property
    def is_empty(self) -> bool:
        """Return True when the account may be closed (program ``Position::is_empty``)."""
        return not any(_get_position(self)[:7]) and self.bids_quote_lots == 0

    def next_order_slot(self) -> int:
        """Return the first free slot.

        Raises:
            ExchangeError: 6036 OpenOrdersFull.
        """
        try:
            return self.slots.index(None)
        except ValueError:
            raise openbook_error(
                OpenBookErrorCode.OPEN_ORDERS_FULL,
                f"open orders account {self.account_id} has all {MAX_OPEN_ORDERS} slots in use",
            ) from None

    def find_slot_by_order_id(self, order_id: int) -> int | None:
        """Return the slot holding ``order_id``, None when there is none."""
        for index, slot in enumerate(self.slots):
            if slot is not None and slot.order_id == order_id:
                return index
        return None

    def find_slot_by_client_order_id(self, client_order_id: int) -> int | None:
        """Return the first slot holding ``client_order_id``, None when there is none."""
        for index, slot in enumerate(self.slots):
            if slot is not None and slot.client_order_id == client_order_id:
                return index
        return None

    # -- bookkeeping -------------------------------------------------------------------------

    def add_order(
        self, slot: int, side: Side, order_id: int, quantity: int, client_order_id: int, price: int
    ) -> None:
        """Record a posted order of ``quantity`` base lots locked at ``price``."""
        if side is Side.BID:
            self.bids_base_lots += quantity
            self.bids_quote_lots += quantity * price
        else:
            self.asks_base_lots += quantity
        self.slots[slot] = OpenOrderSlot(order_id, client_order_id, price, side)

    def remove_order(self, slot: int, quantity: int, locked_price: int) -> None:
        """Free ``slot`` and drop its remaining ``quantity`` from the locked lots."""
        entry = self.slots[slot]
        if entry is None:
            raise KeyError(slot)
        if entry.side is Side.BID:
            self.bids_base_lots -= quantity
            self.bids_quote_lots -= quantity * locked_price
        else:
            self.asks_base_lots -= quantity
        self.slots[slot] = None

    def cancel_order(
        self, slot: int, quantity: int, base_lot_size: int, quote_lot_size: int, maker_fee: int
    ) -> None:
        """Release ``quantity`` base lots of the order in ``slot`` into the free balances."""
        entry = self.slots[slot]
        if entry is None:
            raise KeyError(slot)
        price = entry.locked_price
        if entry.side is Side.BID:
            quote_native = quantity * price * quote_lot_size
            fees = maker_fees_ceil(quote_native, maker_fee)
            self.quote_free_native += quote_native + fees
            self.locked_maker_fees -= fees
        else:
            self.base_free_native += quantity * base_lot_size
        self.remove_order(slot, quantity, price)

    # -- snapshots (instruction rollback) ----------------------------------------------------

    def snapshot(self) -> tuple[tuple[int, ...], list[OpenOrderSlot | None]]:
        """Return the mutable state, for ``restore`` after a failed instruction."""
        return _get_position(self), self.slots.copy()

    def restore(self, state: tuple[tuple[int, ...], list[OpenOrderSlot | None]]) -> None:
        """Put back the state captured by ``snapshot``."""
        position, slots = state
        for field, value in zip(_POSITION_FIELDS, position, strict=True):
            setattr(self, field, value)
        self.slots = slots


class OpenOrdersIndexer:
    """A wallet's list of OpenOrders accounts; its counter numbers new accounts from 1."""

    __slots__ = ("addresses", "created_counter", "indexer_id", "owner")

    def __init__(self, indexer_id: str, owner: str) -> None:
        self.indexer_id = indexer_id
        self.owner = owner
        self.created_counter = 0
        self.addresses: list[str] = []
