"""Bad input to the OpenBook codec: a clear CodecError naming what is wrong, never a crash."""

from __future__ import annotations

import base64
import dataclasses
import struct

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from bmvbot.core.errors import CodecError, InvariantError
from bmvbot.core.types import PlaceOrderType, Side
from bmvbot.openbook import instructions as ix
from bmvbot.openbook import pda
from bmvbot.openbook.accounts import decode_account
from bmvbot.openbook.args import (
    CreateMarketArgs,
    OracleConfigParams,
    PlaceMultipleOrdersArgs,
    PlaceOrderArgs,
    PlaceOrdersArgs,
)
from bmvbot.openbook.bookside import (
    BOOKSIDE_DISCRIMINATOR,
    BOOKSIDE_SIZE,
    LeafNode,
    decode_bookside,
    encode_bookside,
)
from bmvbot.openbook.event_heap import (
    EVENT_HEAP_SIZE,
    MAX_EVENTS,
    EventHeapEditor,
    OutEvent,
    decode_event_heap,
    empty_event_heap,
    encode_event_heap,
)
from bmvbot.openbook.events import (
    decode_cpi_event,
    decode_event,
    decode_program_data_log,
    decode_return_data,
    encode_return_data,
)
from bmvbot.openbook.ids import ACCOUNT_DISCRIMINATORS, EVENT_DISCRIMINATORS
from bmvbot.openbook.jsonio import args_from_json
from bmvbot.openbook.market import MARKET_DISCRIMINATOR, MARKET_SIZE, decode_market
from bmvbot.openbook.open_orders import (
    OPEN_ORDERS_ACCOUNT_DISCRIMINATOR,
    OPEN_ORDERS_ACCOUNT_SIZE,
    OPEN_ORDERS_INDEXER_DISCRIMINATOR,
    decode_open_orders_account,
    decode_open_orders_indexer,
)
from bmvbot.openbook.order_tree import BookSideEditor, empty_bookside
from bmvbot.openbook.spl import decode_mint, decode_token_account


def key(i: int) -> Pubkey:
    return Keypair.from_seed(bytes([i]) * 32).pubkey()


KEYS = ix.MarketKeys(
    market=key(2),
    bids=key(3),
    asks=key(4),
    event_heap=key(5),
    market_authority=pda.market_authority(key(2)),
    base_vault=key(6),
    quote_vault=key(7),
)
ORDER = PlaceOrderArgs(Side.BID, 100, 5, 500, 1, PlaceOrderType.POST_ONLY)


def place(args: PlaceOrderArgs) -> bytes:
    built = ix.place_order(
        KEYS, signer=key(1), open_orders_account=key(8), user_token_account=key(9), args=args
    )
    return bytes(built.data)


DECODERS = [
    (decode_market, MARKET_DISCRIMINATOR, MARKET_SIZE, "Market"),
    (
        decode_open_orders_account,
        OPEN_ORDERS_ACCOUNT_DISCRIMINATOR,
        OPEN_ORDERS_ACCOUNT_SIZE,
        "OpenOrdersAccount",
    ),
    (decode_bookside, BOOKSIDE_DISCRIMINATOR, BOOKSIDE_SIZE, "BookSide"),
    (decode_event_heap, ACCOUNT_DISCRIMINATORS["EventHeap"], EVENT_HEAP_SIZE, "EventHeap"),
]


@pytest.mark.parametrize(("decode", "disc", "size", "what"), DECODERS)
def test_account_decoder_truncated_data_raises_codec_error(
    decode: object, disc: bytes, size: int, what: str
) -> None:
    assert callable(decode)
    for length in (0, 7, 8, 9, size // 2, size - 1):
        with pytest.raises(CodecError, match=what):
            decode((disc + bytes(size))[:length])


@pytest.mark.parametrize(("decode", "disc", "size", "what"), DECODERS)
def test_account_decoder_wrong_discriminator_names_both(
    decode: object, disc: bytes, size: int, what: str
) -> None:
    assert callable(decode)
    foreign = ACCOUNT_DISCRIMINATORS["StubOracle"]
    with pytest.raises(CodecError, match=f"not a {what} account: discriminator {foreign.hex()}"):
        decode(foreign + bytes(size - 8))


def test_account_decoder_oversized_data_raises_codec_error() -> None:
    with pytest.raises(CodecError, match="Market account data must be 848 bytes, was 849"):
        decode_market(MARKET_DISCRIMINATOR + bytes(MARKET_SIZE - 7))


def test_decode_account_unknown_discriminator_raises_codec_error() -> None:
    with pytest.raises(CodecError, match="not an OpenBook V2 account"):
        decode_account(b"\x01" * 100)
    with pytest.raises(CodecError):
        decode_account(b"")


def test_indexer_truncated_or_overclaiming_raises_codec_error() -> None:
    header = OPEN_ORDERS_INDEXER_DISCRIMINATOR + b"\xff" + (1).to_bytes(4, "little")
    with pytest.raises(CodecError, match="claims 1000 addresses"):
        decode_open_orders_indexer(header + (1000).to_bytes(4, "little") + bytes(64))
    with pytest.raises(CodecError, match="truncated"):
        decode_open_orders_indexer(header + b"\x01\x00")
    with pytest.raises(CodecError, match="trailing"):
        decode_open_orders_indexer(header + (0).to_bytes(4, "little") + b"\x00")
    with pytest.raises(CodecError, match="not an OpenOrdersIndexer"):
        decode_open_orders_indexer(MARKET_DISCRIMINATOR + bytes(9))


def test_spl_decoders_wrong_size_or_tag_raise_codec_error() -> None:
    with pytest.raises(CodecError, match="165 bytes, was 164"):
        decode_token_account(bytes(164))
    with pytest.raises(CodecError, match="82 bytes, was 0"):
        decode_mint(b"")
    bad_tag = bytes(72) + (7).to_bytes(4, "little") + bytes(165 - 76)
    with pytest.raises(CodecError, match="delegate COption tag must be 0 or 1, was 7"):
        decode_token_account(bad_tag)


def test_bookside_unknown_node_tag_raises_codec_error() -> None:
    data = bytearray(encode_bookside(empty_bookside(Side.ASK)))
    struct.pack_into("<I", data, 316, 1)  # bump_index 1
    data[840] = 9
    with pytest.raises(CodecError, match="unknown tag 9"):
        decode_bookside(bytes(data))


def test_bookside_tree_pointing_at_missing_node_raises_codec_error() -> None:
    data = bytearray(encode_bookside(empty_bookside(Side.BID)))
    struct.pack_into("<II", data, 8, 7, 1)  # root at node 7, one leaf, but no node allocated
    book = decode_bookside(bytes(data))
    with pytest.raises(CodecError, match="points at node 7"):
        book.orders()
    with pytest.raises(CodecError, match="points at node 7"):
        book.levels(5)


def test_bookside_bad_side_or_bump_index_raises_codec_error() -> None:
    data = bytearray(encode_bookside(empty_bookside(Side.BID)))
    data[312] = 2
    with pytest.raises(CodecError, match="order_tree_type must be 0"):
        decode_bookside(bytes(data))
    data[312] = 0
    struct.pack_into("<I", data, 316, 5000)
    with pytest.raises(CodecError, match="bump_index must be at most 1024, was 5000"):
        decode_bookside(bytes(data))


def test_event_heap_corrupt_used_list_raises_codec_error() -> None:
    data = bytearray(encode_event_heap(empty_event_heap()))
    struct.pack_into("<HHH", data, 8, 0, 700, 1)  # used_head 700, count 1
    with pytest.raises(CodecError, match="points at slot 700"):
        decode_event_heap(bytes(data)).events()
    struct.pack_into("<HHH", data, 8, 0, 3, 1)
    data[24 + 152 * 3 + 8] = 9  # event type 9 in a used slot
    with pytest.raises(CodecError, match="slot 3 is in use but holds no valid event"):
        decode_event_heap(bytes(data)).events()


def test_decode_instruction_short_or_unknown_raises_codec_error() -> None:
    with pytest.raises(CodecError, match="8-byte discriminator, was 3 B"):
        ix.decode_instruction(b"abc")
    with pytest.raises(CodecError, match="unknown OpenBook instruction discriminator"):
        ix.decode_instruction(bytes(8))


def test_decode_instruction_every_truncation_raises_codec_error() -> None:
    batch = PlaceOrdersArgs(
        PlaceOrderType.POST_ONLY,
        (PlaceMultipleOrdersArgs(10, 100), PlaceMultipleOrdersArgs(9, 90, 5)),
        (PlaceMultipleOrdersArgs(11, 110),),
        12,
    )
    built = ix.cancel_all_and_place_orders(
        KEYS,
        signer=key(1),
        open_orders_account=key(8),
        user_base_account=key(9),
        user_quote_account=key(10),
        args=batch,
    )
    for data in (place(ORDER), bytes(built.data)):
        for length in range(8, len(data)):
            with pytest.raises(CodecError, match=r"truncated|claims"):
                ix.decode_instruction(data[:length])


def test_decode_instruction_trailing_bytes_strict_refuses_lenient_accepts() -> None:
    data = place(ORDER) + b"\x00"
    with pytest.raises(CodecError, match="1 trailing bytes"):
        ix.decode_instruction(data)
    assert ix.decode_instruction(data, strict=False).args == ORDER


def test_decode_instruction_invalid_enum_or_option_byte_raises_codec_error() -> None:
    data = bytearray(place(ORDER))
    data[8] = 2
    with pytest.raises(CodecError, match="side must be one of 0 BID, 1 ASK; was 2"):
        ix.decode_instruction(bytes(data))
    cancel_all = bytes.fromhex("c453f3ab1164a08f" + "0218")
    with pytest.raises(CodecError, match="side_option option tag must be 0 or 1, was 2"):
        ix.decode_instruction(cancel_all)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"price_lots": 2**63}, r"price_lots must be a i64 in .*was 9223372036854775808"),
        ({"limit": 256}, r"limit must be a u8 in 0..255, was 256"),
        ({"client_order_id": -1}, r"client_order_id must be a u64"),
        ({"max_base_lots": 1.5}, r"max_base_lots must be an integer \(i64\), was 1.5"),
        ({"expiry_timestamp": True}, r"expiry_timestamp must be an integer"),
        ({"order_type": 5}, r"order_type must be one of .*was 5"),
        ({"self_trade_behavior": 3}, r"self_trade_behavior must be one of .*was 3"),
    ],
)
def test_place_order_out_of_range_arg_raises_codec_error(
    change: dict[str, object], message: str
) -> None:
    fields = {
        "side": Side.BID,
        "price_lots": 100,
        "max_base_lots": 5,
        "max_quote_lots_including_fees": 500,
        "client_order_id": 1,
        "order_type": PlaceOrderType.POST_ONLY,
        **change,
    }
    with pytest.raises(CodecError, match=message):
        place(PlaceOrderArgs(**fields))  # type: ignore[arg-type]  # wrong types on purpose


def test_create_market_name_too_long_raises_unless_unchecked() -> None:
    args = CreateMarketArgs("seventeen-bytes-x", OracleConfigParams(), 1, 1000, 0, 0, 0)
    common = {
        "payer": key(1),
        "base_mint": key(11),
        "quote_mint": key(12),
        "collect_fee_admin": key(1),
        "args": args,
    }
    with pytest.raises(CodecError, match="at most 16 UTF-8 bytes, was 17"):
        ix.create_market(KEYS, **common)  # type: ignore[arg-type]  # typed kwargs dict
    built = ix.create_market(KEYS, check_name=False, **common)  # type: ignore[arg-type]
    assert bytes(built.data)[8:12] == (17).to_bytes(4, "little")


def test_create_open_orders_account_name_too_long_raises_codec_error() -> None:
    with pytest.raises(CodecError, match="at most 32 UTF-8 bytes, was 33"):
        ix.create_open_orders_account(
            payer=key(1), owner=key(1), market=key(2), open_orders_account=key(8), name="x" * 33
        )


def test_encoder_wrong_args_type_raises_codec_error() -> None:
    with pytest.raises(CodecError, match="place_order takes PlaceOrderArgs, was str"):
        ix.place_order(
            KEYS,
            signer=key(1),
            open_orders_account=key(8),
            user_token_account=key(9),
            args="bid",  # type: ignore[arg-type]  # wrong on purpose
        )


def test_prune_orders_without_close_admin_raises_codec_error() -> None:
    with pytest.raises(CodecError, match=r"needs keys\.close_market_admin"):
        ix.prune_orders(KEYS, open_orders_account=key(8), limit=5)


def test_named_accounts_too_few_or_unknown_raises_codec_error() -> None:
    with pytest.raises(CodecError, match="place_order needs 12 accounts, was 3"):
        ix.named_accounts("place_order", [key(1), key(2), key(3)])
    with pytest.raises(CodecError, match="unknown OpenBook instruction 'nope'"):
        ix.named_accounts("nope", [])


def test_event_decoders_bad_input_raise_codec_error() -> None:
    with pytest.raises(CodecError, match="unknown OpenBook event discriminator"):
        decode_event(bytes(40))
    with pytest.raises(CodecError, match="DepositLog event is truncated"):
        decode_event(EVENT_DISCRIMINATORS["DepositLog"] + bytes(10))
    with pytest.raises(CodecError, match="not valid base64"):
        decode_program_data_log("Program data: !!!")
    assert decode_program_data_log("Program log: Instruction: PlaceOrder") is None
    with pytest.raises(CodecError, match="not an Anchor event CPI"):
        decode_cpi_event(EVENT_DISCRIMINATORS["DepositLog"] + bytes(80))
    payload = base64.b64encode(bytes(16)).decode()
    with pytest.raises(CodecError, match="unknown OpenBook event"):
        decode_program_data_log(f"Program data: {payload}")


def test_return_data_bad_input_raises_codec_error() -> None:
    with pytest.raises(CodecError, match="settle_funds sets no return data"):
        decode_return_data("settle_funds", b"\x00")
    with pytest.raises(CodecError, match="truncated"):
        decode_return_data("place_order", b"\x01\x02")
    with pytest.raises(CodecError, match="claims 9 order ids"):
        decode_return_data("place_orders", (9).to_bytes(4, "little") + b"\x00")
    with pytest.raises(CodecError, match="cannot return"):
        encode_return_data("place_order", [1])
    assert decode_return_data("place_order", b"") is None


def test_args_from_json_bad_input_raises_codec_error() -> None:
    with pytest.raises(CodecError, match="PlaceOrderArgs needs price_lots, which is missing"):
        args_from_json("place_order", {"side": 0})
    with pytest.raises(CodecError, match=r"side_option must be one of .*was 7"):
        args_from_json("cancel_all_orders", {"side_option": 7, "limit": 1})
    with pytest.raises(CodecError, match="settle_funds takes no arguments"):
        args_from_json("settle_funds", {"x": 1})
    with pytest.raises(CodecError, match="must be an integer or a decimal string"):
        args_from_json("cancel_order", {"order_id": "12x"})


def test_bookside_editor_duplicate_key_or_full_raises() -> None:
    editor = BookSideEditor(empty_bookside(Side.ASK))
    leaf = LeafNode(0, 0, 5 << 64 | 1, key(8), 3, 100, -1, 0)
    editor.insert_leaf(0, leaf)
    with pytest.raises(CodecError, match="already holds key"):
        editor.insert_leaf(0, leaf)
    assert editor.remove_by_key(0, 12345) is None
    with pytest.raises(CodecError, match="holds no order with key 7"):
        editor.set_quantity(0, 7, 1)
    for seq in range(2, 513):
        editor.insert_leaf(0, LeafNode(0, 0, 5 << 64 | seq, key(8), 3, 100, -1, 0))
    assert editor.is_full
    with pytest.raises(CodecError, match="no free node left"):
        editor.insert_leaf(0, LeafNode(0, 0, 6 << 64, key(8), 3, 100, -1, 0))


def test_event_heap_editor_bad_slot_or_full_raises_codec_error() -> None:
    editor = EventHeapEditor(empty_event_heap())
    with pytest.raises(CodecError, match="slot 0 holds no event"):
        editor.delete_slot(0)
    with pytest.raises(CodecError, match="slot 600 holds no event"):
        editor.delete_slot(600)
    event = OutEvent(Side.BID, 0, 1, 0, key(8), 1)
    for _ in range(MAX_EVENTS):
        editor.push_back(event)
    with pytest.raises(CodecError, match="EventHeap is full"):
        editor.push_back(event)


def test_codec_error_is_an_invariant_error() -> None:
    assert issubclass(CodecError, InvariantError)


def test_writers_out_of_range_fields_raise_codec_error() -> None:
    from bmvbot.openbook.market import encode_market, new_market
    from bmvbot.openbook.open_orders import encode_open_orders_account, new_open_orders_account

    market = new_market(
        market=key(2), bids=key(3), asks=key(4), event_heap=key(5), base_mint=key(10),
        quote_mint=key(11), base_decimals=9, quote_decimals=6, base_vault=key(6),
        quote_vault=key(7), collect_fee_admin=key(1),
        args=CreateMarketArgs("m", OracleConfigParams(), 1, 1, 0, 0, 0), registration_time=0,
    )  # fmt: skip
    with pytest.raises(CodecError, match="seq_num must be a u64"):
        encode_market(dataclasses.replace(market, seq_num=-1))
    with pytest.raises(CodecError, match="name must be at most 16 UTF-8 bytes"):
        encode_market(dataclasses.replace(market, name="x" * 17))
    with pytest.raises(CodecError, match="bids must be a Pubkey"):
        encode_market(dataclasses.replace(market, bids=None))  # type: ignore[arg-type]
    account = new_open_orders_account(owner=key(1), market=key(2), name="a", account_num=1)
    with pytest.raises(CodecError, match="has 24 slots, was 23"):
        encode_open_orders_account(
            dataclasses.replace(account, open_orders=account.open_orders[1:])
        )
    book = empty_bookside(Side.BID)
    huge = LeafNode(0, 0, 2**130, key(8), 1, 0, -1, 0)
    with pytest.raises(CodecError, match="BookSide field out of range"):
        encode_bookside(dataclasses.replace(book, bump_index=1, nodes=(huge,)))
    heap = empty_event_heap()
    with pytest.raises(CodecError, match="has 600 nodes, was 599"):
        encode_event_heap(dataclasses.replace(heap, nodes=heap.nodes[1:]))
    with pytest.raises(CodecError, match="account_num must be a u32"):
        pda.open_orders_account(key(1), 2**32)


def test_encoder_non_pubkey_account_raises_codec_error() -> None:
    with pytest.raises(CodecError, match="cancel_order account signer must be a Pubkey"):
        ix.cancel_order(KEYS, signer="alice", open_orders_account=key(8), order_id=1)  # type: ignore[arg-type]
    with pytest.raises(CodecError, match="consume_events remaining account 1 must be a Pubkey"):
        ix.consume_events(KEYS, limit=8, open_orders_accounts=[key(8), b"x"])  # type: ignore[list-item]
