import math

import pytest

from bmvbot.core.errors import ConfigError, InvariantError
from bmvbot.core.types import (
    BaseLots,
    BookLevel,
    Grid,
    L2Snapshot,
    Level,
    MarketSpec,
    PlaceOrderType,
    PriceLots,
    Rounding,
    SelfTradeBehavior,
    Side,
    quantize,
)


def test_quantize_integral_float_noise_stays_put() -> None:
    assert quantize(2.9999999999999, Rounding.DOWN) == 3
    assert quantize(3.0000000000001, Rounding.UP) == 3


def test_quantize_large_values_never_round_the_wrong_way() -> None:
    assert quantize(2e9 + 0.7, Rounding.DOWN) == 2_000_000_000
    assert quantize(2e9 + 0.3, Rounding.UP) == 2_000_000_001


def test_quantize_directions_round_to_the_asked_side() -> None:
    assert quantize(2.4, Rounding.DOWN) == 2
    assert quantize(2.4, Rounding.UP) == 3
    assert quantize(2.6, Rounding.NEAREST) == 3
    assert quantize(-2.4, Rounding.DOWN) == -3


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_quantize_non_finite_raises_invariant_error(value: float) -> None:
    with pytest.raises(InvariantError, match="non-finite"):
        quantize(value, Rounding.DOWN)


def test_market_spec_sol_usdc_example_matches_fact_sheet() -> None:
    spec = MarketSpec(base_decimals=9, quote_decimals=6, base_lot_size=10**6, quote_lot_size=1)

    assert spec.price_to_lots(150.123, Rounding.DOWN) == 150_123
    assert spec.size_to_lots(2.5) == 2_500
    assert spec.quote_native(150_123, 2_500) == 375_307_500
    assert spec.price_to_ui(150_123) == pytest.approx(150.123)
    assert spec.size_to_ui(2_500) == pytest.approx(2.5)
    assert spec.quote_to_ui(375_307_500) == pytest.approx(375.3075)
    assert spec.quote_ui_to_native(375.3075) == 375_307_500


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"base_lot_size": 0}, "market.base_lot_size"),
        ({"quote_lot_size": -1}, "market.quote_lot_size"),
        ({"base_decimals": 19}, "market.base_decimals"),
        ({"taker_fee_ppm": -1}, "market.taker_fee_ppm"),
        ({"maker_fee_ppm": -500, "taker_fee_ppm": 400}, "market.maker_fee_ppm"),
    ],
)
def test_market_spec_invalid_field_names_the_key(kwargs: dict[str, int], key: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        MarketSpec(**kwargs)

    assert excinfo.value.key == key
    assert key in str(excinfo.value)


def test_side_opposite_flips() -> None:
    assert Side.BID.opposite is Side.ASK
    assert Side.ASK.opposite is Side.BID


@pytest.mark.parametrize(("price", "size"), [(0, 1), (1, 0), (-5, 10)])
def test_level_non_positive_price_or_size_raises_invariant_error(price: int, size: int) -> None:
    with pytest.raises(InvariantError, match="positive price and size"):
        Level(Side.BID, PriceLots(price), BaseLots(size))


def test_grid_and_empty_snapshot_report_emptiness() -> None:
    bid = Level(Side.BID, PriceLots(99), BaseLots(1))

    assert Grid().is_empty
    assert not Grid(bids=(bid,)).is_empty
    assert Grid(bids=(bid,)).levels == (bid,)
    assert L2Snapshot().mid_price_lots is None
    assert L2Snapshot().best_bid is None


def test_l2_snapshot_best_prices_and_mid() -> None:
    book = L2Snapshot(
        bids=(BookLevel(PriceLots(99), BaseLots(5)),),
        asks=(BookLevel(PriceLots(102), BaseLots(7)),),
    )

    assert book.best_bid == 99
    assert book.best_ask == 102
    assert book.mid_price_lots == 100.5
    assert L2Snapshot(bids=book.bids).best_ask is None
    assert L2Snapshot(bids=book.bids).mid_price_lots is None


@pytest.mark.parametrize(
    ("order_type", "is_post_only", "can_rest"),
    [
        (PlaceOrderType.LIMIT, False, True),
        (PlaceOrderType.IMMEDIATE_OR_CANCEL, False, False),
        (PlaceOrderType.POST_ONLY, True, True),
        (PlaceOrderType.MARKET, False, False),
        (PlaceOrderType.POST_ONLY_SLIDE, True, True),
    ],
)
def test_place_order_type_posting_rules(
    order_type: PlaceOrderType, is_post_only: bool, can_rest: bool
) -> None:
    assert order_type.is_post_only is is_post_only
    assert order_type.can_rest is can_rest


def test_order_enums_use_the_programs_wire_numbers() -> None:
    assert [int(t) for t in PlaceOrderType] == [0, 1, 2, 3, 4]
    assert [int(b) for b in SelfTradeBehavior] == [0, 1, 2]
