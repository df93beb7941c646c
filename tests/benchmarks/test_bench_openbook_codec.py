"""Speed of the OpenBook codec on its hot paths.

Run: ``.venv/bin/pytest tests/benchmarks/test_bench_openbook_codec.py --benchmark-enable``.
- decoding a BookSide with 500 resting orders (999 nodes) and reading its top 20 L2 levels,
  and the same levels straight from the bytes (``read_levels``);
- building a 32-entry ``cancel_all_and_place_orders`` instruction (16 bids + 16 asks);
- decoding a full EventHeap (600 events).
"""

from __future__ import annotations

from pytest_benchmark.fixture import BenchmarkFixture
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from bmvbot.core.types import PlaceOrderType, Side
from bmvbot.openbook import instructions as ix
from bmvbot.openbook import pda
from bmvbot.openbook.args import PlaceMultipleOrdersArgs, PlaceOrdersArgs
from bmvbot.openbook.bookside import (
    LeafNode,
    decode_bookside,
    encode_bookside,
    order_key,
    read_levels,
)
from bmvbot.openbook.event_heap import (
    EventHeapEditor,
    FillEvent,
    decode_event_heap,
    empty_event_heap,
    encode_event_heap,
)
from bmvbot.openbook.order_tree import BookSideEditor, empty_bookside

ORDERS = 500


def key(i: int) -> Pubkey:
    return Keypair.from_seed(bytes([i]) * 32).pubkey()


def deep_bookside() -> bytes:
    editor = BookSideEditor(empty_bookside(Side.BID))
    for seq in range(1, ORDERS + 1):
        price = 10_000 - seq % 250
        leaf = LeafNode(seq % 24, 0, order_key(Side.BID, price, seq), key(seq % 50), 7, seq, -1, 0)
        editor.insert_leaf(0, leaf)
    return encode_bookside(editor.freeze())


def test_bench_decode_bookside_500_orders_top_20_levels(benchmark: BenchmarkFixture) -> None:
    data = deep_bookside()

    def run() -> int:
        return len(decode_bookside(data).levels(20))

    assert benchmark(run) == 20


def test_bench_read_levels_500_orders_top_20(benchmark: BenchmarkFixture) -> None:
    data = deep_bookside()

    def run() -> int:
        return len(read_levels(data, 20, now_ts=10**9))

    assert benchmark(run) == 20


def test_bench_build_32_order_cancel_all_and_place(benchmark: BenchmarkFixture) -> None:
    market = key(2)
    keys = ix.MarketKeys(
        market=market,
        bids=key(3),
        asks=key(4),
        event_heap=key(5),
        market_authority=pda.market_authority(market),
        base_vault=key(6),
        quote_vault=key(7),
    )
    bids = tuple(PlaceMultipleOrdersArgs(9_990 - 10 * i, 9_990 * (i + 1)) for i in range(16))
    asks = tuple(PlaceMultipleOrdersArgs(10_010 + 10 * i, 10_010 * (i + 1)) for i in range(16))
    args = PlaceOrdersArgs(PlaceOrderType.POST_ONLY, bids, asks, 10)
    signer, open_orders, base, quote = key(1), key(8), key(9), key(10)

    def run() -> int:
        built = ix.cancel_all_and_place_orders(
            keys,
            signer=signer,
            open_orders_account=open_orders,
            user_base_account=base,
            user_quote_account=quote,
            args=args,
        )
        return len(bytes(built.data))

    assert benchmark(run) == 18 + 24 * 32


def test_bench_decode_full_event_heap(benchmark: BenchmarkFixture) -> None:
    editor = EventHeapEditor(empty_event_heap())
    for seq in range(600):
        editor.push_back(
            FillEvent(Side.BID, False, 0, seq, seq, key(1), seq, key(2), 0, 100, -1, 1, 0)
        )
    data = encode_event_heap(editor.freeze())

    def run() -> int:
        return len(decode_event_heap(data).events())

    assert benchmark(run) == 600
