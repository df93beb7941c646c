from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.unit.exchange.exchange_venue import FUNDS_NATIVE, START_S, Venue

from bmvbot.core.types import Side
from bmvbot.exchange import (
    ErrorKind,
    ExchangeError,
    FillLog,
    MarketAccounts,
    MarketParams,
    PlaceOrderType,
    PlaceTakeOrderArgs,
)

POST_ONLY = PlaceOrderType.POST_ONLY


def _code(error: pytest.ExceptionInfo[ExchangeError]) -> int | None:
    return error.value.code


def test_instructions_cancel_by_id_releases_funds(venue: Venue) -> None:
    placed = venue.place("alice", Side.BID, 100, 3, order_type=POST_ONLY)
    assert placed.order_id is not None

    released = venue.exchange.cancel_order("alice", "alice.oo1", placed.order_id)

    alice = venue.account("alice")
    assert released == 3
    assert (alice.quote_free_native, alice.bids_base_lots, alice.bids_quote_lots) == (300, 0, 0)


@pytest.mark.parametrize(
    ("signer", "order_id", "code"),
    [("alice", 0, 6011), ("alice", 12345, 6038), ("bob", 1, 6034)],
)
def test_instructions_cancel_refusals_carry_program_codes(
    venue: Venue, signer: str, order_id: int, code: int
) -> None:
    with pytest.raises(ExchangeError) as caught:
        venue.exchange.cancel_order(signer, "alice.oo1", order_id)

    assert _code(caught) == code


def test_instructions_cancel_filled_order_is_order_id_not_found(venue: Venue) -> None:
    placed = venue.place("alice", Side.ASK, 100, 1, order_type=POST_ONLY)
    venue.place("bob", Side.BID, 100, 1)
    assert placed.order_id is not None

    with pytest.raises(ExchangeError) as caught:
        venue.exchange.cancel_order("alice", "alice.oo1", placed.order_id)

    assert _code(caught) == 6025


def test_instructions_cancel_by_client_id_cancels_first_match_only(venue: Venue) -> None:
    venue.place("alice", Side.BID, 100, 1, order_type=POST_ONLY, client_order_id=5)
    venue.place("alice", Side.BID, 101, 2, order_type=POST_ONLY, client_order_id=5)

    released = venue.exchange.cancel_order_by_client_order_id("alice", "alice.oo1", 5)

    assert released == 1
    assert venue.book(Side.BID) == [(101, 2, "alice.oo1")]


def test_instructions_cancel_all_respects_side_and_limit(venue: Venue) -> None:
    for price in (90, 91, 92):
        venue.place("alice", Side.BID, price, 1, order_type=POST_ONLY)
    venue.place("alice", Side.ASK, 110, 1, order_type=POST_ONLY)

    venue.exchange.cancel_all_orders("alice", "alice.oo1", Side.BID, limit=2)

    assert venue.book(Side.BID) == [(92, 1, "alice.oo1")]
    assert venue.book(Side.ASK) == [(110, 1, "alice.oo1")]


def test_instructions_deposit_then_settle_round_trips(venue: Venue) -> None:
    exchange = venue.exchange

    exchange.deposit("alice", "alice.oo1", "alice.base", "alice.quote", 5, 7, venue.now_s)
    settled = venue.settle("alice")

    assert settled == (5, 7)
    assert exchange.ledger.balance("alice.base") == FUNDS_NATIVE
    assert venue.market.base_deposit_total == 0


def test_instructions_deposit_beyond_balance_is_spl_insufficient_funds(venue: Venue) -> None:
    with pytest.raises(ExchangeError) as caught:
        venue.exchange.deposit(
            "alice", "alice.oo1", "alice.base", "alice.quote", 1, FUNDS_NATIVE + 1, venue.now_s
        )

    assert (caught.value.kind, caught.value.code) == (ErrorKind.SPL_TOKEN, 1)
    assert venue.account("alice").base_free_native == 0


def test_instructions_refill_tops_up_to_target(venue: Venue) -> None:
    exchange = venue.exchange
    exchange.deposit("alice", "alice.oo1", "alice.base", "alice.quote", 3, 0, venue.now_s)

    exchange.refill("alice", "alice.oo1", "alice.base", "alice.quote", 10, 4, venue.now_s)

    assert (venue.account("alice").base_free_native, venue.account("alice").quote_free_native) == (
        10, 4,
    )  # fmt: skip


def test_instructions_fees_flow_to_sweep(make: Callable[..., Venue]) -> None:
    venue = make(maker_fee=-200, taker_fee=400)
    venue.place("alice", Side.ASK, 10_000, 10, order_type=POST_ONLY)
    venue.place("bob", Side.BID, 10_000, 10)
    venue.crank()

    venue.settle("alice")
    venue.settle("bob")
    swept = venue.exchange.sweep_fees("admin", "m", "admin.quote")

    # taker fee 40 on 100,000 quote, maker rebate 20: the market keeps 20
    assert swept == 20
    assert venue.exchange.ledger.balance("admin.quote") == 20
    assert venue.exchange.ledger.balance("m.quote_vault") == 0


def test_instructions_positive_maker_fee_locks_and_forfeits_rounding(
    make: Callable[..., Venue],
) -> None:
    venue = make(maker_fee=1_500)
    venue.place("alice", Side.BID, 333, 1, order_type=POST_ONLY, quote_lots=400)
    alice = venue.account("alice")
    assert alice.locked_maker_fees == 1

    venue.place("bob", Side.ASK, 333, 1)
    venue.crank()
    venue.settle("alice")

    assert alice.locked_maker_fees == 0
    assert venue.market.fees_available == 1


def test_instructions_take_order_settles_immediately(venue: Venue) -> None:
    venue.place("alice", Side.ASK, 100, 2, order_type=POST_ONLY)
    args = PlaceTakeOrderArgs(Side.BID, 100, 2, 1000, PlaceOrderType.MARKET)

    venue.exchange.place_take_order("carol", "m", args, "carol.base", "carol.quote", venue.now_s)

    assert venue.exchange.ledger.balance("carol.base") == FUNDS_NATIVE + 2_000_000
    assert venue.exchange.ledger.balance("carol.quote") == FUNDS_NATIVE - 200
    assert venue.market.taker_volume_wo_oo == 200


def test_instructions_take_order_refuses_post_only(venue: Venue) -> None:
    args = PlaceTakeOrderArgs(Side.BID, 100, 2, 1000, POST_ONLY)

    with pytest.raises(ExchangeError) as caught:
        venue.exchange.place_take_order("carol", "m", args, "carol.base", "carol.quote", 0)

    assert _code(caught) == 6010


def test_instructions_consume_skips_events_of_missing_accounts(venue: Venue) -> None:
    venue.place("alice", Side.ASK, 100, 1, order_type=POST_ONLY)
    venue.place("bob", Side.ASK, 100, 1, order_type=POST_ONLY)
    venue.place("carol", Side.BID, 100, 2)

    result = venue.exchange.consume_events("m", 8, ["bob.oo1"])

    assert [e.owner for e in result.events] == ["bob.oo1"]
    assert [e.owner for _, e in venue.market.event_heap] == ["alice.oo1"]


def test_instructions_consume_given_replaces_free_slot_by_next_event(venue: Venue) -> None:
    venue.place("alice", Side.ASK, 100, 1, order_type=POST_ONLY)
    venue.place("bob", Side.ASK, 100, 1, order_type=POST_ONLY)
    venue.place("carol", Side.BID, 100, 2)

    result = venue.exchange.consume_given_events("m", [1, 7], ["alice.oo1", "bob.oo1"])

    assert [e.owner for e in result.events] == ["bob.oo1", "alice.oo1"]


def test_instructions_consume_given_slot_600_is_invalid(venue: Venue) -> None:
    with pytest.raises(ExchangeError) as caught:
        venue.exchange.consume_given_events("m", [600], [])

    assert _code(caught) == 6012


def test_instructions_close_account_rules(venue: Venue) -> None:
    exchange = venue.exchange
    exchange.deposit("alice", "alice.oo1", "alice.base", "alice.quote", 1, 0, venue.now_s)
    exchange.set_delegate("alice", "alice.oo1", "dan")

    with pytest.raises(ExchangeError) as non_empty:
        exchange.close_open_orders_account("alice", "alice.oo1")
    with pytest.raises(ExchangeError) as by_delegate:
        exchange.close_open_orders_account("dan", "alice.oo1")
    venue.settle("alice")
    with pytest.raises(ExchangeError) as active:
        exchange.close_open_orders_indexer("alice")
    exchange.close_open_orders_account("alice", "alice.oo1")
    exchange.close_open_orders_indexer("alice")

    assert (_code(non_empty), _code(by_delegate), _code(active)) == (6042, 2006, 6020)
    assert "alice.oo1" not in exchange.open_orders
    assert "alice.indexer" not in exchange.indexers


def test_instructions_delegate_trades_but_settles_only_to_owner(venue: Venue) -> None:
    exchange = venue.exchange
    exchange.set_delegate("alice", "alice.oo1", "bob")
    exchange.deposit("alice", "alice.oo1", "alice.base", "alice.quote", 0, 9, venue.now_s)

    with pytest.raises(ExchangeError) as caught:
        exchange.settle_funds("bob", "alice.oo1", "bob.base", "bob.quote")
    exchange.settle_funds("bob", "alice.oo1", "alice.base", "alice.quote")

    assert (caught.value.kind, caught.value.code) == (ErrorKind.ANCHOR, 2003)
    assert exchange.ledger.balance("alice.quote") == FUNDS_NATIVE


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"name": "x" * 17}, 6001),
        ({"quote_lot_size": 0}, 6004),
        ({"time_expiry": START_S}, 6002),
        ({"maker_fee": -500, "taker_fee": 400}, 6003),
        ({"taker_fee": -1}, 6003),
    ],
)
def test_instructions_create_market_validation(
    venue: Venue, changes: dict[str, object], code: int
) -> None:
    fields: dict[str, object] = {
        "name": "n", "base_mint": "base", "quote_mint": "quote", "base_lot_size": 1,
        "quote_lot_size": 1,
    }  # fmt: skip
    params = MarketParams(**{**fields, **changes})  # type: ignore[arg-type]

    with pytest.raises(ExchangeError) as caught:
        venue.exchange.create_market(MarketAccounts.derived("n"), params, START_S)

    assert _code(caught) == code
    assert "n" not in venue.exchange.markets


def test_instructions_expired_market_refuses_orders(make: Callable[..., Venue]) -> None:
    venue = make()
    params = MarketParams(
        name="e", base_mint="base", quote_mint="quote", base_lot_size=1, quote_lot_size=1,
        time_expiry=START_S + 5,
    )  # fmt: skip
    venue.exchange.create_market(MarketAccounts.derived("e"), params, START_S)
    venue.exchange.create_open_orders_account("alice", "e", account_id="alice.e")

    with pytest.raises(ExchangeError) as caught:
        venue.exchange.deposit("alice", "alice.e", "alice.base", "alice.quote", 1, 1, START_S + 6)

    assert _code(caught) == 6030


def test_instructions_take_order_pays_only_maker_rebates_not_taker_fee(
    make: Callable[..., Venue],
) -> None:
    # v1.7 (golden trace 23): a take order is charged the makers' rebates only; the rest of
    # the taker fee is counted in fees_accrued but never collected
    venue = make(taker_fee=100_000, quote_lot_size=10)
    venue.place("alice", Side.ASK, 3, 1, order_type=POST_ONLY)
    args = PlaceTakeOrderArgs(Side.BID, 3, 1, 100, PlaceOrderType.IMMEDIATE_OR_CANCEL)

    result = venue.exchange.place_take_order(
        "carol", "m", args, "carol.base", "carol.quote", venue.now_s
    )

    assert result.taker_fees_native == 3
    assert venue.exchange.ledger.balance("carol.quote") == FUNDS_NATIVE - 30
    assert venue.market.fees_accrued == 3


def test_instructions_logs_carry_fees_and_vanish_with_a_refusal(
    make: Callable[..., Venue],
) -> None:
    venue = make(maker_fee=-200, taker_fee=400, record_logs=True)
    venue.market.drain_logs()
    venue.place("alice", Side.ASK, 10_000, 10, order_type=POST_ONLY)
    venue.place("carol", Side.ASK, 10_001, 1, order_type=POST_ONLY)
    venue.place("bob", Side.BID, 10_000, 10, remaining=("alice.oo1",))
    venue.place("bob", Side.ASK, 10_001, 1, order_type=POST_ONLY)
    with pytest.raises(ExchangeError) as caught:
        # carol's fill is applied inline (logged), then bob's own order cannot be borrowed
        venue.place("bob", Side.BID, 10_001, 2, remaining=("carol.oo1", "bob.oo1"))

    logs = venue.market.drain_logs()

    assert caught.value.name == "AccountBorrowFailed"
    names = [type(log).__name__ for log in logs]
    assert names == ["FillLog", "OpenOrdersPositionLog", "OpenOrdersPositionLog",
                     "TotalOrderFillEvent"]  # fmt: skip
    fill = logs[0]
    assert isinstance(fill, FillLog)
    assert (fill.maker_fee, fill.taker_fee_ceil, fill.quantity) == (0, 40, 10)
    assert venue.market.drain_logs() == []


def test_instructions_logs_are_off_by_default(venue: Venue) -> None:
    venue.place("alice", Side.ASK, 100, 1, order_type=POST_ONLY)

    assert venue.market.logs is None
    assert venue.market.drain_logs() == []
