from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.unit.exchange.exchange_venue import START_S, Venue

from bmvbot.core.types import Side
from bmvbot.exchange import ExchangeError, FillEvent, OutEvent, PlaceOrderType, SelfTradeBehavior

POST_ONLY = PlaceOrderType.POST_ONLY


def test_matching_limit_bid_fills_fifo_then_posts_remainder(venue: Venue) -> None:
    venue.place("alice", Side.ASK, 100, 3, order_type=POST_ONLY)
    venue.place("bob", Side.ASK, 100, 4, order_type=POST_ONLY)
    venue.place("alice", Side.ASK, 101, 5, order_type=POST_ONLY)

    result = venue.place("carol", Side.BID, 101, 10, client_order_id=7)

    assert [(f.maker, f.price, f.quantity, f.maker_out) for f in result.fills] == [
        ("alice.oo1", 100, 3, True), ("bob.oo1", 100, 4, True), ("alice.oo1", 101, 3, False),
    ]  # fmt: skip
    assert result.order_id is None
    assert venue.book(Side.ASK) == [(101, 2, "alice.oo1")]
    assert venue.account("carol").base_free_native == 10 * 1_000_000


def test_matching_partial_taker_posts_rest_at_its_price(venue: Venue) -> None:
    venue.place("alice", Side.ASK, 100, 2, order_type=POST_ONLY)

    result = venue.place("bob", Side.BID, 100, 5)

    assert result.order_id is not None
    assert venue.book(Side.BID) == [(100, 3, "bob.oo1")]
    assert venue.book(Side.ASK) == []
    assert venue.market.seq_num == 2


def test_matching_post_only_that_would_cross_is_not_posted(venue: Venue) -> None:
    venue.place("alice", Side.ASK, 100, 2, order_type=POST_ONLY)

    result = venue.place("bob", Side.BID, 100, 1, order_type=POST_ONLY)

    assert result.order_id is None
    assert venue.book(Side.BID) == []
    assert venue.market.seq_num == 2


def test_matching_post_only_slide_reprices_one_tick_inside(venue: Venue) -> None:
    venue.place("alice", Side.ASK, 100, 2, order_type=POST_ONLY)

    result = venue.place("bob", Side.BID, 105, 1, order_type=PlaceOrderType.POST_ONLY_SLIDE)

    assert result.order_id is not None
    assert venue.book(Side.BID) == [(99, 1, "bob.oo1")]


def test_matching_ioc_and_market_never_rest(venue: Venue) -> None:
    venue.place("alice", Side.ASK, 100, 2, order_type=POST_ONLY)

    ioc = venue.place("bob", Side.BID, 100, 5, order_type=PlaceOrderType.IMMEDIATE_OR_CANCEL)
    market = venue.place("carol", Side.BID, 1, 5, order_type=PlaceOrderType.MARKET)

    assert ioc.total_base_taken_native == 2_000_000
    assert ioc.order_id is None
    assert market.total_base_taken_native == 0
    assert venue.book(Side.BID) == []


def test_matching_limit_zero_matches_nothing_and_posts_nothing(venue: Venue) -> None:
    venue.place("alice", Side.ASK, 100, 2, order_type=POST_ONLY)

    result = venue.place("bob", Side.BID, 100, 5, limit=0)

    assert result.fills == ()
    assert result.order_id is None


def test_matching_quote_budget_caps_fill_and_drops_rest(venue: Venue) -> None:
    venue.place("alice", Side.ASK, 100, 5, order_type=POST_ONLY)

    result = venue.place("bob", Side.BID, 100, 5, quote_lots=250)

    assert result.total_base_taken_native == 2_000_000
    assert result.order_id is None


def test_matching_maker_credited_only_when_event_consumed(venue: Venue) -> None:
    venue.place("alice", Side.ASK, 100, 2, order_type=POST_ONLY)
    venue.place("bob", Side.BID, 100, 2)
    alice = venue.account("alice")
    assert (alice.quote_free_native, alice.asks_base_lots) == (0, 2)

    venue.crank()

    assert (alice.quote_free_native, alice.asks_base_lots) == (200, 0)
    assert alice.open_orders_in_use == 0


def test_matching_remaining_account_is_filled_inline(venue: Venue) -> None:
    venue.place("alice", Side.ASK, 100, 2, order_type=POST_ONLY)

    venue.place("bob", Side.BID, 100, 2, remaining=("alice.oo1",))

    assert len(venue.market.event_heap) == 0
    assert venue.account("alice").quote_free_native == 200
    assert venue.account("bob").penalty_heap_count == 0


def test_matching_inline_fills_stop_after_fifteen(venue: Venue) -> None:
    for _ in range(16):
        venue.place("alice", Side.ASK, 100, 1, order_type=POST_ONLY)

    venue.place("bob", Side.BID, 100, 16, limit=20, remaining=("alice.oo1",))

    assert len(venue.market.event_heap) == 1


def test_matching_self_trade_decrement_take_fills_without_fee(make: Callable[..., Venue]) -> None:
    venue = make(taker_fee=1_000)
    venue.place("alice", Side.ASK, 100, 2, order_type=POST_ONLY)

    result = venue.place("alice", Side.BID, 100, 2)

    assert result.taker_fees_native == 0
    assert [f.maker for f in result.fills] == ["alice.oo1"]


def test_matching_self_trade_cancel_provide_cancels_own_order(venue: Venue) -> None:
    venue.place("alice", Side.ASK, 100, 2, order_type=POST_ONLY)
    venue.place("bob", Side.ASK, 100, 2, order_type=POST_ONLY)

    result = venue.place("alice", Side.BID, 100, 2, behavior=SelfTradeBehavior.CANCEL_PROVIDE)

    assert [f.maker for f in result.fills] == ["bob.oo1"]
    assert venue.account("alice").base_free_native == 4_000_000
    assert venue.book(Side.ASK) == []


def test_matching_self_trade_abort_refuses_and_changes_nothing(venue: Venue) -> None:
    venue.place("alice", Side.ASK, 100, 2, order_type=POST_ONLY)
    seq_before = venue.market.seq_num

    with pytest.raises(ExchangeError) as caught:
        venue.place("alice", Side.BID, 100, 2, behavior=SelfTradeBehavior.ABORT_TRANSACTION)

    assert caught.value.code == 6029
    assert venue.market.seq_num == seq_before
    assert venue.book(Side.ASK) == [(100, 2, "alice.oo1")]


def test_matching_self_trade_inline_on_own_account_fails_borrow(venue: Venue) -> None:
    venue.place("alice", Side.ASK, 100, 2, order_type=POST_ONLY)

    with pytest.raises(ExchangeError) as caught:
        venue.place("alice", Side.BID, 100, 2, remaining=("alice.oo1",))

    assert caught.value.name == "AccountBorrowFailed"
    assert caught.value.code is None


def test_matching_drops_at_most_five_expired_orders(venue: Venue) -> None:
    for _ in range(7):
        venue.place("alice", Side.ASK, 100, 1, order_type=POST_ONLY,
                    expiry_timestamp=START_S + 10)  # fmt: skip
    venue.now_s = START_S + 20

    result = venue.place("bob", Side.BID, 99, 1, order_type=POST_ONLY)

    outs = [e for _, e in venue.market.event_heap if isinstance(e, OutEvent)]
    assert len(outs) == 5
    assert len(venue.book(Side.ASK)) == 2
    assert result.order_id is not None


def test_matching_expiry_is_clamped_to_65535_seconds(venue: Venue) -> None:
    venue.place("alice", Side.ASK, 100, 1, expiry_timestamp=START_S + 10**6)

    (order,) = venue.market.asks.iter_orders()

    assert order.time_in_force == 65_535


def test_matching_already_expired_order_is_skipped(venue: Venue) -> None:
    result = venue.place("alice", Side.ASK, 100, 1, expiry_timestamp=START_S)

    assert result.order_id is None
    assert venue.market.seq_num == 0


def test_matching_open_orders_full_refuses_25th_order(venue: Venue) -> None:
    for i in range(24):
        venue.place("alice", Side.BID, 50 + i, 1, order_type=POST_ONLY)

    with pytest.raises(ExchangeError) as caught:
        venue.place("alice", Side.BID, 10, 1, order_type=POST_ONLY)

    assert caught.value.code == 6036
    assert venue.account("alice").open_orders_in_use == 24


def test_matching_full_side_evicts_worst_or_refuses(venue: Venue) -> None:
    book = venue.market.bids
    exchange = venue.exchange
    for i in range(512):
        owner = f"maker{i // 24}"
        if f"{owner}.oo1" not in exchange.open_orders:
            exchange.ledger.open_account(f"{owner}.quote", "quote", owner, 10**9)
            exchange.create_open_orders_indexer(owner)
            exchange.create_open_orders_account(owner, "m")
        venue.place(owner, Side.BID, 1000 + i, 1, order_type=POST_ONLY)
    assert book.is_full

    with pytest.raises(ExchangeError) as caught:
        venue.place("alice", Side.BID, 1000, 1, order_type=POST_ONLY)
    venue.place("bob", Side.BID, 5000, 1, order_type=POST_ONLY)

    assert caught.value.code == 6000
    assert len(book) == 512
    assert book.best_price(venue.now_s) == 5000
    ((_slot, event),) = list(venue.market.event_heap)
    assert isinstance(event, OutEvent)
    assert event.quantity == 1


def test_matching_fill_event_seq_is_heap_counter(venue: Venue) -> None:
    venue.place("alice", Side.ASK, 100, 1, order_type=POST_ONLY)
    venue.place("alice", Side.ASK, 100, 1, order_type=POST_ONLY)

    venue.place("bob", Side.BID, 100, 2)

    events = [e for _, e in venue.market.event_heap]
    assert all(isinstance(e, FillEvent) for e in events)
    assert [e.seq_num for e in events] == [0, 1]


def test_matching_full_event_heap_refuses_taking_order_atomically(venue: Venue) -> None:
    venue.place("alice", Side.ASK, 100, 2, order_type=POST_ONLY)
    heap = venue.market.event_heap
    while not heap.is_full:
        heap.push_back(OutEvent(Side.BID, 0, venue.now_s, heap.seq_num, "elsewhere", 0))
    seq_before = venue.market.seq_num

    with pytest.raises(ExchangeError) as caught:
        venue.place("bob", Side.BID, 100, 1)

    assert caught.value.name == "ProgramFailedToComplete"
    assert venue.market.seq_num == seq_before
    assert venue.book(Side.ASK) == [(100, 2, "alice.oo1")]
    assert venue.account("bob").base_free_native == 0
