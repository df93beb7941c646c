from __future__ import annotations

from collections.abc import Callable

import pytest

from bmvbot.core.types import Side
from bmvbot.exchange import (
    ExchangeError,
    PlaceMultipleOrdersArgs,
    PlaceOrderArgs,
    PlaceTakeOrderArgs,
    order_id_for,
    order_type_from_wire,
)
from bmvbot.exchange.errors import ErrorKind, OpenBookErrorCode
from bmvbot.exchange.fees import (
    maker_fees_ceil,
    maker_fees_floor,
    maker_rebate_floor,
    subtract_taker_fees,
    taker_fees_ceil,
    validate_fees,
)
from bmvbot.exchange.orders import price_of_order_id, seq_of_order_id, tif_from_expiry


def test_rules_order_ids_encode_price_and_sequence() -> None:
    bid = order_id_for(Side.BID, 2603, 6)
    ask = order_id_for(Side.ASK, 2600, 1)

    assert str(bid) == "48035321567939672408057"
    assert str(ask) == "47961534591644834201601"
    assert (price_of_order_id(bid), seq_of_order_id(Side.BID, bid)) == (2603, 6)
    assert seq_of_order_id(Side.ASK, ask) == 1


@pytest.mark.parametrize(
    ("expiry", "now", "tif"), [(0, 50, 0), (60, 50, 10), (50, 50, None), (10**9, 0, 65_535)]
)
def test_rules_time_in_force_from_expiry(expiry: int, now: int, tif: int | None) -> None:
    assert tif_from_expiry(expiry, now) == tif


def test_rules_fill_or_kill_does_not_deserialize() -> None:
    with pytest.raises(ExchangeError) as caught:
        order_type_from_wire(5)

    assert (caught.value.kind, caught.value.code) == (ErrorKind.ANCHOR, 102)


def test_rules_fee_rounding_directions() -> None:
    assert taker_fees_ceil(1001, 400) == 1
    assert maker_fees_ceil(1001, 400) == 1
    assert maker_fees_ceil(1001, -200) == 0
    assert maker_fees_floor(1001, 400) == 0
    assert maker_rebate_floor(10_000, -200) == 2
    assert maker_rebate_floor(10_000, 300) == 0
    assert subtract_taker_fees(1004, 4_000) == 1000


@pytest.mark.parametrize(("maker", "taker"), [(-500, 400), (0, -1), (1_000_001, 0)])
def test_rules_invalid_fee_pairs_are_refused(maker: int, taker: int) -> None:
    with pytest.raises(ExchangeError) as caught:
        validate_fees(maker, taker)

    assert caught.value.code == OpenBookErrorCode.INVALID_INPUT_MARKET_FEES


def test_rules_error_names_follow_the_program() -> None:
    assert OpenBookErrorCode.OPEN_ORDERS_FULL.program_name == "OpenOrdersFull"
    assert OpenBookErrorCode.INDEXER_ACTIVE_OO.program_name == "IndexerActiveOO"
    assert OpenBookErrorCode.INVALID_ORDER_POST_IOC.program_name == "InvalidOrderPostIOC"


@pytest.mark.parametrize(
    "build",
    [
        lambda: PlaceOrderArgs(Side.BID, 1, 1, 1, client_order_id=-1),
        lambda: PlaceOrderArgs(Side.BID, 1, 1, 1, limit=256),
        lambda: PlaceOrderArgs(Side.BID, 1 << 63, 1, 1),
        lambda: PlaceMultipleOrdersArgs(1, 1, expiry_timestamp=-5),
        lambda: PlaceTakeOrderArgs(Side.ASK, 1, 1, 1, limit=-1),
    ],
)
def test_rules_values_the_wire_cannot_carry_do_not_deserialize(build: Callable[[], object]) -> None:
    with pytest.raises(ExchangeError) as caught:
        build()

    assert (caught.value.kind, caught.value.code) == (ErrorKind.ANCHOR, 102)
    assert "must be" in str(caught.value)
