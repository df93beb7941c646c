"""Decode any OpenBook V2 account by its discriminator, and summarize accounts as JSON.

``decode_account`` picks the decoder from the first 8 bytes. ``account_summary`` renders a
decoded account in the format of the golden traces' ``decoded`` field (``golden/README.md``):
keys as base58, u128 values as decimal strings, sides as words, so tests and the localnet can
compare emulator-written accounts with recorded ones.
"""

from __future__ import annotations

from bmvbot.core.errors import CodecError
from bmvbot.core.types import Side
from bmvbot.openbook.bookside import (
    BOOKSIDE_DISCRIMINATOR,
    FIXED_TREE,
    ORACLE_PEGGED_TREE,
    BookOrder,
    BookSide,
    decode_bookside,
)
from bmvbot.openbook.event_heap import (
    EVENT_HEAP_DISCRIMINATOR,
    EventHeap,
    FillEvent,
    decode_event_heap,
)
from bmvbot.openbook.jsonio import Json, to_json, to_json_object
from bmvbot.openbook.market import MARKET_DISCRIMINATOR, Market, decode_market
from bmvbot.openbook.open_orders import (
    OPEN_ORDERS_ACCOUNT_DISCRIMINATOR,
    OPEN_ORDERS_INDEXER_DISCRIMINATOR,
    OpenOrdersAccount,
    OpenOrdersIndexer,
    decode_open_orders_account,
    decode_open_orders_indexer,
)
from bmvbot.openbook.spl import Mint, TokenAccount

OpenBookAccount = Market | BookSide | EventHeap | OpenOrdersAccount | OpenOrdersIndexer
_TREE_NAMES = {FIXED_TREE: "fixed", ORACLE_PEGGED_TREE: "oracle_pegged"}


def decode_account(data: bytes) -> OpenBookAccount:
    """Return the OpenBook account in ``data``, chosen by its discriminator.

    Raises:
        CodecError: the discriminator is no OpenBook account type, or the data is malformed.
    """
    disc = bytes(data[:8])
    if disc == MARKET_DISCRIMINATOR:
        return decode_market(data)
    if disc == BOOKSIDE_DISCRIMINATOR:
        return decode_bookside(data)
    if disc == EVENT_HEAP_DISCRIMINATOR:
        return decode_event_heap(data)
    if disc == OPEN_ORDERS_ACCOUNT_DISCRIMINATOR:
        return decode_open_orders_account(data)
    if disc == OPEN_ORDERS_INDEXER_DISCRIMINATOR:
        return decode_open_orders_indexer(data)
    raise CodecError(f"not an OpenBook V2 account: discriminator {disc.hex()}")


def _side_word(side: Side) -> str:
    return "bid" if side is Side.BID else "ask"


def _order_json(order: BookOrder) -> Json:
    out = to_json_object(order)
    out["tree"] = _TREE_NAMES[order.tree]
    return out


def _bookside_json(book: BookSide) -> dict[str, Json]:
    fixed, pegged = book.roots
    return {
        "side": "bids" if book.side is Side.BID else "asks",
        "bump_index": book.bump_index,
        "free_list_len": book.free_list_len,
        "free_list_head": book.free_list_head,
        "fixed_root": to_json(fixed),
        "fixed_orders": [_order_json(o) for o in book.orders(FIXED_TREE)],
        "oracle_pegged_root": to_json(pegged),
        "oracle_pegged_orders": [_order_json(o) for o in book.orders(ORACLE_PEGGED_TREE)],
    }


def _heap_json(heap: EventHeap) -> dict[str, Json]:
    events: list[Json] = []
    for slot, event in heap.events():
        body = to_json_object(event)
        if isinstance(event, FillEvent):
            body["taker_side"] = _side_word(event.taker_side)
            events.append({"slot": slot, "event_type": "fill", **body})
        else:
            body["side"] = _side_word(event.side)
            events.append({"slot": slot, "event_type": "out", **body})
    return {
        "count": heap.count,
        "free_head": heap.free_head,
        "used_head": heap.used_head,
        "seq_num": heap.seq_num,
        "events": events,
    }


def _open_orders_json(account: OpenOrdersAccount) -> dict[str, Json]:
    out = to_json_object(account)
    del out["open_orders"]
    out["open_orders_in_use"] = account.open_orders_in_use
    out["slots"] = [
        {"slot": index, **to_json_object(slot)} for index, slot in enumerate(account.open_orders)
    ]
    return out


def account_summary(
    account: OpenBookAccount | TokenAccount | Mint,
) -> dict[str, Json]:
    """Return ``account`` in the golden-trace ``decoded`` format, ``type`` field included."""
    body: dict[str, Json]
    if isinstance(account, BookSide):
        body = _bookside_json(account)
    elif isinstance(account, EventHeap):
        body = _heap_json(account)
    elif isinstance(account, OpenOrdersAccount):
        body = _open_orders_json(account)
    else:
        body = to_json_object(account)
    return {"type": type(account).__name__, **body}
