"""The unchecked placement path and the book-indexed cancel agree with the careful paths.

``place_order`` skips the checkpoint when nothing can be refused once the order has started
(among others: the wallet plus the free balance cover the whole quote budget). A wallet that
covers the fill but not the budget takes the checkpointed path; both must end in the same state.
``cancel_order`` finds an order's slot through the book; another account's order is still 6038.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.unit.exchange.exchange_venue import FUNDS_NATIVE, Venue

from bmvbot.core.types import Side
from bmvbot.exchange import ExchangeError, PlaceOrderType

POST_ONLY = PlaceOrderType.POST_ONLY
IOC = PlaceOrderType.IMMEDIATE_OR_CANCEL


def _state(venue: Venue) -> tuple[object, ...]:
    market = venue.market
    accounts = tuple(
        (a.account_id, a.base_free_native, a.quote_free_native, a.bids_base_lots,
         a.asks_base_lots, a.bids_quote_lots, a.locked_maker_fees, a.referrer_rebates_available,
         a.penalty_heap_count, a.maker_volume, a.taker_volume, tuple(a.slots))
        for a in venue.exchange.open_orders.values()
    )  # fmt: skip
    counters = (
        market.seq_num, market.fees_accrued, market.referrer_rebates_accrued,
        market.maker_volume, market.base_deposit_total, market.quote_deposit_total,
    )  # fmt: skip
    books = (venue.book(Side.BID), venue.book(Side.ASK))
    return accounts, counters, books, tuple(market.event_heap)


def _with_book(make: Callable[..., Venue]) -> Venue:
    venue = make(maker_fee=-200, taker_fee=400)
    venue.place("alice", Side.ASK, 100, 3, order_type=POST_ONLY)
    venue.place("bob", Side.ASK, 101, 4, order_type=POST_ONLY)
    venue.place("alice", Side.BID, 98, 5, order_type=POST_ONLY)
    return venue


@pytest.mark.parametrize("order_type", [IOC, PlaceOrderType.LIMIT])
def test_fast_paths_budget_short_wallet_ends_like_rich_wallet(
    make: Callable[..., Venue], order_type: PlaceOrderType
) -> None:
    rich = _with_book(make)
    short = _with_book(make)
    # the fill (7 lots for 704 quote lots plus fees) is covered, the 10,000-lot budget is not
    wallet = short.exchange.ledger.get("carol.quote")
    wallet.amount = 5_000

    rich_result = rich.place("carol", Side.BID, 101, 10, order_type=order_type, quote_lots=10_000)
    short_result = short.place("carol", Side.BID, 101, 10, order_type=order_type, quote_lots=10_000)

    assert short_result == rich_result
    assert [f.quantity for f in rich_result.fills] == [3, 4]
    assert _state(short) == _state(rich)
    rich_paid = FUNDS_NATIVE - rich.exchange.ledger.balance("carol.quote")
    assert 5_000 - wallet.amount == rich_paid


def test_fast_paths_ioc_wallet_short_of_the_fill_changes_nothing(
    make: Callable[..., Venue],
) -> None:
    venue = _with_book(make)
    venue.exchange.ledger.get("carol.quote").amount = 500
    before = _state(venue)

    with pytest.raises(ExchangeError) as caught:
        venue.place("carol", Side.BID, 101, 10, order_type=IOC, quote_lots=10_000)

    assert (caught.value.kind.value, caught.value.code) == ("spl_token", 1)
    assert _state(venue) == before
    assert venue.exchange.ledger.balance("carol.quote") == 500


def test_fast_paths_cancel_of_another_accounts_order_is_not_found(venue: Venue) -> None:
    placed = venue.place("alice", Side.ASK, 100, 2, order_type=POST_ONLY)
    assert placed.order_id is not None

    with pytest.raises(ExchangeError) as caught:
        venue.exchange.cancel_order("bob", "bob.oo1", placed.order_id)

    assert caught.value.code == 6038
    assert venue.book(Side.ASK) == [(100, 2, "alice.oo1")]


def test_fast_paths_cancel_through_the_book_frees_the_right_slot(venue: Venue) -> None:
    first = venue.place("alice", Side.BID, 90, 1, order_type=POST_ONLY)
    second = venue.place("alice", Side.ASK, 110, 2, order_type=POST_ONLY)
    third = venue.place("alice", Side.BID, 91, 3, order_type=POST_ONLY)
    assert second.order_id is not None

    released = venue.exchange.cancel_order("alice", "alice.oo1", second.order_id)

    slots = venue.account("alice").slots
    assert released == 2
    assert [s.order_id if s else None for s in slots[:3]] == [first.order_id, None, third.order_id]
    assert venue.account("alice").asks_base_lots == 0
    assert venue.book(Side.ASK) == []
