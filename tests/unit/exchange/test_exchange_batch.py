from __future__ import annotations

import pytest
from tests.unit.exchange.exchange_venue import FUNDS_NATIVE, START_S, Venue

from bmvbot.core.types import Side
from bmvbot.exchange import (
    ExchangeError,
    PlaceMultipleOrdersArgs,
    PlaceOrdersArgs,
    PlaceOrderType,
)

POST_ONLY = PlaceOrderType.POST_ONLY


def _grid(bids: list[int], asks: list[int], size: int = 2) -> PlaceOrdersArgs:
    return PlaceOrdersArgs(
        POST_ONLY,
        tuple(PlaceMultipleOrdersArgs(p, p * size) for p in bids),
        tuple(PlaceMultipleOrdersArgs(p, p * size) for p in asks),
    )


def _replace(venue: Venue, owner: str, args: PlaceOrdersArgs) -> list[int | None]:
    return venue.exchange.cancel_all_and_place_orders(
        owner, f"{owner}.oo1", args, f"{owner}.base", f"{owner}.quote", venue.now_s
    )


def test_batch_places_bids_then_asks_with_index_client_ids(venue: Venue) -> None:
    ids = _replace(venue, "alice", _grid([99, 98], [101]))

    assert all(order_id is not None for order_id in ids)
    slots = venue.account("alice").slots
    assert [(s.side, s.client_order_id) for s in slots[:3] if s] == [
        (Side.BID, 0), (Side.BID, 1), (Side.ASK, 2),
    ]  # fmt: skip
    assert venue.book(Side.ASK) == [(101, 2, "alice.oo1")]


def test_batch_replacing_reuses_released_funds(venue: Venue) -> None:
    _replace(venue, "alice", _grid([99], [101]))
    spent = FUNDS_NATIVE - venue.exchange.ledger.balance("alice.quote")

    _replace(venue, "alice", _grid([98], [102]))

    assert FUNDS_NATIVE - venue.exchange.ledger.balance("alice.quote") == spent
    assert venue.account("alice").quote_free_native == 2
    assert venue.book(Side.BID) == [(98, 2, "alice.oo1")]


def test_batch_crossing_post_only_entry_is_dropped(venue: Venue) -> None:
    venue.place("bob", Side.ASK, 100, 1, order_type=POST_ONLY)

    ids = _replace(venue, "alice", _grid([100, 99], []))

    assert ids[0] is None
    assert ids[1] is not None


def test_batch_expired_entry_keeps_its_index_but_no_result(venue: Venue) -> None:
    args = PlaceOrdersArgs(
        POST_ONLY,
        (PlaceMultipleOrdersArgs(99, 99, expiry_timestamp=START_S - 1),
         PlaceMultipleOrdersArgs(98, 98)),
        (),
    )  # fmt: skip

    ids = _replace(venue, "alice", args)

    assert len(ids) == 1
    (slot,) = [s for s in venue.account("alice").slots if s]
    assert slot.client_order_id == 1


def test_batch_short_funds_shrink_then_drop_entries(venue: Venue) -> None:
    exchange = venue.exchange
    exchange.ledger.open_account("poor.base", "base", "poor", 3_000_000)
    exchange.ledger.open_account("poor.quote", "quote", "poor", 0)
    exchange.create_open_orders_indexer("poor")
    exchange.create_open_orders_account("poor", "m")

    ids = _replace(venue, "poor", _grid([], [101, 102], size=2))

    assert ids[0] is not None
    assert ids[1] is not None
    assert venue.book(Side.ASK) == [(101, 2, "poor.oo1"), (102, 1, "poor.oo1")]
    assert exchange.ledger.balance("poor.base") == 0


def test_batch_over_24_orders_refuses_everything(venue: Venue) -> None:
    _replace(venue, "alice", _grid([90], [110]))
    before = venue.book(Side.BID)

    with pytest.raises(ExchangeError) as caught:
        _replace(venue, "alice", _grid(list(range(60, 73)), list(range(120, 132))))

    assert caught.value.code == 6036
    assert venue.book(Side.BID) == before


def test_batch_price_zero_is_refused(venue: Venue) -> None:
    with pytest.raises(ExchangeError) as caught:
        _replace(venue, "alice", _grid([0], []))

    assert caught.value.code == 6008
