"""Load OpenBook accounts from the chain into ``bmvbot.exchange`` and write them back.

The program emulator keeps no state of its own: for every instruction it decodes the accounts
the instruction names (Market, both BookSides, EventHeap, OpenOrders accounts, SPL token
accounts) into an :class:`~bmvbot.exchange.Exchange` keyed by base58 addresses, lets the
exchange run the instruction, and writes back every account that changed in the program's real
byte layout. Book sides record each insert, removal and size change so the same edits replay on
a :class:`~bmvbot.openbook.order_tree.BookSideEditor` (the program's node allocator), and the
event heap keeps the program's slots and the stale bytes of freed nodes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Protocol

from solders.account import Account
from solders.pubkey import Pubkey

from bmvbot.core.errors import CodecError
from bmvbot.core.types import Side
from bmvbot.exchange import Exchange, Market, MarketAccounts, MarketParams, RestingOrder
from bmvbot.exchange import FillEvent as ExchangeFill
from bmvbot.exchange import OpenOrdersAccount as ExchangeOpenOrders
from bmvbot.exchange import OutEvent as ExchangeOut
from bmvbot.exchange.book import BookSide as ExchangeBookSide
from bmvbot.exchange.errors import anchor_error
from bmvbot.exchange.market import COUNTER_FIELDS
from bmvbot.exchange.open_orders import OpenOrderSlot as ExchangeSlot
from bmvbot.openbook import bookside, event_heap, market, open_orders, spl
from bmvbot.openbook.ids import ACCOUNT_DISCRIMINATORS, TOKEN_PROGRAM_ID
from bmvbot.openbook.order_tree import BookSideEditor

_FIXED = bookside.FIXED_TREE


class AccountStore(Protocol):
    """Where accounts live (LiteSVM): read one, write one, price rent."""

    def get(self, address: Pubkey) -> Account | None:
        """Return the account, None when it does not exist."""
        ...

    def set(self, address: Pubkey, account: Account) -> None:
        """Create or overwrite the account."""
        ...

    def rent(self, data_len: int) -> int:
        """Return the rent-exempt minimum for ``data_len`` bytes."""
        ...


class RecordingBookSide(ExchangeBookSide):
    """An exchange book side that records its edits for the byte-level tree editor."""

    __slots__ = ("edits",)

    def __init__(self, side: Side) -> None:
        super().__init__(side)
        self.edits: list[tuple[str, int, bookside.LeafNode | int]] = []

    def insert(self, order: RestingOrder) -> None:
        super().insert(order)
        leaf = bookside.LeafNode(
            order.owner_slot, order.time_in_force, order.order_id,
            Pubkey.from_string(order.owner), order.quantity, order.timestamp, -1,
            order.client_order_id,
        )  # fmt: skip
        self.edits.append(("insert", order.order_id, leaf))

    def remove(self, order: RestingOrder) -> None:
        super().remove(order)
        self.edits.append(("remove", order.order_id, 0))

    def set_quantity(self, order: RestingOrder, quantity: int) -> None:
        super().set_quantity(order, quantity)
        self.edits.append(("quantity", order.order_id, quantity))


@dataclass
class LoadedMarket:
    """A market as decoded from its four accounts, and the pubkeys they live at."""

    address: Pubkey
    account: market.Market
    bids: bookside.BookSide
    asks: bookside.BookSide
    heap: event_heap.EventHeap


def _key(text: str) -> Pubkey:
    return Pubkey.from_string(text)


def _opt(key: Pubkey | None) -> str | None:
    return None if key is None else str(key)


def with_data(account: Account, data: bytes) -> Account:
    """Return ``account`` holding ``data`` (lamports and owner kept)."""
    return Account(account.lamports, data, account.owner, account.executable, account.rent_epoch)


class ProgramState:
    """The accounts one instruction works on, loaded into a fresh ``Exchange``."""

    def __init__(self, store: AccountStore, program_id: Pubkey) -> None:
        self.store = store
        self.program_id = program_id
        self.exchange = Exchange(record_logs=True)
        self.markets: dict[str, LoadedMarket] = {}
        self.open_orders: dict[str, open_orders.OpenOrdersAccount] = {}
        self.tokens: dict[str, spl.TokenAccount] = {}

    # -- reading -----------------------------------------------------------------------------

    def program_account(self, address: Pubkey, type_name: str) -> Account:
        """Return an initialized account of the program with the ``type_name`` discriminator.

        Raises:
            ExchangeError: anchor 3012 (missing), 3007 (other owner), 3002 (other type).
        """
        account = self.store.get(address)
        if account is None or account.lamports == 0:
            raise anchor_error(3012, "AccountNotInitialized", f"{type_name} {address} is missing")
        if account.owner != self.program_id:
            raise anchor_error(
                3007, "AccountOwnedByWrongProgram", f"{address} is owned by {account.owner}"
            )
        if bytes(account.data[:8]) != ACCOUNT_DISCRIMINATORS[type_name]:
            raise anchor_error(
                3002, "AccountDiscriminatorMismatch", f"{address} is not a {type_name}"
            )
        return account

    def load_market(self, address: Pubkey) -> Market:
        """Load a market with its book sides, event heap and vaults; return the model's."""
        loaded = self.markets.get(str(address))
        if loaded is not None:
            return self.exchange.markets[str(address)]
        decoded = market.decode_market(bytes(self.program_account(address, "Market").data))
        books = [
            bookside.decode_bookside(bytes(self.program_account(key, "BookSide").data))
            for key in (decoded.bids, decoded.asks)
        ]
        heap_account = self.program_account(decoded.event_heap, "EventHeap")
        heap = event_heap.decode_event_heap(bytes(heap_account.data))
        self.markets[str(address)] = LoadedMarket(address, decoded, books[0], books[1], heap)
        model = _model_market(address, decoded)
        model.bids = _model_book(books[0])
        model.asks = _model_book(books[1])
        _fill_model_heap(model, heap)
        self.exchange.markets[str(address)] = model
        for vault in (decoded.market_base_vault, decoded.market_quote_vault):
            self.load_token(vault)
        return model

    def load_open_orders(self, address: Pubkey) -> ExchangeOpenOrders:
        """Load an OpenOrders account into the model."""
        existing = self.exchange.open_orders.get(str(address))
        if existing is not None:
            return existing
        data = bytes(self.program_account(address, "OpenOrdersAccount").data)
        decoded = open_orders.decode_open_orders_account(data)
        self.open_orders[str(address)] = decoded
        model = _model_open_orders(address, decoded)
        self.exchange.open_orders[str(address)] = model
        return model

    def load_remaining_open_orders(self, addresses: tuple[Pubkey, ...]) -> list[str]:
        """Load the OpenOrders accounts among ``addresses``; return every address as text."""
        for address in addresses:
            account = self.store.get(address)
            is_open_orders = (
                account is not None
                and account.owner == self.program_id
                and bytes(account.data[:8]) == ACCOUNT_DISCRIMINATORS["OpenOrdersAccount"]
            )
            if is_open_orders:
                self.load_open_orders(address)
        return [str(address) for address in addresses]

    def load_token(self, address: Pubkey) -> str:
        """Load an SPL token account into the model's ledger; return its id.

        Raises:
            ExchangeError: anchor 3012 (missing), 3007 (not an SPL token account).
        """
        if str(address) in self.tokens:
            return str(address)
        account = self.store.get(address)
        if account is None or account.lamports == 0:
            raise anchor_error(3012, "AccountNotInitialized", f"token account {address} missing")
        if account.owner != TOKEN_PROGRAM_ID or len(account.data) != spl.TOKEN_ACCOUNT_SIZE:
            raise anchor_error(
                3007, "AccountOwnedByWrongProgram", f"{address} is not an SPL token account"
            )
        decoded = spl.decode_token_account(bytes(account.data))
        self.tokens[str(address)] = decoded
        self.exchange.ledger.open_account(
            str(address), str(decoded.mint), str(decoded.owner), decoded.amount
        )
        return str(address)

    # -- writing -----------------------------------------------------------------------------

    def commit(self) -> None:
        """Write every loaded account the instruction changed back in the program's layout."""
        for address, loaded in self.markets.items():
            model = self.exchange.markets.get(address)
            if model is not None:
                self._write_market(loaded, model)
        for address, decoded in self.open_orders.items():
            account = self.exchange.open_orders.get(address)
            if account is not None:
                self._write_program(_key(address), _encode_open_orders(decoded, account))
        for address, token in self.tokens.items():
            amount = self.exchange.ledger.balance(address)
            if amount != token.amount:
                data = spl.encode_token_account(dataclasses.replace(token, amount=amount))
                self._write_program(_key(address), data)

    def _write_program(self, address: Pubkey, data: bytes) -> None:
        account = self.store.get(address)
        if account is None:
            raise CodecError(f"account {address} vanished while an instruction ran")
        if bytes(account.data) != data:
            self.store.set(address, with_data(account, data))

    def _write_market(self, loaded: LoadedMarket, model: Market) -> None:
        counters = {field: getattr(model, field) for field in COUNTER_FIELDS}
        updated = dataclasses.replace(loaded.account, time_expiry=model.time_expiry, **counters)
        self._write_program(loaded.address, market.encode_market(updated))
        for book, decoded, key in (
            (model.bids, loaded.bids, loaded.account.bids),
            (model.asks, loaded.asks, loaded.account.asks),
        ):
            if isinstance(book, RecordingBookSide) and book.edits:
                self._write_program(key, bookside.encode_bookside(_edited(decoded, book.edits)))
        heap = model.event_heap
        old = loaded.heap
        if (heap.count, heap.seq_num) != (old.count, old.seq_num):
            self._write_program(
                loaded.account.event_heap, event_heap.encode_event_heap(_codec_heap(model, old))
            )


# -- codec -> model ----------------------------------------------------------------------------


def _model_market(address: Pubkey, decoded: market.Market) -> Market:
    params = MarketParams(
        name=decoded.name,
        base_mint=str(decoded.base_mint),
        quote_mint=str(decoded.quote_mint),
        base_lot_size=decoded.base_lot_size,
        quote_lot_size=decoded.quote_lot_size,
        base_decimals=decoded.base_decimals,
        quote_decimals=decoded.quote_decimals,
        maker_fee=decoded.maker_fee,
        taker_fee=decoded.taker_fee,
        time_expiry=decoded.time_expiry,
        collect_fee_admin=str(decoded.collect_fee_admin),
        open_orders_admin=_opt(decoded.open_orders_admin),
        consume_events_admin=_opt(decoded.consume_events_admin),
        close_market_admin=_opt(decoded.close_market_admin),
    )
    accounts = MarketAccounts(
        market=str(address), bids=str(decoded.bids), asks=str(decoded.asks),
        event_heap=str(decoded.event_heap), market_authority=str(decoded.market_authority),
        base_vault=str(decoded.market_base_vault), quote_vault=str(decoded.market_quote_vault),
    )  # fmt: skip
    model = Market(accounts, params, decoded.registration_time)
    model.time_expiry = decoded.time_expiry
    for field in COUNTER_FIELDS:
        setattr(model, field, getattr(decoded, field))
    model.logs = []
    return model


def _model_book(decoded: bookside.BookSide) -> RecordingBookSide:
    if decoded.roots[bookside.ORACLE_PEGGED_TREE].leaf_count:
        raise anchor_error(
            3003, "AccountDidNotDeserialize", "the emulator does not model oracle-pegged orders"
        )
    book = RecordingBookSide(decoded.side)
    for order in decoded.iter_orders(_FIXED):
        book.insert(
            RestingOrder(
                decoded.side,
                order.order_id,
                order.price_lots,
                order.base_lots,
                str(order.owner),
                order.owner_slot,
                order.timestamp,
                order.time_in_force,
                order.client_order_id,
                order.seq_num,
            )
        )
    book.bump_index = decoded.bump_index
    book.edits.clear()
    return book


def _model_event(event: event_heap.HeapEvent) -> ExchangeFill | ExchangeOut:
    if isinstance(event, event_heap.FillEvent):
        return ExchangeFill(
            event.taker_side, event.maker_out, event.maker_slot, event.timestamp, event.seq_num,
            str(event.maker), event.maker_timestamp, str(event.taker),
            event.taker_client_order_id, event.price, event.peg_limit, event.quantity,
            event.maker_client_order_id,
        )  # fmt: skip
    return ExchangeOut(
        event.side, event.owner_slot, event.timestamp, event.seq_num, str(event.owner),
        event.quantity,
    )  # fmt: skip


def _fill_model_heap(model: Market, decoded: event_heap.EventHeap) -> None:
    heap = model.event_heap
    heap.free_head = decoded.free_head
    heap.used_head = decoded.used_head
    heap.count = decoded.count
    heap.seq_num = decoded.seq_num
    heap.next = [node.next for node in decoded.nodes]
    heap.prev = [node.prev for node in decoded.nodes]
    heap.events = [None] * event_heap.MAX_EVENTS
    for slot, event in decoded.events():
        heap.events[slot] = _model_event(event)


def _model_open_orders(
    address: Pubkey, decoded: open_orders.OpenOrdersAccount
) -> ExchangeOpenOrders:
    model = ExchangeOpenOrders(
        str(address), str(decoded.owner), str(decoded.market), name=decoded.name,
        account_num=decoded.account_num, delegate=_opt(decoded.delegate),
    )  # fmt: skip
    model.version = decoded.version
    for field in dataclasses.fields(decoded.position):
        setattr(model, field.name, getattr(decoded.position, field.name))
    for index, slot in enumerate(decoded.open_orders):
        if slot.is_free:
            continue
        if slot.side_and_tree > 1:
            raise anchor_error(
                3003, "AccountDidNotDeserialize", "the emulator does not model pegged orders"
            )
        model.slots[index] = ExchangeSlot(
            slot.id, slot.client_id, slot.locked_price, Side(slot.side_and_tree)
        )
    return model


# -- model -> codec ----------------------------------------------------------------------------


def _encode_open_orders(decoded: open_orders.OpenOrdersAccount, model: ExchangeOpenOrders) -> bytes:
    position = open_orders.Position(
        **{field.name: getattr(model, field.name) for field in dataclasses.fields(decoded.position)}
    )
    slots = tuple(
        open_orders.OpenOrderSlot()
        if slot is None
        else open_orders.OpenOrderSlot(
            slot.order_id, slot.client_order_id, slot.locked_price, False, int(slot.side)
        )
        for slot in model.slots
    )
    delegate = None if model.delegate is None else _key(model.delegate)
    updated = dataclasses.replace(decoded, delegate=delegate, position=position, open_orders=slots)
    return open_orders.encode_open_orders_account(updated)


def _edited(
    decoded: bookside.BookSide, edits: list[tuple[str, int, bookside.LeafNode | int]]
) -> bookside.BookSide:
    editor = BookSideEditor(decoded)
    for action, key, value in edits:
        if action == "insert" and isinstance(value, bookside.LeafNode):
            editor.insert_leaf(_FIXED, value)
        elif action == "remove":
            editor.remove_by_key(_FIXED, key)
        elif isinstance(value, int):
            editor.set_quantity(_FIXED, key, value)
    return editor.freeze()


def _codec_event(event: ExchangeFill | ExchangeOut) -> event_heap.HeapEvent:
    if isinstance(event, ExchangeFill):
        return event_heap.FillEvent(
            event.taker_side, event.maker_out, event.maker_slot, event.timestamp, event.seq_num,
            _key(event.maker), event.maker_timestamp, _key(event.taker),
            event.taker_client_order_id, event.price, event.peg_limit, event.quantity,
            event.maker_client_order_id,
        )  # fmt: skip
    return event_heap.OutEvent(
        event.side, event.owner_slot, event.timestamp, event.seq_num, _key(event.owner),
        event.quantity,
    )  # fmt: skip


def _codec_heap(model: Market, old: event_heap.EventHeap) -> event_heap.EventHeap:
    heap = model.event_heap
    nodes = tuple(
        event_heap.EventNode(
            heap.next[slot],
            heap.prev[slot],
            old.nodes[slot].event if event is None else _codec_event(event),
        )
        for slot, event in enumerate(heap.events)
    )
    return event_heap.EventHeap(heap.free_head, heap.used_head, heap.count, heap.seq_num, nodes)
