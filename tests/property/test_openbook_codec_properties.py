"""Hypothesis properties of the OpenBook codec: round trips, fuzzed bytes, editor invariants."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from bmvbot.core.errors import CodecError
from bmvbot.core.types import PlaceOrderType, SelfTradeBehavior, Side
from bmvbot.openbook import instructions as ix
from bmvbot.openbook.accounts import decode_account
from bmvbot.openbook.args import PlaceMultipleOrdersArgs, PlaceOrderArgs, PlaceOrdersArgs
from bmvbot.openbook.bookside import (
    BOOKSIDE_DISCRIMINATOR,
    InnerNode,
    LeafNode,
    decode_bookside,
    encode_bookside,
    order_key,
)
from bmvbot.openbook.event_heap import (
    EventHeapEditor,
    FillEvent,
    OutEvent,
    decode_event_heap,
    empty_event_heap,
    encode_event_heap,
)
from bmvbot.openbook.events import (
    DepositLog,
    SettleFundsLog,
    decode_event,
    decode_return_data,
    encode_event,
    encode_return_data,
)
from bmvbot.openbook.ids import ACCOUNT_DISCRIMINATORS
from bmvbot.openbook.market import Market, OracleConfig, decode_market, encode_market
from bmvbot.openbook.open_orders import (
    OpenOrdersAccount,
    OpenOrdersIndexer,
    OpenOrderSlot,
    Position,
    decode_open_orders_account,
    decode_open_orders_indexer,
    encode_open_orders_account,
    encode_open_orders_indexer,
)
from bmvbot.openbook.order_tree import BookSideEditor, empty_bookside, leaf_expiry
from bmvbot.openbook.spl import (
    Mint,
    TokenAccount,
    decode_mint,
    decode_token_account,
    encode_mint,
    encode_token_account,
)

I64 = st.integers(-(2**63), 2**63 - 1)
U64 = st.integers(0, 2**64 - 1)
U8 = st.integers(0, 255)
KEYS = st.binary(min_size=32, max_size=32).map(Pubkey.from_bytes)

place_order_args = st.builds(
    PlaceOrderArgs,
    side=st.sampled_from(Side),
    price_lots=I64,
    max_base_lots=I64,
    max_quote_lots_including_fees=I64,
    client_order_id=U64,
    order_type=st.sampled_from(PlaceOrderType),
    expiry_timestamp=U64,
    self_trade_behavior=st.sampled_from(SelfTradeBehavior),
    limit=U8,
)
entries = st.lists(st.builds(PlaceMultipleOrdersArgs, I64, I64, U64), max_size=12).map(tuple)
batch_args = st.builds(PlaceOrdersArgs, st.sampled_from(PlaceOrderType), entries, entries, U8)


@given(place_order_args)
def test_place_order_args_roundtrip_through_data(args: PlaceOrderArgs) -> None:
    data = bytes(ix.encode_instruction_data("place_order", args))
    assert len(data) == 52
    assert ix.decode_instruction(data).args == args


@given(batch_args)
def test_batch_args_roundtrip_and_length_is_18_plus_24n(args: PlaceOrdersArgs) -> None:
    data = ix.encode_instruction_data("cancel_all_and_place_orders", args)
    assert len(data) == 18 + 24 * (len(args.bids) + len(args.asks))
    assert ix.decode_instruction(data).args == args


@given(st.binary(max_size=300))
def test_decode_instruction_fuzzed_bytes_never_crash(data: bytes) -> None:
    for payload in (data, bytes.fromhex("33c29baf6d82606a") + data):
        with contextlib.suppress(CodecError):
            ix.decode_instruction(payload)


@settings(max_examples=60)
@given(st.sampled_from(["Market", "OpenOrdersAccount", "OpenOrdersIndexer"]), st.binary())
def test_decode_account_fuzzed_body_never_crashes(kind: str, body: bytes) -> None:
    with contextlib.suppress(CodecError):
        decode_account(ACCOUNT_DISCRIMINATORS[kind] + body)


@settings(max_examples=30)
@given(st.lists(st.tuples(st.integers(0, 90_943), U8), max_size=40), st.sampled_from(Side))
def test_bookside_fuzzed_bytes_decode_and_walk_raise_only_codec_error(
    patches: list[tuple[int, int]], side: Side
) -> None:
    data = bytearray(encode_bookside(empty_bookside(side)))
    for offset, value in patches:
        data[8 + offset] = value
    try:
        book = decode_bookside(bytes(data))
        book.orders(0)
        book.orders(1)
        book.levels(10, now_ts=0, oracle_price_lots=100)
    except CodecError:
        pass


@given(KEYS, U64, U64, st.one_of(st.none(), KEYS))
def test_events_roundtrip(account: Pubkey, base: int, quote: int, referrer: Pubkey | None) -> None:
    for event in (
        DepositLog(account, account, base, quote),
        SettleFundsLog(account, base, quote, base, referrer),
    ):
        assert decode_event(encode_event(event)) == event


@given(st.lists(st.one_of(st.none(), st.integers(0, 2**128 - 1)), max_size=60))
def test_return_data_roundtrip(ids: list[int | None]) -> None:
    data = encode_return_data("cancel_all_and_place_orders", ids)
    assert decode_return_data("cancel_all_and_place_orders", data) == ids


def _check_tree(editor: BookSideEditor, tree: int) -> int:
    # returns the earliest expiry below the root; checks each inner node's bookkeeping
    def walk(handle: int) -> int:
        node = editor.nodes[handle]
        if isinstance(node, LeafNode):
            return leaf_expiry(node)
        assert isinstance(node, InnerNode)
        for bit in (0, 1):
            child = editor.nodes[node.children[bit]]
            assert child is not None
            assert isinstance(child, InnerNode | LeafNode)
            assert (child.key >> (127 - node.prefix_len)) & 1 == bit
            assert node.child_earliest_expiry[bit] == walk(node.children[bit])
        return min(node.child_earliest_expiry)

    return walk(editor.roots[tree][0]) if editor.roots[tree][1] else 2**64 - 1


@settings(max_examples=40)
@given(
    st.sampled_from(Side),
    st.lists(
        st.tuples(st.booleans(), st.integers(1, 40), st.integers(0, 3), st.integers(0, 2)),
        max_size=120,
    ),
)
def test_bookside_editor_random_edits_keep_priority_order_and_roundtrip(
    side: Side, ops: list[tuple[bool, int, int, int]]
) -> None:
    editor = BookSideEditor(empty_bookside(side))
    model: dict[int, LeafNode] = {}
    seq = 0
    for is_insert, price, tif, pick in ops:
        if is_insert or not model:
            seq += 1
            key = order_key(side, price, seq)
            leaf = LeafNode(seq % 24, tif * 10, key, Pubkey.default(), price, seq, -1, seq)
            editor.insert_leaf(0, leaf)
            model[key] = leaf
        else:
            victim = sorted(model)[pick % len(model)]
            assert editor.remove_by_key(0, victim) == model.pop(victim)
        _check_tree(editor, 0)
    book = editor.freeze()
    keys = [o.order_id for o in book.orders(0)]
    assert keys == sorted(model, reverse=side is Side.BID)
    assert decode_bookside(encode_bookside(book)) == book
    assert editor.free_list_len + 2 * max(len(model) - 1, 0) + (1 if model else 0) == (
        editor.bump_index
    )


@settings(max_examples=40)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 50)), max_size=200))
def test_event_heap_editor_matches_a_fifo_model_and_roundtrips(
    ops: list[tuple[bool, int]],
) -> None:
    editor = EventHeapEditor(empty_event_heap())
    model: list[tuple[int, FillEvent | OutEvent]] = []
    for is_push, pick in ops:
        if is_push or not model:
            event: FillEvent | OutEvent = OutEvent(
                Side.ASK, pick % 24, pick, editor.seq_num, Pubkey.default(), pick
            )
            model.append((editor.push_back(event), event))
        else:
            slot, event = model.pop(pick % len(model))
            assert editor.delete_slot(slot) == event
    heap = editor.freeze()
    assert heap.events() == model
    assert decode_event_heap(encode_event_heap(heap)) == heap


def test_bookside_discriminator_is_the_anchor_hash() -> None:
    assert BOOKSIDE_DISCRIMINATOR.hex() == "482ce18db2826139"


def test_random_indexer_bodies_raise_only_codec_error() -> None:
    rng = random.Random(7)
    decode: Callable[[bytes], object] = decode_open_orders_indexer
    for _ in range(300):
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(40)))
        with contextlib.suppress(CodecError):
            decode(ACCOUNT_DISCRIMINATORS["OpenOrdersIndexer"] + body)


@settings(max_examples=40)
@given(
    st.sampled_from(Side),
    st.lists(st.tuples(st.integers(1, 30), st.integers(0, 20)), min_size=1, max_size=60),
    st.integers(900, 1300),
)
def test_bookside_editor_worst_and_expiry_queries_match_a_model(
    side: Side, orders: list[tuple[int, int]], now_ts: int
) -> None:
    editor = BookSideEditor(empty_bookside(side))
    leaves = []
    for seq, (price, tif) in enumerate(orders, 1):
        leaf = LeafNode(0, tif * 17, order_key(side, price, seq), Pubkey.default(), 1, 1000, -1, 0)
        editor.insert_leaf(0, leaf)
        leaves.append(leaf)
    worst = editor.find_worst(0)
    assert worst is not None
    assert worst.key == (min if side is Side.BID else max)(leaf.key for leaf in leaves)
    earliest = editor.find_earliest_expiry(0)
    assert earliest is not None
    assert leaf_expiry(earliest) == min(leaf_expiry(leaf) for leaf in leaves)
    removed = editor.remove_one_expired(0, now_ts)
    if leaf_expiry(earliest) < now_ts:
        assert removed is not None
        assert leaf_expiry(removed) == leaf_expiry(earliest)
        assert editor.leaf_count(0) == len(leaves) - 1
    else:
        assert removed is None
        assert editor.leaf_count(0) == len(leaves)
    _check_tree(editor, 0)


# the layouts store "none" as the zero key, so an optional field never holds the zero key itself
OPT_KEYS = st.one_of(st.none(), KEYS.filter(lambda k: k != Pubkey.default()))
U128 = st.integers(0, 2**128 - 1)
NAMES16 = st.text(st.characters(min_codepoint=1, max_codepoint=0x7FF), max_size=8)

markets = st.builds(
    Market,
    bump=U8, base_decimals=U8, quote_decimals=U8, market_authority=KEYS, time_expiry=I64,
    collect_fee_admin=KEYS, open_orders_admin=OPT_KEYS, consume_events_admin=OPT_KEYS,
    close_market_admin=OPT_KEYS, name=NAMES16, bids=KEYS, asks=KEYS, event_heap=KEYS,
    oracle_a=OPT_KEYS, oracle_b=OPT_KEYS,
    oracle_config=st.builds(OracleConfig, st.floats(allow_nan=False), I64),
    quote_lot_size=I64, base_lot_size=I64, seq_num=U64, registration_time=I64, maker_fee=I64,
    taker_fee=I64, fees_accrued=U128, fees_to_referrers=U128, referrer_rebates_accrued=U64,
    fees_available=U64, maker_volume=U128, taker_volume_wo_oo=U128, base_mint=KEYS,
    quote_mint=KEYS, market_base_vault=KEYS, base_deposit_total=U64, market_quote_vault=KEYS,
    quote_deposit_total=U64,
)  # fmt: skip
slots = st.builds(OpenOrderSlot, U128, U64, I64, st.booleans(), U8)
open_orders_accounts = st.builds(
    OpenOrdersAccount,
    owner=KEYS, market=KEYS, name=NAMES16, delegate=OPT_KEYS, account_num=st.integers(0, 2**32 - 1),
    bump=U8, version=U8,
    position=st.builds(Position, I64, I64, U64, U64, U64, U64, U64, U128, U128, I64),
    open_orders=st.lists(slots, min_size=24, max_size=24).map(tuple),
)  # fmt: skip


@settings(max_examples=50)
@given(markets)
def test_market_writer_roundtrips(market: Market) -> None:
    data = encode_market(market)
    assert len(data) == 848
    assert decode_market(data) == market


@settings(max_examples=50)
@given(open_orders_accounts)
def test_open_orders_account_writer_roundtrips(account: OpenOrdersAccount) -> None:
    assert decode_open_orders_account(encode_open_orders_account(account)) == account


@given(st.builds(OpenOrdersIndexer, U8, st.integers(0, 2**32 - 1), st.lists(KEYS).map(tuple)))
def test_open_orders_indexer_writer_roundtrips(indexer: OpenOrdersIndexer) -> None:
    data = encode_open_orders_indexer(indexer)
    assert len(data) == indexer.size
    assert decode_open_orders_indexer(data) == indexer


token_accounts = st.builds(
    TokenAccount, KEYS, KEYS, U64, OPT_KEYS, st.integers(0, 2), st.one_of(st.none(), U64), U64,
    OPT_KEYS,
)  # fmt: skip


@given(token_accounts, st.builds(Mint, OPT_KEYS, U64, U8, st.booleans(), OPT_KEYS))
def test_spl_writers_roundtrip(account: TokenAccount, mint: Mint) -> None:
    assert decode_token_account(encode_token_account(account)) == account
    assert decode_mint(encode_mint(mint)) == mint
